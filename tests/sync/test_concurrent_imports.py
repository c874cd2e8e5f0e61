"""Imports that run at the same moment in two workers (two threads, two database connections):
an appended recording's place on the conversation's timeline is read only once the import
holds the conversation, so a recording imported while another import of the same
conversation is still writing starts after it (DESIGN: locks before reads)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
)
from diarization_portal.sync import services, vendors
from providers.types import Speaker, Transcript, Utterance
from tests import factories

from .conftest import make_account

pytestmark = pytest.mark.django_db(transaction=True)

#: What the vendor sends for the appended recording: one utterance, times of its own.
RESULT = Transcript(
    source="elevenlabs",
    speakers=[Speaker("speaker_0")],
    utterances=[Utterance("speaker_0", 0.0, 1.5, "Sorry I'm late.")],
)


def _waiting_for_a_lock(timeout: float = 10.0) -> None:
    """Wait until another connection waits for a row lock (PostgreSQL); SQLite shows no
    such thing (a second writer waits for the database's write lock): give it a moment."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no connection waited for a lock")


def _in_thread(target) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_append_imported_while_another_import_holds_the_conversation_starts_after_it(
    workspace, monkeypatch
):
    account = make_account(workspace, "elevenlabs")
    conversation = factories.conversation(workspace, members=2, messages=5)  # ends at 9.8 s
    Conversation.objects.filter(pk=conversation.pk).update(vendor="elevenlabs")
    speaker = Member.objects.filter(conversation=conversation).first()
    job = Job.objects.create(
        conversation=conversation,
        kind=JobKind.APPEND,
        account=account,
        state=JobState.IMPORTING,
        source_url="https://media.example.org/part-3.mp3",
        vendor_job_id="req_3",
        vendor_conversation_id="tr_3",
        submitted_at=timezone.now(),
        next_check_at=timezone.now(),
    )
    monkeypatch.setattr(vendors, "fetch", lambda job, client: RESULT)
    holding, release = threading.Event(), threading.Event()

    def other_import() -> None:
        """Another worker's import into the conversation: 30-40 s, not committed yet."""
        with transaction.atomic():
            Conversation.objects.select_for_update().get(pk=conversation.pk)
            Message.objects.create(
                conversation=conversation,
                external_id="part-2-0",
                member=speaker,
                diarized_member=speaker,
                start=30.0,
                end=40.0,
            )
            holding.set()
            release.wait(10)

    other = _in_thread(other_import)
    assert holding.wait(10)
    importer = _in_thread(lambda: services.job_import(job_id=job.pk))
    _waiting_for_a_lock()
    release.set()
    other.join(10)
    importer.join(20)

    job.refresh_from_db()
    assert (job.state, job.time_offset) == (JobState.DONE, 40.0)
    [message] = Message.objects.filter(job=job)
    assert (message.start, message.end) == (40.0, 41.5)
