"""Vendor faults during real runs: each job still ends as the sync rules say (DESIGN §4), with
no message lost or imported twice and the names people set intact."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from diarization_portal.sync.models import ProviderAccount
from tests.emulator import Fault

from .checks import assert_imported_once, members

pytestmark = pytest.mark.e2e

MEDIA = "https://media.example.org/recordings/kick-off.mp3"
APPENDED = "https://media.example.org/recordings/kick-off-part-2.mp3"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
TASK = "GET /api/technology/speaker-diarization/*"


def _symbl_ids(conversation) -> list[str]:
    return sorted(
        Message.objects.filter(conversation=conversation).values_list("external_id", flat=True)
    )


def _phonexia_job(e2e):
    account = e2e.account("phonexia")
    return services.job_create(account=account, media=ContentFile(WAV, name="call.wav"))


@dataclass
class Named:
    """A processed Symbl conversation whose first speaker a person named Laura (pushed)."""

    account: ProviderAccount
    conversation: Conversation
    laura: Member
    said_by_laura: set[int]


@pytest.fixture
def named(e2e) -> Named:
    """The Symbl fault runs append a second recording to this conversation: its import reads
    the whole conversation again, so names set in between must survive it."""
    account = e2e.account("symbl")
    first = e2e.wait_job(services.job_create(account=account, source_url=MEDIA, title="Kick-off"))
    laura = sorted(members(first.conversation).values(), key=lambda m: m.position)[0]
    speakers.member_rename(member=laura, name="Laura", email="laura@example.org")
    e2e.wait_until(lambda: Member.objects.get(pk=laura.pk).sync_state == SyncState.SYNCED)
    said = set(Message.objects.filter(member=laura).values_list("pk", flat=True))
    return Named(account, first.conversation, laura, said)


def _append(e2e, named: Named) -> Job:
    job = services.job_create(
        account=named.account,
        kind=JobKind.APPEND,
        conversation=named.conversation,
        source_url=APPENDED,
    )
    return e2e.wait_job(job)


def _assert_reimported_once_with_names_kept(e2e, named: Named) -> None:
    vendor = e2e.emulator.symbl.conversation(named.conversation.external_id)
    data = e2e.emulator.datasets
    assert len(vendor.messages) == len(data.symbl_process.turns) + len(data.symbl_append.turns)
    ids = _symbl_ids(named.conversation)
    assert ids == sorted(vendor.message_ids()) and len(set(ids)) == len(ids)
    laura = Member.objects.get(pk=named.laura.pk)
    assert (laura.name, laura.email, laura.name_locked) == ("Laura", "laura@example.org", True)
    now_hers = set(Message.objects.filter(member=laura).values_list("pk", flat=True))
    assert named.said_by_laura <= now_hers


def _polls(e2e, job: Job) -> list:
    return e2e.emulator.requests("symbl", f"GET /v1/job/{job.vendor_job_id}")


def test_a_429_retry_after_is_waited_for_then_the_job_completes(e2e, named):
    e2e.emulator.inject("symbl", "GET /v1/job/*", Fault.http(429, retry_after=2))
    job = _append(e2e, named)
    polls = _polls(e2e, job)
    assert [p.status for p in polls[:2]] == [429, 200]
    assert polls[1].at - polls[0].at >= 2.0  # Retry-After beats the 0.3 s backoff
    assert job.attempts == 1 and job.error_message == ""
    _assert_reimported_once_with_names_kept(e2e, named)


def test_server_errors_while_polling_and_importing_are_retried(e2e, named):
    e2e.emulator.inject("symbl", "GET /v1/job/*", Fault.http(502))
    e2e.emulator.inject("symbl", "GET /v1/conversations/*/messages", Fault.http(500), times=2)
    job = _append(e2e, named)
    assert job.attempts == 3 and (job.error_type, job.error_message) == ("", "")
    faults = [r.status for r in e2e.emulator.requests("symbl") if r.fault]
    assert faults == [502, 500, 500]
    _assert_reimported_once_with_names_kept(e2e, named)


def test_unreadable_replies_are_retried(e2e, named):
    e2e.emulator.inject("symbl", "GET /v1/job/*", Fault.malformed("html"))
    e2e.emulator.inject("symbl", "GET /v1/conversations/*/members", Fault.malformed("truncated"))
    job = _append(e2e, named)
    assert job.attempts == 2
    assert [r.fault for r in e2e.emulator.requests("symbl") if r.fault] == ["malformed"] * 2
    _assert_reimported_once_with_names_kept(e2e, named)


def test_a_vendor_that_does_not_answer_in_time_is_asked_again(e2e):
    e2e.emulator.inject("phonexia", TASK, Fault.timeout(5))  # longer than the 3 s read timeout
    job = e2e.wait_job(_phonexia_job(e2e))
    [held, *later] = e2e.emulator.requests("phonexia", TASK)
    assert held.fault == "timeout" and held.status is None and later
    assert job.attempts == 1
    task = e2e.emulator.phonexia.tasks[job.vendor_job_id]
    assert_imported_once(job.conversation, [(s, c, a, b) for c, s, a, b in task.segments()])


def test_a_truncated_submit_reply_is_resubmitted_and_the_result_imported_once(e2e):
    """DeepAffects took the first submit but its reply was cut: the portal submits again with
    a new request id; both results arrive by webhook, one is imported."""
    e2e.emulator.inject("deepaffects", "POST /audio/*", Fault.malformed("truncated"))
    account = e2e.account("deepaffects")
    job = services.job_create(
        account=account, source_url=MEDIA, options={"encoding": "MP3", "sample_rate": 16000}
    )
    job = e2e.wait_job(job)
    submitted = e2e.emulator.deepaffects.requests
    assert len(submitted) == 2 and job.vendor_job_id == list(submitted)[-1]
    assert job.attempts == 1
    e2e.wait_until(lambda: all(i.delivery and i.delivery.done.is_set() for i in submitted.values()))
    assert [i.delivery.status for i in submitted.values()] == [200, 200]
    rows = [(s["speaker_id"], 0, s["start"], s["end"]) for s in e2e.emulator.deepaffects.segments()]
    assert_imported_once(job.conversation, rows)


def test_an_unreadable_result_fails_the_job_writes_nothing_and_a_retry_imports(e2e):
    broken = {
        "task": {"task_id": "x", "state": "done"},
        "result": {"channels": [{"channel_number": 0, "segments": [
            {"speaker_id": 0, "start_time": 5.0, "end_time": 1.0}
        ]}]},
    }  # fmt: skip
    e2e.emulator.inject("phonexia", TASK, Fault.http(200, body=broken))
    job = e2e.wait_job(_phonexia_job(e2e), states=("failed",))
    assert job.error_type == "parse_error"
    assert "result.channels[0].segments[0].end_time" in job.error_message
    assert not Message.objects.filter(conversation=job.conversation).exists()
    assert not Member.objects.filter(conversation=job.conversation).exists()

    # Retried by hand (the dashboard's Retry), the job imports the vendor's result again.
    services.job_retry(job_id=job.pk)
    job = e2e.wait_job(job)
    task = e2e.emulator.phonexia.tasks[job.vendor_job_id]
    assert_imported_once(job.conversation, [(s, c, a, b) for c, s, a, b in task.segments()])
    assert len(e2e.emulator.requests("phonexia", "POST /api/*")) == 1  # not submitted again


def test_a_rejected_phonexia_task_ends_the_job_with_the_vendor_reason_until_retried(e2e):
    start = "POST /api/technology/speaker-diarization"
    e2e.emulator.inject("phonexia", start, Fault.outcome("rejected"))
    job = e2e.wait_job(_phonexia_job(e2e), states=("rejected",))
    assert job.error_type == "rejected" and job.attempts == 0
    assert job.error_message == (
        "task.validation-error: Input validation failed. (0.file: Audio could not be decoded.)"
    )
    assert job.finished_at is not None and job.next_check_at is None
    assert not Message.objects.filter(conversation=job.conversation).exists()
    assert e2e.drain()
    assert len(e2e.emulator.requests("phonexia", start)) == 1  # bad input is not resubmitted

    # A person fixes the input and retries: a fresh submit, a new task, the result imported.
    services.job_retry(job_id=job.pk)
    done = e2e.wait_job(job)
    assert done.vendor_job_id != job.vendor_job_id
    assert len(e2e.emulator.requests("phonexia", start)) == 2
    task = e2e.emulator.phonexia.tasks[done.vendor_job_id]
    assert_imported_once(done.conversation, [(s, c, a, b) for c, s, a, b in task.segments()])


def test_a_speaker_doubled_by_an_append_merges_by_email_here_and_at_symbl(e2e, named):
    e2e.emulator.inject("symbl", "GET /v1/conversations/*/messages", Fault.http(503))
    append = _append(e2e, named)
    conversation, laura = named.conversation, named.laura
    vendor = e2e.emulator.symbl.conversation(conversation.external_id)
    assert append.vendor_conversation_id == vendor.id and append.attempts == 1
    [put] = e2e.emulator.requests("symbl", "PUT /v1/process/audio/url/*")
    assert put.path == f"/v1/process/audio/url/{vendor.id}"
    _assert_reimported_once_with_names_kept(e2e, named)
    assert Member.objects.filter(conversation=conversation).count() == 8

    # The appended recording made a second member of Laura: giving it her email merges it,
    # here and at Symbl (merge by email), and nothing is lost on either side.
    twin_id = next(
        m.id for m in vendor.members.values()
        if m.source == vendor.members[laura.vendor_label].source and m.id != laura.vendor_label
    )  # fmt: skip
    twin = Member.objects.get(conversation=conversation, vendor_label=twin_id)
    speakers.member_rename(member=twin, name="Laura L.", email="LAURA@example.org")
    pair = Member.objects.filter(pk__in=[laura.pk, twin.pk])
    e2e.wait_until(
        lambda: set(pair.values_list("sync_state", flat=True)) == {SyncState.SYNCED},
        what="both members pushed",
    )
    assert twin_id not in vendor.members
    assert Member.objects.get(pk=twin.pk).merged_into_id == laura.pk
    vendor_laura = {m.id for m in vendor.messages if m.member_id == laura.vendor_label}
    local_laura = set(Message.objects.filter(member=laura).values_list("external_id", flat=True))
    assert vendor_laura == local_laura
    assert Message.objects.filter(conversation=conversation).count() == len(vendor.messages)
    assert append.state == JobState.DONE
