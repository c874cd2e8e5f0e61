"""Fault injection and the request log of the emulator, seen through the portal's clients."""

from __future__ import annotations

import threading
import time

import pytest

from providers.symbl import SymblClient
from providers.types import ProviderError
from tests.emulator import Fault

MEDIA = "https://media.example.org/weekly.mp3"


@pytest.fixture
def client(emulator):
    session = emulator.session("Symbl", timeout=(1, 0.5))
    return SymblClient("app", "secret", base_url=emulator.base_url("symbl"), session=session)


@pytest.fixture
def job(client):
    return client.submit_url(MEDIA, name="a")


def _error(call) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        call()
    return info.value


def test_http_faults_hit_the_matching_requests_as_many_times_as_asked(emulator, client, job):
    fault = emulator.inject("symbl", "GET /v1/job/*", Fault.http(429, retry_after=2), times=2)
    errors = [_error(lambda: client.job_status(job.job_id)) for _ in range(2)]
    assert [(e.status, e.retryable, e.retry_after) for e in errors] == [(429, True, 2.0)] * 2
    assert "emulated HTTP 429" in errors[0].message and fault.hits == 2
    assert client.job_status(job.job_id).vendor_state == "scheduled"  # not advanced before
    assert [r.status for r in emulator.requests("symbl", "GET /v1/job/*")] == [429, 429, 200]
    assert [r.fault for r in emulator.requests("symbl", "GET /v1/job/*")] == ["http", "http", ""]

    emulator.inject("symbl", "GET /v1/conversations/*", Fault.http(500, body="<h1>oops</h1>"))
    error = _error(lambda: client.fetch_transcript(job.conversation_id))
    assert error.status == 500 and error.retryable and "oops" not in error.message
    assert "HTTP 500: Internal Server Error (text/plain body" in error.message


def test_a_timeout_holds_the_connection_past_the_client_timeout_and_does_no_work(
    emulator, client, job
):
    emulator.inject("symbl", "GET /v1/job/*", Fault.timeout(2))
    started = time.monotonic()
    error = _error(lambda: client.job_status(job.job_id))
    assert error.error_type == "timeout" and error.retryable
    assert time.monotonic() - started < 1.5
    assert client.job_status(job.job_id).vendor_state == "scheduled"


def test_a_hold_lasts_until_released_and_then_drops_the_connection(emulator, client, job):
    fault = emulator.inject("symbl", "GET /v1/job/*", Fault.hold())
    slow = SymblClient(
        "app", "secret", base_url=emulator.base_url("symbl"), session=emulator.session("Symbl")
    )
    errors = []
    caller = threading.Thread(
        target=lambda: errors.append(_error(lambda: slow.job_status(job.job_id)))
    )
    caller.start()
    assert fault.arrived.wait(5)
    time.sleep(0.2)
    assert caller.is_alive()  # still waiting for an answer
    fault.release()
    caller.join(5)
    assert errors and errors[0].error_type == "connection" and errors[0].retryable
    [held] = emulator.requests("symbl", "GET /v1/job/*")
    assert held.status is None and held.fault == "hold"


def test_a_gate_holds_the_request_until_released_and_then_answers_it(emulator, client, job):
    fault = emulator.inject("symbl", "GET /v1/job/*", Fault.gate())
    patient = SymblClient(
        "app", "secret", base_url=emulator.base_url("symbl"), session=emulator.session("Symbl")
    )
    states = []
    caller = threading.Thread(target=lambda: states.append(patient.job_status(job.job_id)))
    caller.start()
    assert fault.arrived.wait(5)
    [held] = emulator.requests("symbl", "GET /v1/job/*")
    time.sleep(0.2)
    assert caller.is_alive() and held.status is None  # not answered yet
    fault.release()
    caller.join(5)
    assert [s.vendor_state for s in states] == ["scheduled"]
    assert (held.status, held.fault) == (200, "gate")
    assert client.job_status(job.job_id).vendor_state == "in_progress"  # the work was done


def test_malformed_bodies_truncated_after_the_work_or_an_html_page_instead(emulator, client, job):
    emulator.inject("symbl", "GET /v1/job/*", Fault.malformed("truncated"))
    error = _error(lambda: client.job_status(job.job_id))
    assert error.error_type == "malformed_body" and error.retryable
    assert client.job_status(job.job_id).vendor_state == "in_progress"  # the work was done
    emulator.inject("symbl", "GET /v1/job/*", Fault.malformed("html", status=200))
    error = _error(lambda: client.job_status(job.job_id))
    assert error.error_type == "malformed_body" and "text/html" in error.message


def test_wait_for_reports_the_request_log_when_nothing_comes(emulator, client, job):
    client.job_status(job.job_id)
    [answered] = emulator.wait_for("symbl", "GET /v1/job/*", timeout=1)
    assert answered.status == 200
    with pytest.raises(AssertionError, match=r"POST /v1/process/audio/url\?\S+ -> 201"):
        emulator.wait_for("symbl", "PUT /v1/*", timeout=0.1)
