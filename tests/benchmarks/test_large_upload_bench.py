"""A 2,000,000-line RTTM file uploaded through the REST API: the web request only stores the
file on an import job and answers 202 (it must return in seconds, whatever the file's size),
and the background task then parses and imports it.

Figures: the size of the file, the time of the web request (the test client builds the
multipart body in memory first; that is not counted), and the background import run in a
forked child process as a worker would run it: its time, its peak resident memory
(``ru_maxrss``, the whole process: Python objects, the file, SQLite's page cache) next to the
resident memory of the process before it, and the rows it wrote.

Run on demand (see README.md)::

    .venv/bin/python -m pytest tests/benchmarks/test_large_upload_bench.py -s \
        -p no:cacheprovider -o addopts=""
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.client import encode_multipart
from django.urls import reverse

from diarization_portal.conversations import tasks
from diarization_portal.conversations.models import Conversation, Job, JobState, Message
from diarization_portal.conversations.services import file_jobs
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.api.conftest import bearer

from ._helpers import report

pytestmark = pytest.mark.benchmark

LINES = 2_000_000
SPEAKERS = 8
#: The web request must answer within this many seconds (it stores the file, no parse).
REQUEST_TARGET_S = 10.0


def make_rttm(path: Path, lines: int = LINES) -> Path:
    """``lines`` back-to-back ``SPEAKER`` lines of ``SPEAKERS`` speakers, written in chunks."""
    with path.open("w", encoding="utf-8") as out:
        t, chunk = 0.0, []
        for i in range(lines):
            duration = 1.0 + (i * 7 % 13) / 4
            who = (i // 2) % SPEAKERS
            chunk.append(f"SPEAKER big 1 {t:.3f} {duration:.3f} <NA> <NA> spk{who:02d} <NA> <NA>\n")
            t += duration + 0.15
            if len(chunk) == 50_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
    return path


def _upload(client: Client, auth: dict, path: Path) -> tuple[float, dict]:
    boundary = "BenchBoundary"
    with path.open("rb") as handle:
        body = encode_multipart(boundary, {"file": handle, "format": "rttm"})
    started = time.perf_counter()
    response = client.generic(
        "POST",
        reverse("api:conversation_import"),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **auth,
    )
    elapsed = time.perf_counter() - started
    del body
    assert response.status_code == 202, response.content[:500]
    return elapsed, response.json()


def _rss_mb() -> float:
    """This process's resident memory now, in MB (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _import_in_a_child(job_id: int) -> tuple[float, float, str]:
    """Run the background import of ``job_id`` in a forked child process, as a worker would;
    return its time in seconds, the child's peak resident memory in MB (``ru_maxrss``: it
    includes the memory it shared with this process at the fork) and the job's state."""
    connection.close()  # the child opens its own connection
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            tasks.import_file(job_id)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0
    return elapsed, usage.ru_maxrss / 1024, Job.objects.get(pk=job_id).state


def test_a_2m_line_rttm_upload_answers_at_once_and_imports_in_the_background(
    bench_db, tmp_path, settings, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_MAX_BYTES = 256 * 1024 * 1024
    queued: list[tuple] = []
    monkeypatch.setattr(file_jobs, "async_task", lambda *args: queued.append(args))
    path = make_rttm(tmp_path / "big.rttm")
    size = path.stat().st_size
    ws = factories.workspace("Bench uploads")
    auth = bearer(factories.user(ws, Role.EDITOR))
    client = Client()
    report(f"BENCH upload_rttm_file lines={LINES} bytes={size} mb={size / 1_048_576:.1f}")

    request_s, body = _upload(client, auth, path)
    report(f"BENCH upload_rttm_request_s {request_s:.2f} status=202 (target < {REQUEST_TARGET_S})")
    job_id = int(body["jobId"])
    assert [args[1] for args in queued] == [job_id]
    gc.collect()
    before = _rss_mb()
    import_s, peak_mb, state = _import_in_a_child(job_id)
    assert state == JobState.DONE
    job = Job.objects.get(pk=job_id)
    rows = Message.objects.filter(job=job).count()
    assert rows == LINES and not job.media
    report(f"BENCH upload_rttm_background_import_s {import_s:.1f} messages={rows}")
    report(
        f"BENCH upload_rttm_background_import_peak_rss_mb {peak_mb:.0f} "
        f"(process before the import {before:.0f})"
    )
    Conversation.objects.filter(workspace=ws).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE conversations_message")
    assert request_s < REQUEST_TARGET_S
