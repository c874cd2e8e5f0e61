"""The other conversation services are atomic: deleting a conversation fails after any of its
writes without a trace (its media stays until the delete commits), and a duplicate dismissal
is one INSERT. Helpers: :mod:`tests.atomicity`."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from diarization_portal.conversations.models import (
    Conversation,
    DuplicateDismissal,
    Job,
    JobKind,
    Member,
)
from diarization_portal.conversations.services.conversations import conversation_delete
from diarization_portal.conversations.services.duplicates import duplicate_dismiss
from diarization_portal.conversations.services.speakers import member_merge, member_rename
from tests import factories
from tests.atomicity import before_lock, every_write_fails, half_way

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_deleting_a_conversation_fails_half_way_without_a_trace_then_deletes_it():
    ws = factories.workspace()
    conv = factories.conversation(ws, members=3, messages=12, insights=6)
    a, b, c = Member.objects.filter(conversation=conv).order_by("position")
    member_merge(source=a, target=b)
    member_rename(member=c, name="Grace")
    job = Job.objects.create(conversation=conv, kind=JobKind.PROCESS)
    job.media.save("recording.wav", ContentFile(b"RIFF audio"))
    media = Path(job.media.path)
    other = factories.conversation(ws, title="Kept")

    def delete():
        assert media.exists()  # removed only once a delete commits
        return conversation_delete(conversation=conv)

    deleted = every_write_fails(delete)
    assert deleted["conversations.Conversation"] == 1
    assert list(Conversation.objects.values_list("pk", flat=True)) == [other.pk]
    assert not media.exists()


def test_a_duplicate_dismissal_is_one_write():
    conv = factories.conversation(factories.workspace(), members=2, messages=4)
    a, b = Member.objects.filter(conversation=conv).order_by("position")

    half_way(lambda: duplicate_dismiss(source=a, target=b), nth=1)
    assert duplicate_dismiss(source=a, target=b) == DuplicateDismissal.objects.get()


def test_deleting_a_conversation_locks_it_before_it_reads_what_to_remove():
    ws = factories.workspace()
    conv = factories.conversation(ws, members=2, messages=4)
    appended: list[Path] = []

    def appended_meanwhile():  # another transaction adds a recording before the lock
        job = Job.objects.create(conversation=conv, kind=JobKind.APPEND)
        job.media.save("part2.wav", ContentFile(b"RIFF audio"))
        appended.append(Path(job.media.path))

    with before_lock(Conversation, appended_meanwhile) as locks:
        conversation_delete(conversation=conv)
    assert locks and appended
    assert not Job.objects.exists()
    assert not appended[0].exists()  # its media went with it
