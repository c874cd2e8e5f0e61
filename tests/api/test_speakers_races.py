"""A speaker operation sent to the API that loses a race with another edit of the same
speakers is a 409 ``conflict`` (not a 400, not a 500): the merge of a member that an undo of
its split deletes meanwhile (:func:`tests.interleave.race`)."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.models import Member, Message
from diarization_portal.conversations.services.speakers import edit_undo, messages_split
from tests.api.conftest import post, speaker
from tests.interleave import race, updates

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_merge_that_lost_its_race_with_an_undo_is_409_conflict(client, conv, people):
    client.force_login(people["editor"])  # a session: an API key's request writes its use first
    a, b = speaker(conv, 1), speaker(conv, 2)
    lines = list(Message.objects.filter(member=a).order_by("pk")[:2])
    edit, new = messages_split(conversation=conv, messages=lines, name="Eve")

    undo, merge = race(  # the merge reads Eve, then waits for the undo that deletes her
        lambda: edit_undo(edit=edit),
        lambda: post(client, "member_merge", [conv.pk, new.uuid], {"targetId": str(b.uuid)}, {}),
        at=updates(Message),
    )
    assert undo.ok, undo.error
    reply = merge.result
    assert reply.status_code == 409, reply.content
    assert reply.json() == {
        "type": "conflict",
        "message": "Someone changed these speakers at the same time; reload them and try again.",
        "errors": [],
    }
    assert not Member.objects.filter(pk=new.pk).exists()
    assert Member.objects.get(pk=b.pk).merged_into_id is None
