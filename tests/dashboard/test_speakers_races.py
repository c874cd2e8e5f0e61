"""The dashboard answers a speaker operation that lost a race with another edit of the same
speakers with the fresh conversation body and "Someone changed these speakers — reload",
never an error page: the merge of a member that an undo of its split deletes meanwhile
(:func:`tests.interleave.race`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Member, Message
from diarization_portal.conversations.services.speakers import edit_undo, messages_split
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.interleave import race, updates

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "conversation-body"}


def test_a_merge_that_lost_its_race_with_an_undo_says_reload(client):
    ws = factories.workspace()
    client.force_login(factories.user(ws, Role.EDITOR))
    conv = factories.conversation(ws, members=3, messages=12)
    a, b, _ = Member.objects.filter(conversation=conv).order_by("pk")
    lines = list(Message.objects.filter(member=a).order_by("pk")[:2])
    edit, new = messages_split(conversation=conv, messages=lines, name="Eve")
    url = reverse("dashboard:member_merge", args=[conv.pk, new.pk])

    undo, merge = race(  # the merge reads Eve, then waits for the undo that deletes her
        lambda: edit_undo(edit=edit),
        lambda: client.post(url, {"target": b.pk}, **HTMX),
        at=updates(Message),
    )
    assert undo.ok, undo.error
    reply = merge.result
    assert reply.status_code == 200
    html = reply.content.decode()
    assert html.lstrip().startswith('<div id="conversation-body"')
    assert (
        '<p class="flash error span-all" role="alert">Someone changed these speakers — reload</p>'
        in html
    )
    assert f"member-{new.pk}" not in html
