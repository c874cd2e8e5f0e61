"""A cluster dies in the middle of a job: the clusters running after it finish the job, thanks to
the job's lease running out and the sweeper schedule (``sync/0002_sweep_schedule``) taking it up
again. On SQLite the one cluster is started again; on the production stack the other cluster
keeps running and the killed one is started again beside it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from django_q.models import Schedule, Task

from diarization_portal.conversations.models import JobKind, JobState, Member, Message, SyncState
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from tests import broker
from tests.emulator import Advance, Fault

from . import brokers
from .checks import members

pytestmark = pytest.mark.e2e
sweep_schedule = importlib.import_module("diarization_portal.sync.migrations.0002_sweep_schedule")

MEDIA = "https://media.example.org/recordings/kick-off.mp3"
APPENDED = "https://media.example.org/recordings/kick-off-part-2.mp3"


def test_an_import_cut_short_by_a_killed_cluster_is_finished_by_the_next_one(e2e):
    e2e.emulator.symbl.advance = Advance.every(0.3)
    account = e2e.account("symbl")
    first = e2e.wait_job(services.job_create(account=account, source_url=MEDIA))
    conversation = first.conversation
    laura = sorted(members(conversation).values(), key=lambda m: m.position)[0]
    speakers.member_rename(member=laura, name="Laura", email="laura@example.org")
    e2e.wait_until(lambda: Member.objects.get(pk=laura.pk).sync_state == SyncState.SYNCED)

    held = e2e.emulator.inject("symbl", "GET /v1/conversations/*/messages", Fault.hold())
    append = services.job_create(
        account=account, kind=JobKind.APPEND, conversation=conversation, source_url=APPENDED
    )
    assert held.arrived.wait(30), e2e.diagnostics()
    e2e.stop_sweeper()  # from here on only the clusters' own schedule sweeps
    task = ("import_job", (append.pk,))
    holder = e2e.cluster_holding(f"import_job({append.pk})")
    holder.kill()  # the worker dies while the vendor is sending the result
    held.release()
    stuck = type(append).objects.get(pk=append.pk)
    assert stuck.state == JobState.IMPORTING and stuck.next_check_at > timezone.now()
    if broker.uses_redis():
        # The dead cluster took the task off the Redis list: it is lost with it.
        assert task not in broker.queued()
    else:
        # The ORM broker keeps the row, locked: it would hand the task out again once
        # Q_CLUSTER["retry"] (60 s) has passed since it was taken.
        assert task in broker.queued()
    assert f"import_job({append.pk})" in brokers.drop_taken(holder.name)
    broker.purge()  # and anything else waiting: only the lease and the sweeper may help
    sweep_schedule.create_schedule(apps, None)  # what migrate created; the test flush removed it
    # Its first run after the lease has run out (a cluster looks at schedules every 30 s).
    Schedule.objects.filter(name=sweep_schedule.SCHEDULE_NAME).update(next_run=stuck.next_check_at)
    restarted = timezone.now()
    e2e.clusters.start()

    done = e2e.wait_job(append, timeout=90)
    assert done.attempts == 0 and done.finished_at > stuck.next_check_at
    assert e2e.drain()  # django-q2 saves a task's result before it takes it off the queue
    sweeps = Task.objects.filter(func=sweep_schedule.SWEEP_FUNC, started__gte=restarted)
    assert any(t.success and t.result == "1 jobs enqueued" for t in sweeps), e2e.diagnostics()
    imports = Task.objects.filter(func__endswith=".import_job", started__gte=restarted)
    assert [t.success for t in imports] == [True]
    assert Schedule.objects.get(name=sweep_schedule.SCHEDULE_NAME).minutes == 1

    fetches = e2e.emulator.requests("symbl", "GET /v1/conversations/*/messages")
    assert [(f.fault, f.status) for f in fetches[-2:]] == [("hold", None), ("", 200)]
    vendor = e2e.emulator.symbl.conversation(conversation.external_id)
    messages = Message.objects.filter(conversation=conversation)
    ids = list(messages.values_list("external_id", flat=True))
    assert sorted(ids) == sorted(vendor.message_ids()) and len(set(ids)) == len(ids)
    laura.refresh_from_db()
    assert (laura.name, laura.email, laura.sync_state) == ("Laura", "laura@example.org", "synced")
