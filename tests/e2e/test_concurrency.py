"""Many jobs at once through every cluster of the run (two clusters of three workers on the
production stack, one cluster on SQLite; see ``conftest.py``): recordings sent at the same
moment from the dashboard's forms and from the REST API, duplicate deliveries of their tasks,
appends racing into one conversation, and a cluster killed in the middle of an import. Each
job is submitted to the vendor once, imported once, and holds the vendor's result exactly:
no message twice, no recording over another. Last, two pushes of one renamed speaker side
by side: the vendor ends with the last name."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from django.db.models import Count, Max, Min
from django.utils import timezone
from django_q.models import Task

from diarization_portal.conversations.models import (
    Insight,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.emulator import Advance, Fault
from tests.emulator.elevenlabs import turns_of_words

from .checks import members
from .portal import Api, Dashboard

pytestmark = pytest.mark.e2e

#: Recordings sent at once from each side (dashboard, API) in the concurrency tests.
EACH_SIDE = 4
STEPS = {"submit_job", "poll_job", "import_job"}
MEMBER_PUT = "PUT /v1/conversations/*/members/*"


def _url(name: str) -> str:
    return f"https://media.example.org/recordings/{name}.mp3"


def at_once(calls: list[Callable[[], object]], timeout: float = 60.0) -> list[object]:
    """Run ``calls`` each in a thread of its own, released together; return their results
    in order. Re-raises the first exception a call raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = call()
        except BaseException as err:  # reported to the test below
            errors.append(err)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results


def _editor_clients(e2e) -> tuple[Dashboard, Api]:
    editor = factories.user(e2e.workspace, Role.EDITOR)
    return Dashboard(e2e.live_server.url, editor.username), Api(e2e.live_server.url, editor)


def _task_results(step: str) -> Counter:
    """``(job id, result)`` of every ``step`` task the clusters ran."""
    tasks = Task.objects.filter(func=f"{services.TASKS}.{step}")
    return Counter((task.args[0], task.result) for task in tasks)


