"""django-q2 tasks: they take ids, call one service, and are enqueued only after commit; the
sweeper schedule exists and picks due jobs."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from diarization_portal.conversations.models import Job, JobState
from diarization_portal.sync import services
from diarization_portal.sync import tasks as sync_tasks
from tests import broker

from .conftest import recorded

pytestmark = pytest.mark.django_db(transaction=True)

schedule_migration = importlib.import_module(
    "diarization_portal.sync.migrations.0002_sweep_schedule"
)


def new_job(account) -> Job:
    return services.job_create(account=account, source_url="https://media.example.org/a.mp3")


def test_job_create_puts_the_submit_on_the_broker_after_commit(account):
    with transaction.atomic():
        job = new_job(account)
        assert broker.queued() == []  # nothing before commit
    assert broker.queued_tasks()[0]["func"] == "diarization_portal.sync.tasks.submit_job"
    assert broker.queued() == [("submit_job", (job.pk,))]


def test_a_rolled_back_create_enqueues_nothing(account, tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        new_job(account)
        raise RuntimeError("boom")
    assert tasks.calls == [] and Job.objects.count() == 0


def test_submit_task_runs_the_service_and_reports_the_state(account, tasks, mocked):
    job = new_job(account)
    mocked.post("https://api.symbl.ai/oauth2/token:generate", json=recorded("symbl", "token.json"))
    mocked.post(
        "https://api.symbl.ai/v1/process/audio/url",
        status=201,
        json=recorded("symbl", "submit.json"),
    )
    assert sync_tasks.submit_job(job.pk) == "submitted"
    assert sync_tasks.submit_job(job.pk).startswith("skipped")


def test_an_unexpected_error_in_a_step_counts_as_an_attempt_and_ends_failed(
    account, tasks, monkeypatch
):
    job = new_job(account)

    def broken(job, client):
        raise KeyError("conversationId")

    monkeypatch.setattr(sync_tasks.services.jobs.vendors, "submit", broken)
    monkeypatch.setattr(sync_tasks.services.jobs, "_client", lambda job: object())
    with pytest.raises(KeyError):
        sync_tasks.submit_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_type) == (JobState.QUEUED, 1, "internal")
    assert "KeyError" in job.error_message and job.next_check_at > timezone.now()

    for _ in range(services.MAX_ATTEMPTS - 1):
        Job.objects.filter(pk=job.pk).update(next_check_at=timezone.now())
        with pytest.raises(KeyError):
            sync_tasks.submit_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.FAILED, services.MAX_ATTEMPTS)
    assert job.error_message.startswith(f"gave up after {services.MAX_ATTEMPTS} attempts")


def test_tasks_skip_jobs_in_other_states(account, tasks):
    job = new_job(account)
    assert sync_tasks.poll_job(job.pk).startswith("skipped")
    assert sync_tasks.import_job(job.pk).startswith("skipped")


def test_sweeper_enqueues_the_next_step_of_each_due_job(account, tasks):
    now = timezone.now()
    queued, polled, importing, later, done = (new_job(account) for _ in range(5))
    tasks.take()
    Job.objects.filter(pk=polled.pk).update(state=JobState.PROCESSING)
    Job.objects.filter(pk=importing.pk).update(state=JobState.IMPORTING)
    Job.objects.filter(pk=later.pk).update(
        state=JobState.SUBMITTED, next_check_at=now + timedelta(minutes=5)
    )
    Job.objects.filter(pk=done.pk).update(state=JobState.DONE)
    assert set(services.jobs_due()) == {queued, polled, importing}
    assert sync_tasks.sweep_due_jobs() == "3 jobs enqueued"
    assert sorted(tasks.calls) == sorted(
        [("submit_job", (queued.pk,)), ("poll_job", (polled.pk,)), ("import_job", (importing.pk,))]
    )


def test_jobs_without_a_next_check_are_swept_first_on_every_database(account, tasks):
    """An unset ``next_check_at`` means due now: such a job comes before the oldest due check
    (PostgreSQL sorts NULL after every date unless told otherwise; SQLite before)."""
    now = timezone.now()
    late, unset = new_job(account), new_job(account)
    Job.objects.filter(pk=late.pk).update(next_check_at=now - timedelta(minutes=5))
    Job.objects.filter(pk=unset.pk).update(next_check_at=None)
    assert list(services.jobs_due(now=now)) == [unset, late]


def test_file_import_jobs_are_never_swept(workspace, tasks):
    from tests import factories

    conversation = factories.conversation(workspace)
    Job.objects.create(conversation=conversation, kind="import", state=JobState.QUEUED)
    assert list(services.jobs_due()) == []


def test_push_member_task_returns_the_sync_state(workspace):
    from tests import factories

    member = factories.conversation(workspace).members.first()
    assert sync_tasks.push_member(member.pk) == "local"


def test_the_sweep_schedule_is_created_once_every_minute():
    schedule_migration.create_schedule(apps, None)
    schedule_migration.create_schedule(apps, None)  # idempotent
    schedule = Schedule.objects.get(name=schedule_migration.SCHEDULE_NAME)
    assert schedule.func == "diarization_portal.sync.tasks.sweep_due_jobs"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
    schedule_migration.delete_schedule(apps, None)
    assert not Schedule.objects.filter(name=schedule_migration.SCHEDULE_NAME).exists()
