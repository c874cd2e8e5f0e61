"""Vendor sync steps are atomic where they write: a failure after any write of a step's
transaction leaves every table as it was and enqueues nothing (DESIGN §4).

Submit, poll and import are deliberately not one transaction: each first commits its claim
(the lease in ``next_check_at``) so that no transaction stays open while the vendor is called;
their tests compare every table but that lease. Pushes commit one conditional UPDATE after the
vendor call. Helpers: :mod:`tests.atomicity`; Symbl's recorded API: :mod:`.symbl_mocks`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.sync import services, vendors
from diarization_portal.sync.services import jobs as sync_jobs
from diarization_portal.sync.services import members as sync_members
from diarization_portal.sync.services import results as sync_results
from diarization_portal.sync.services.jobs import _resubmit
from diarization_portal.sync.services.pvc import pvc_selection_save
from providers.formats import parse as parse_file
from providers.types import ProviderError
from tests import factories
from tests.atomicity import (
    HalfWay,
    before_lock,
    changes,
    every_write_fails,
    fail_after,
    half_way,
    nothing_changes,
    snapshot,
)
from tests.broker import queued
from tests.conftest import SAMPLES

from .conftest import due, make_account
from .symbl_mocks import (
    CONV,
    CONV_URL,
    MEDIA_URL,
    SPK1,
    add_conversation,
    add_job,
    add_token,
    submitted_to_symbl,
    symbl,
)

pytestmark = pytest.mark.django_db(transaction=True)

#: The lease a job step commits on purpose before it calls the vendor.
LEASE = {"conversations.Job": {"next_check_at"}}


def make_due(job: Job):
    return lambda: due(job)


@pytest.fixture
def job(account) -> Job:
    return services.job_create(account=account, source_url=MEDIA_URL, title="Weekly")


@pytest.fixture
def submitted(job, mocked) -> Job:
    return submitted_to_symbl(job, mocked)


def test_job_create_fails_half_way_without_a_trace_nor_its_upload(account, settings):
    media_root = Path(settings.MEDIA_ROOT)

    def create():
        upload = ContentFile(b"RIFF audio", name="weekly.wav")
        return services.job_create(account=account, media=upload, title="Weekly")

    with nothing_changes(), pytest.raises(HalfWay), fail_after(sync_jobs, "enqueue"):
        create()
    assert not [p for p in media_root.rglob("*") if p.is_file()]

    job = every_write_fails(create)
    assert not [p for p in media_root.rglob("*") if p.is_file() and p != Path(job.media.path)]
    assert queued() == [("submit_job", (job.pk,))]


def test_submit_and_poll_write_their_outcome_whole_or_not_at_all(job, mocked):
    # The outcome of a submit: the job submitted with its vendor ids, and the conversation's
    # vendor id; refusing the second leaves the job queued (and claimed).
    add_token(mocked)
    mocked.post("https://api.symbl.ai/v1/process/audio/url", json=symbl("submit.json"))
    due(job)
    writes = half_way(lambda: services.job_submit(job_id=job.pk), nth=3, ignore=LEASE)
    assert [Job._meta.db_table in sql for sql in writes] == [True, True, False]  # claim, job
    assert Job.objects.get(pk=job.pk).vendor_job_id == ""
    submitted = services.job_submit(job_id=due(job).pk)
    assert submitted.state == JobState.SUBMITTED
    assert submitted.conversation.external_id == CONV

    # A finished vendor job moves to importing and enqueues its import, or neither.
    add_job(mocked, "completed")
    with (
        nothing_changes(ignore=LEASE),
        pytest.raises(HalfWay),
        fail_after(sync_jobs, "enqueue"),
    ):
        services.job_poll(job_id=due(submitted).pk)
    assert services.job_poll(job_id=due(submitted).pk).state == JobState.IMPORTING
    assert ("import_job", (job.pk,)) in queued()


def test_job_import_fails_half_way_without_a_trace_then_imports(submitted, mocked):
    add_conversation(mocked)
    Job.objects.filter(pk=submitted.pk).update(state=JobState.IMPORTING)
    done = every_write_fails(
        lambda: services.job_import(job_id=submitted.pk),
        ignore=LEASE,
        before_each=make_due(submitted),
    )
    assert done.state == JobState.DONE
    assert Message.objects.filter(job=submitted).exists()
    assert Member.objects.filter(vendor_label=SPK1).get().sync_state == SyncState.SYNCED


def test_an_appended_result_starts_where_the_conversation_ends_once_it_holds_it(
    account, monkeypatch
):
    ws = account.workspace
    conv = factories.conversation(ws, members=2, messages=5)  # ends at 9.8 s
    append = services.job_create(
        account=account, kind=JobKind.APPEND, conversation=conv, source_url=MEDIA_URL
    )
    Job.objects.filter(pk=append.pk).update(state=JobState.IMPORTING)
    transcript = parse_file((SAMPLES / "weekly-sync-part2.srt").read_bytes(), filename="p2.srt")
    monkeypatch.setattr(vendors, "fetch", lambda job, client: transcript)
    first = Member.objects.filter(conversation=conv).first()

    def imported_meanwhile():  # another recording appended to the conversation commits first
        Message.objects.create(
            conversation=conv,
            external_id="late",
            member=first,
            diarized_member=first,
            start=10.0,
            end=60.0,
        )

    with before_lock(Conversation, imported_meanwhile) as locks:
        done = services.job_import(job_id=due(append).pk)
    assert locks and done.state == JobState.DONE
    assert done.time_offset == 60.0
    assert min(Message.objects.filter(job=append).values_list("start", flat=True)) >= 60.0


def test_job_retry_fails_half_way_without_a_trace_then_retries(submitted):
    Job.objects.filter(pk=submitted.pk).update(
        state=JobState.FAILED, error_type="vendor_failed", finished_at=timezone.now()
    )
    retried = every_write_fails(lambda: services.job_retry(job_id=submitted.pk))
    assert retried.state == JobState.QUEUED and retried.vendor_job_id == ""
    assert Conversation.objects.get(pk=submitted.conversation_id).external_id == ""
    assert queued()[-1] == ("submit_job", (submitted.pk,))


def test_single_statement_steps_leave_nothing_when_that_statement_fails(submitted, mocked):
    # A webhook enqueues the poll, then keeps the payload: refused, neither happens.
    half_way(lambda: services.job_webhook(job_id=submitted.pk, payload={"a": 1}), nth=1)
    assert services.job_webhook(job_id=submitted.pk, payload={"a": 1})
    assert queued()[-1] == ("poll_job", (submitted.pk,))

    error = ProviderError("busy", retryable=True, status=503, error_type="http_503")
    half_way(lambda: services.job_fail(job=submitted, error=error), nth=1)
    half_way(lambda: _resubmit(submitted, "lost at the vendor"), nth=1)
    assert Job.objects.get(pk=submitted.pk).state == JobState.SUBMITTED

    # A member push: the vendor is called, then one conditional UPDATE records the outcome.
    add_job(mocked, "completed")
    add_conversation(mocked)
    services.job_poll(job_id=due(submitted).pk)
    assert services.job_import(job_id=due(submitted).pk).state == JobState.DONE
    member = Member.objects.get(vendor_label=SPK1)
    Member.objects.filter(pk=member.pk).update(sync_state=SyncState.PENDING)
    mocked.put(f"{CONV_URL}/members/{SPK1}", status=404, json=symbl("error_not_found.json"))
    half_way(lambda: services.member_push(member_id=member.pk), nth=1)
    assert services.member_push(member_id=member.pk).sync_state == SyncState.FAILED

    # A push retry enqueues the push after it marks the member pending: both or neither.
    with nothing_changes(), pytest.raises(HalfWay), fail_after(sync_members, "enqueue"):
        services.member_push_retry(member_id=member.pk)
    assert services.member_push_retry(member_id=member.pk).sync_state == SyncState.PENDING
    assert queued()[-1] == ("push_member", (member.pk,))


def test_the_sweeper_writes_no_row_and_an_interrupted_sweep_is_caught_up(account):
    made = [services.job_create(account=account, source_url=MEDIA_URL) for _ in range(3)]
    Job.objects.update(next_check_at=None)
    before, waiting = snapshot(), queued()
    with pytest.raises(HalfWay), fail_after(sync_results, "enqueue", nth=2):
        services.jobs_sweep()
    # Enqueued at once (no transaction): the first two stay queued, harmless as any
    # duplicate; no row but the ORM broker's queue changed.
    assert queued() == [*waiting, *[("submit_job", (job.pk,)) for job in made[:2]]]
    assert set(changes(before, snapshot())) <= {"django_q.OrmQ"}
    assert services.jobs_sweep() == 3
    assert queued()[-3:] == [("submit_job", (job.pk,)) for job in made]


# -- ElevenLabs PVC selection ---------------------------------------------------------------


@pytest.fixture
def pvc(workspace) -> Job:
    """A PVC job whose three separated speakers were imported (and pushed: ``synced``)."""
    account = make_account(workspace, "elevenlabs", base_url="default")
    job = services.job_create(
        account=account,
        title="Narration",
        options={"product": "pvc", "voice_id": "VxQ1abc", "sample_id": "smp_77"},
    )
    Job.objects.filter(pk=job.pk).update(state=JobState.DONE, next_check_at=None)
    scope = vendors.result_key(job)[:16]
    Member.objects.bulk_create(
        Member(
            conversation_id=job.conversation_id,
            name=f"Speaker {i + 1}",
            vendor_label=label,
            label_scope=scope,
            position=i,
            sync_state=SyncState.SYNCED,
        )
        for i, label in enumerate(["spk_a", "spk_b", "spk_c"])
    )
    return job


def test_pvc_selection_fails_half_way_without_a_trace_then_saves(pvc):
    a, b, c = Member.objects.filter(conversation_id=pvc.conversation_id).order_by("position")
    labels = every_write_fails(lambda: pvc_selection_save(job=pvc, keep=[a.pk]))
    assert labels == ["spk_a"]
    assert queued()[-2:] == [("push_member", (b.pk,)), ("push_member", (c.pk,))]


def test_pvc_selection_reads_the_push_states_once_it_holds_the_members(pvc):
    a, _, c = Member.objects.filter(conversation_id=pvc.conversation_id).order_by("position")

    def push_failed_meanwhile():  # a push of c fails and commits before the lock
        Member.objects.filter(pk=c.pk).update(sync_state=SyncState.FAILED, sync_error="503")

    with before_lock(Member, push_failed_meanwhile) as locks:
        pvc_selection_save(job=pvc, keep=[a.pk, c.pk])
    assert locks
    # b changed; c did not, but its last push failed: both are pushed again.
    assert Member.objects.get(pk=c.pk).sync_state == SyncState.PENDING
    assert ("push_member", (c.pk,)) in queued()