def _no_message_twice() -> None:
    doubles = (
        Message.objects.values("conversation_id", "external_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not doubles.exists(), list(doubles[:5])


def _clusters_at_work(e2e) -> dict[str, int]:
    """Sync steps each cluster took; every cluster must have taken some."""
    steps = {
        cluster.name: sum(t.partition("(")[0] in STEPS for t in e2e.tasks_taken(cluster))
        for cluster in e2e.clusters
    }
    assert all(steps.values()), f"a cluster took no job step: {steps}"
    return steps


def test_recordings_sent_at_once_from_the_dashboard_and_the_api_are_each_sent_and_imported_once(
    e2e,
):
    started = time.monotonic()
    symbl = e2e.emulator.symbl
    symbl.advance = Advance.every(0.3)
    account = e2e.account("symbl", label="Symbl team")
    dashboard, api = _editor_clients(e2e)
    new = f"/w/{e2e.workspace.slug}/new/"
    sends = [
        partial(
            dashboard.send,
            new,
            account=account.pk,
            source_url=_url(f"dashboard-{i}"),
            title=f"Dashboard call {i}",
            speaker_count=4,
        )
        for i in range(EACH_SIDE)
    ] + [
        partial(
            api.submit,
            {"url": _url(f"api-{i}"), "name": f"API call {i}", "accountId": str(account.pk)},
        )
        for i in range(EACH_SIDE)
    ]
    at_once(sends)
    jobs = list(Job.objects.filter(account=account).order_by("pk"))
    assert len(jobs) == 2 * EACH_SIDE
    assert len({job.conversation_id for job in jobs}) == len(jobs)
    # Every submit is delivered twice more (a sweep of each cluster, say): whichever worker
    # of whichever cluster takes a copy first submits, the others find the job taken.
    for job in jobs:
        services.enqueue("submit_job", job.pk)
        services.enqueue("submit_job", job.pk)

    jobs = [e2e.wait_job(job, timeout=90) for job in jobs]
    assert e2e.drain()
    assert {(job.state, job.attempts, job.error_type) for job in jobs} == {(JobState.DONE, 0, "")}

    # Sent to Symbl once each (the submit names the portal's job) and accepted once.
    submits = e2e.emulator.requests("symbl", "POST /v1/process/audio/url")
    sent = Counter(request.json()["name"] for request in submits)
    assert sent == Counter(f"diarization-portal-job-{job.pk}" for job in jobs)
    assert {request.status for request in submits} == {201}
    submitted = _task_results("submit_job")
    assert all(submitted[(job.pk, JobState.SUBMITTED)] == 1 for job in jobs), submitted
    # Imported once each: one fetch of the messages and one import that stored them.
    imported = _task_results("import_job")
    assert all(imported[(job.pk, JobState.DONE)] == 1 for job in jobs), imported
    for job in jobs:
        vendor = symbl.conversation(job.vendor_conversation_id)
        assert job.conversation.external_id == vendor.id
        fetches = e2e.emulator.requests("symbl", f"GET /v1/conversations/{vendor.id}/messages")
        assert len(fetches) == 1
        ids = Message.objects.filter(conversation=job.conversation).values_list(
            "external_id", flat=True
        )
        assert sorted(ids) == sorted(vendor.message_ids())
        assert Insight.objects.filter(conversation=job.conversation).count() == len(vendor.insights)
        assert Member.objects.filter(conversation=job.conversation).count() == len(vendor.members)
    _no_message_twice()
    steps = _clusters_at_work(e2e)
    print(
        f"\n{len(jobs)} jobs sent at once ({EACH_SIDE} dashboard, {EACH_SIDE} API): "
        f"{len(submits)} submits at Symbl, {sum(imported[(j.pk, 'done')] for j in jobs)} "
        f"imports, {Message.objects.count()} messages, 0 twice; job steps taken per cluster "
        f"{steps}; {time.monotonic() - started:.1f} s"
    )


def test_recordings_appended_at_once_each_get_their_own_time_span(e2e):
    """Recordings appended to one conversation at the same moment are imported one after the
    other: each starts where the conversation ended before it, none over another."""
    started = time.monotonic()
    eleven = e2e.emulator.elevenlabs
    eleven.advance = Advance.every(0.3)
    account = e2e.account("elevenlabs", label="ElevenLabs team")
    first = e2e.wait_job(
        services.job_create(
            account=account,
            source_url=_url("stand-up"),
            title="Stand-up",
            options={"product": "stt"},
        )
    )
    conversation = first.conversation
    dashboard, api = _editor_clients(e2e)
    send = f"/c/{conversation.pk}/send/"
    appends = [
        partial(
            dashboard.send,
            send,
            account=account.pk,
            source_url=_url(f"stand-up-dashboard-{i}"),
            elevenlabs_product="stt",
            elevenlabs_model_id="scribe_v1",
        )
        for i in range(EACH_SIDE)
    ] + [
        partial(
            api.submit,
            {
                "url": _url(f"stand-up-api-{i}"),
                "accountId": str(account.pk),
                "options": {"product": "stt"},
            },
            conversation.pk,
        )
        for i in range(EACH_SIDE)
    ]
    at_once(appends)
    jobs = list(conversation.jobs.filter(kind=JobKind.APPEND).order_by("pk"))
    assert len(jobs) == 2 * EACH_SIDE
    jobs = [first, *(e2e.wait_job(job, timeout=90) for job in jobs)]
    assert e2e.drain()
    assert {(job.state, job.attempts) for job in jobs} == {(JobState.DONE, 0)}

    transcriptions = e2e.emulator.requests("elevenlabs", "POST /v1/speech-to-text")
    sent = Counter(request.form()["webhook_metadata"].text for request in transcriptions)
    assert sent == Counter(f'{{"portal_job_id":{job.pk}}}' for job in jobs)
    turns = turns_of_words(eleven.words)
    spans = []
    for job in jobs:
        rows = Message.objects.filter(job=job).aggregate(
            n=Count("pk"), a=Min("start"), b=Max("end")
        )
        assert rows["n"] == len(turns)
        assert rows["a"] == pytest.approx(job.time_offset + turns[0][1])
        spans.append((rows["a"], rows["b"], job.pk))
        assert Member.objects.filter(diarized_messages__job=job).distinct().count() == 3
    spans.sort()
    overlapping = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert not overlapping, f"recordings over one another: {overlapping}"
    assert Message.objects.filter(conversation=conversation).count() == len(jobs) * len(turns)
    _no_message_twice()
    steps = _clusters_at_work(e2e)
    print(
        f"\n{len(jobs) - 1} appends at once into one conversation: {len(transcriptions)} "
        f"transcriptions at ElevenLabs for {len(jobs)} jobs, spans in order without overlap; "
        f"job steps taken per cluster {steps}; {time.monotonic() - started:.1f} s"
    )


def test_an_import_cut_short_by_a_killed_cluster_is_finished_by_the_others(e2e):
    """A cluster dies while one job's result is on its way. The job's lease runs out, the
    sweeper takes it up again, and a running cluster imports it: on the production stack the
    other cluster, on SQLite the one cluster started again."""
    started = time.monotonic()
    symbl = e2e.emulator.symbl
    symbl.advance = Advance.every(0.3)
    account = e2e.account("symbl")
    held = e2e.emulator.inject("symbl", "GET /v1/conversations/*/messages", Fault.hold())
    jobs = [
        services.job_create(account=account, source_url=_url(f"all-hands-{i}")) for i in range(4)
    ]
    assert held.arrived.wait(30), e2e.diagnostics()
    [fetch] = [r for r in e2e.emulator.requests("symbl") if r.fault == "hold"]
    job = Job.objects.get(vendor_conversation_id=fetch.path.split("/")[3])
    # No submit in flight when the cluster dies (a vendor that took a submit whose answer
    # never arrived gets it again: that is a resubmit, not what this test is about).
    e2e.wait_until(
        lambda: not Job.objects.filter(pk__in=[j.pk for j in jobs], state=JobState.QUEUED),
        what="every job submitted",
    )
    holder = e2e.cluster_holding(f"import_job({job.pk})")
    lost = e2e.kill(holder)
    held.release()
    killed_at = timezone.now()
    stuck = Job.objects.get(pk=job.pk)
    assert stuck.state == JobState.IMPORTING and stuck.next_check_at > killed_at
    assert f"import_job({job.pk})" in lost
    others = [cluster for cluster in e2e.clusters if cluster is not holder]
    restarted = not others
    if restarted:  # SQLite: the one cluster comes back
        holder.start()
        others = [holder]

    done = e2e.wait_job(job, timeout=60)
    assert done.attempts == 0 and done.finished_at > stuck.next_check_at
    jobs = [e2e.wait_job(j, timeout=60) for j in jobs]
    assert e2e.drain()
    assert any(f"import_job({job.pk})" in e2e.tasks_taken(cluster) for cluster in others)
    assert holder.running == restarted  # on the production stack, finished without it

    fetches = e2e.emulator.requests("symbl", f"GET /v1/conversations/{fetch.path.split('/')[3]}/*")
    messages = [(f.fault, f.status) for f in fetches if f.path.endswith("/messages")]
    assert messages == [("hold", None), ("", 200)]
    submits = e2e.emulator.requests("symbl", "POST /v1/process/audio/url")
    assert len(submits) == len(jobs)
    for each in jobs:
        vendor = symbl.conversation(each.vendor_conversation_id)
        ids = Message.objects.filter(conversation=each.conversation).values_list(
            "external_id", flat=True
        )
        assert sorted(ids) == sorted(vendor.message_ids())
        assert each.state == JobState.DONE
    _no_message_twice()
    print(
        f"\ncluster {holder.name} killed holding import_job({job.pk}) and {len(lost) - 1} other "
        f"task(s); {len(jobs)} jobs done by {[c.name for c in others]}, {len(submits)} submits, "
        f"0 messages twice; {time.monotonic() - started:.1f} s"
    )


def test_a_rename_pushed_while_an_older_push_is_still_on_its_way_reaches_the_vendor_last(e2e):
    """A speaker is renamed twice in a row: the two pushes run side by side in two workers
    and the first one's request reaches Symbl last. Symbl ends with the last name, and the
    member is synced with it."""
    symbl = e2e.emulator.symbl
    symbl.advance = Advance.every(0.15)
    account = e2e.account("symbl")
    job = e2e.wait_job(services.job_create(account=account, source_url=_url("retro")))
    vendor = symbl.conversation(job.vendor_conversation_id)
    laura = sorted(members(job.conversation).values(), key=lambda m: m.position)[0]

    slow = e2e.emulator.inject("symbl", MEMBER_PUT, Fault.gate())
    speakers.member_rename(member=laura, name="Laura")
    assert slow.arrived.wait(20), e2e.diagnostics()
    speakers.member_rename(member=laura, name="Laura Moreau")
    e2e.wait_until(
        lambda: [r.status for r in e2e.emulator.requests("symbl", MEMBER_PUT)][1:] == [200],
        what="the second push answered while the first is held",
    )
    slow.release()  # the first push's "Laura" reaches Symbl now, after "Laura Moreau"
    e2e.wait_until(
        lambda: (
            Member.objects.get(pk=laura.pk).sync_state == SyncState.SYNCED
            and vendor.members[laura.vendor_label].name == "Laura Moreau"
        ),
        what="Symbl holding the last name",
    )
    assert e2e.drain()
    puts = e2e.emulator.requests("symbl", MEMBER_PUT)
    assert puts[-1].json()["name"] == "Laura Moreau"
    assert vendor.members[laura.vendor_label].name == "Laura Moreau"
    assert Member.objects.get(pk=laura.pk).sync_state == SyncState.SYNCED
