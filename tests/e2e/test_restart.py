"""A worker dies in the middle of a job: the next cluster finishes it, thanks to the job's lease
running out and the sweeper schedule (``sync/0002_sweep_schedule``) taking it up again."""

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
    e2e.stop_sweeper()  # from here on only the cluster's own schedule sweeps
    e2e.cluster.kill()  # the worker dies while the vendor is sending the result
    held.release()
    stuck = type(append).objects.get(pk=append.pk)
    assert stuck.state == JobState.IMPORTING and stuck.next_check_at > timezone.now()
    # The ORM broker would hand the dead worker's task out again after Q_CLUSTER["retry"]
    # (60 s); a Redis broker loses it. Drop it: only the lease and the sweeper may help.
    broker.purge()
    sweep_schedule.create_schedule(apps, None)  # what migrate created; the test flush removed it
    restarted = timezone.now()
    e2e.cluster.start()

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
