"""Webhook views: tokens, bodies, signatures; they only enqueue the fetch a poll would."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from diarization_portal.conversations.models import Job, JobState
from diarization_portal.sync import services, vendors

from .conftest import SECRETS, make_account, recorded

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def post(client, url: str, body, **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers)


def polling(job: Job, **fields) -> Job:
    """Put ``job`` in ``submitted`` with a poll due in a minute."""
    fields = {
        "state": JobState.SUBMITTED,
        "next_check_at": timezone.now() + timezone.timedelta(minutes=1),
        **fields,
    }
    Job.objects.filter(pk=job.pk).update(**fields)
    return Job.objects.get(pk=job.pk)


def make_job(workspace, vendor: str, tasks, **options) -> Job:
    account = make_account(workspace, vendor)
    job = services.job_create(
        account=account, source_url="https://media.example.org/a.flac", options=options
    )
    tasks.take()
    return job


# -- Symbl ----------------------------------------------------------------------------------


@pytest.fixture
def symbl_job(workspace, tasks):
    return polling(make_job(workspace, "symbl", tasks), vendor_job_id="job-1")


def test_symbl_webhook_makes_the_job_due_and_enqueues_a_poll(symbl_job, tasks, csrf_client):
    url = f"/webhooks/symbl/{symbl_job.webhook_token}/"
    response = post(csrf_client, url, {"jobId": "job-1", "status": "completed"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert tasks.calls == [("poll_job", (symbl_job.pk,))]
    job = Job.objects.get(pk=symbl_job.pk)
    assert job.state == JobState.SUBMITTED  # the webhook itself decides nothing
    assert job.next_check_at <= timezone.now()


@pytest.mark.parametrize("token", ["nope", "x" * 43])
def test_symbl_unknown_token_is_404(symbl_job, tasks, client, token):
    assert post(client, f"/webhooks/symbl/{token}/", {"jobId": "job-1"}).status_code == 404
    assert tasks.calls == []


@pytest.mark.parametrize("body", [b"not json", b"[]", {"status": "completed"}, {"jobId": 3}])
def test_symbl_bad_body_is_400(symbl_job, tasks, client, body):
    assert post(client, f"/webhooks/symbl/{symbl_job.webhook_token}/", body).status_code == 400
    assert tasks.calls == []


def test_symbl_other_job_id_is_404(symbl_job, client):
    url = f"/webhooks/symbl/{symbl_job.webhook_token}/"
    assert post(client, url, {"jobId": "job-2", "status": "completed"}).status_code == 404


def test_webhooks_are_post_only(symbl_job, client):
    assert client.get(f"/webhooks/symbl/{symbl_job.webhook_token}/").status_code == 405


def test_a_token_only_works_for_its_own_vendor(workspace, tasks, client):
    job = make_job(workspace, "deepaffects", tasks, encoding="FLAC", sample_rate=16000)
    url = f"/webhooks/symbl/{job.webhook_token}/"
    assert post(client, url, {"jobId": "a", "status": "completed"}).status_code == 404


def test_a_webhook_for_a_finished_job_is_accepted_and_ignored(symbl_job, tasks, client):
    Job.objects.filter(pk=symbl_job.pk).update(state=JobState.DONE)
    url = f"/webhooks/symbl/{symbl_job.webhook_token}/"
    assert post(client, url, {"jobId": "job-1", "status": "completed"}).status_code == 200
    assert tasks.calls == []


# -- DeepAffects ----------------------------------------------------------------------------


@pytest.fixture
def da_job(workspace, tasks):
    job = make_job(workspace, "deepaffects", tasks, encoding="FLAC", sample_rate=16000)
    return polling(job, vendor_job_id=vendors.deepaffects_request_id(job))


def da_body(job: Job, **changes) -> dict:
    return {**recorded("deepaffects", "webhook.json"), "request_id": job.vendor_job_id, **changes}


def test_deepaffects_webhook_keeps_the_result_and_enqueues_a_poll(da_job, tasks, csrf_client):
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(csrf_client, url, da_body(da_job)).status_code == 200
    assert Job.objects.get(pk=da_job.pk).result_payload == da_body(da_job)
    assert tasks.calls == [("poll_job", (da_job.pk,))]


def test_deepaffects_unknown_token_is_404(da_job, client):
    assert post(client, "/webhooks/deepaffects/unknown/", da_body(da_job)).status_code == 404


def test_deepaffects_unknown_request_id_is_404(da_job, tasks, client):
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    body = da_body(da_job, request_id="8c0a7f52-91d4-4c1e-b1b3-0d6a5c2e9f10")
    assert post(client, url, body).status_code == 404
    assert Job.objects.get(pk=da_job.pk).result_payload is None


@pytest.mark.parametrize(
    "change",
    [{"response": None}, {"response": {"segments": [{"start": 0, "end": 1}]}}, {"request_id": ""}],
)
def test_deepaffects_bad_body_is_400(da_job, tasks, client, change):
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, da_body(da_job, **change)).status_code == 400
    assert Job.objects.get(pk=da_job.pk).result_payload is None and tasks.calls == []


def test_deepaffects_result_during_submit_is_kept_without_waking(da_job, tasks, client):
    Job.objects.filter(pk=da_job.pk).update(state=JobState.QUEUED)  # submit still in flight
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, da_body(da_job)).status_code == 200
    job = Job.objects.get(pk=da_job.pk)
    assert job.result_payload is not None and job.next_check_at > timezone.now()
    assert tasks.calls == []


# -- ElevenLabs -----------------------------------------------------------------------------


@pytest.fixture
def el_job(workspace, tasks):
    return polling(make_job(workspace, "elevenlabs", tasks), vendor_job_id="req_1a2b")


def signed(body: bytes, secret: str = SECRETS["webhook_secret"], at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v0={digest}"


def el_post(client, job: Job, body: bytes, signature: str | None):
    headers = {"ElevenLabs-Signature": signature} if signature else {}
    return post(client, f"/webhooks/elevenlabs/{job.account_id}/", body, **headers)


def event(**data) -> bytes:
    body = recorded("elevenlabs", "stt_webhook_event.json")
    body["data"].update(data)
    return json.dumps(body).encode()


def test_elevenlabs_signed_webhook_enqueues_a_poll(el_job, tasks, csrf_client):
    body = event()
    assert el_post(csrf_client, el_job, body, signed(body)).status_code == 200
    assert tasks.calls == [("poll_job", (el_job.pk,))]
    # Without a transcription id to fetch, the signed transcript is kept for the import.
    assert Job.objects.get(pk=el_job.pk).result_payload["data"]["request_id"] == "req_1a2b"


def test_elevenlabs_with_a_transcription_id_keeps_nothing(el_job, tasks, client):
    Job.objects.filter(pk=el_job.pk).update(vendor_conversation_id="tr_9f2c")
    body = event()
    assert el_post(client, el_job, body, signed(body)).status_code == 200
    assert Job.objects.get(pk=el_job.pk).result_payload is None


def test_elevenlabs_finds_the_job_by_our_metadata(el_job, tasks, client):
    Job.objects.filter(pk=el_job.pk).update(vendor_job_id="")  # webhook before submit saved
    body = event(request_id="req_other", webhook_metadata={"portal_job_id": el_job.pk})
    assert el_post(client, el_job, body, signed(body)).status_code == 200
    assert Job.objects.get(pk=el_job.pk).result_payload is not None


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "garbage",
        signed(b"another body"),
        signed(event(), secret="wrong-secret"),
        signed(event(), at=int(time.time()) - 3600),
    ],
)
def test_elevenlabs_bad_signature_is_401(el_job, tasks, client, signature):
    assert el_post(client, el_job, event(), signature).status_code == 401
    assert tasks.calls == [] and Job.objects.get(pk=el_job.pk).result_payload is None


def test_elevenlabs_signed_but_not_json_is_400(el_job, client):
    assert el_post(client, el_job, b"oops", signed(b"oops")).status_code == 400


def test_elevenlabs_unknown_account_or_job_is_404(el_job, client):
    body = event(request_id="req_unknown")
    assert el_post(client, el_job, body, signed(body)).status_code == 404
    response = post(
        client, "/webhooks/elevenlabs/999999/", event(), **{"ElevenLabs-Signature": signed(event())}
    )
    assert response.status_code == 404


# -- abuse: replayed results, dated signatures, large bodies, JSON answers ---------------------


def test_deepaffects_a_different_second_result_is_409_and_the_first_stays(da_job, client, caplog):
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    first = da_body(da_job)
    assert post(client, url, first).status_code == 200
    second = da_body(da_job)
    second["response"]["segments"][0]["speaker_id"] = "intruder"
    with caplog.at_level("WARNING", logger="diarization_portal.sync.views"):
        response = post(client, url, second)
    assert response.status_code == 409
    assert response.json() == {"error": "this job already holds a different result"}
    assert Job.objects.get(pk=da_job.pk).result_payload == first
    assert any("already holds a different result" in r.getMessage() for r in caplog.records)


def test_deepaffects_the_same_result_again_is_200_and_changes_nothing(da_job, tasks, client):
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, da_body(da_job)).status_code == 200
    tasks.take()
    response = post(client, url, da_body(da_job))
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert Job.objects.get(pk=da_job.pk).result_payload == da_body(da_job)
    assert tasks.calls == []


def test_deepaffects_a_different_result_after_the_import_is_409(da_job, client):
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, da_body(da_job)).status_code == 200
    Job.objects.filter(pk=da_job.pk).update(state=JobState.DONE)
    other = da_body(da_job)
    other["response"]["segments"] = other["response"]["segments"][:1]
    assert post(client, url, other).status_code == 409


def test_elevenlabs_a_different_signed_result_is_409(el_job, client):
    first, second = event(), event(text="something else entirely")
    assert el_post(client, el_job, first, signed(first)).status_code == 200
    assert el_post(client, el_job, second, signed(second)).status_code == 409
    assert Job.objects.get(pk=el_job.pk).result_payload == json.loads(first)
    assert el_post(client, el_job, first, signed(first)).status_code == 200


@pytest.mark.parametrize("ahead", [3600, 10 * 365 * 24 * 3600])
def test_elevenlabs_signature_dated_ahead_is_401(el_job, tasks, client, ahead):
    body = event()
    response = el_post(client, el_job, body, signed(body, at=int(time.time()) + ahead))
    assert response.status_code == 401 and response.json() == {"error": "bad signature"}
    assert tasks.calls == [] and Job.objects.get(pk=el_job.pk).result_payload is None


def test_elevenlabs_signature_within_30_minutes_ahead_is_accepted(el_job, client):
    body = event()
    assert el_post(client, el_job, body, signed(body, at=int(time.time()) + 600)).status_code == 200


@pytest.fixture
def small_webhooks(settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 4096
    return settings


def test_a_body_over_the_limit_is_413_naming_it_and_kept_nowhere(da_job, client, small_webhooks):
    body = da_body(da_job)
    body["padding"] = "x" * 5000
    response = post(client, f"/webhooks/deepaffects/{da_job.webhook_token}/", body)
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 4096 and "4096 bytes" in response.json()["error"]
    assert Job.objects.get(pk=da_job.pk).result_payload is None


def test_a_large_content_length_is_413_before_the_body_is_read(da_job, small_webhooks):
    from django.test import RequestFactory

    from diarization_portal.sync.views import deepaffects_webhook

    class Unread:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    request = RequestFactory().post("/webhooks/deepaffects/x/", b"", content_type="text/plain")
    request.META["CONTENT_LENGTH"] = str(48 * 1024 * 1024)
    request._stream = Unread()
    response = deepaffects_webhook(request, token=da_job.webhook_token)
    assert response.status_code == 413


def test_a_48_mb_body_is_refused_with_the_default_limit(el_job, client):
    body = b'{"type":"x","data":{},"pad":"' + b"x" * (48 * 1024 * 1024) + b'"}'
    response = el_post(client, el_job, body, signed(body))
    assert response.status_code == 413
    assert Job.objects.get(pk=el_job.pk).result_payload is None


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/symbl/unknown-token/",
        "/webhooks/deepaffects/unknown-token/",
        "/webhooks/elevenlabs/999999/",
        "/webhooks/elevenlabs/not-a-number/",
        "/webhooks/nothing-here/",
    ],
)
def test_unknown_webhooks_are_json_404(path, client):
    response = post(client, path, {"jobId": "a", "status": "completed"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "unknown webhook"}


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_json_405(symbl_job, client, method):
    response = getattr(client, method)(f"/webhooks/symbl/{symbl_job.webhook_token}/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json" and response["Allow"] == "POST"
    assert "error" in response.json()


def test_a_deeply_nested_body_is_400_not_a_server_error(da_job, el_job, client):
    deep = b"[" * 100_000 + b"]" * 100_000
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, deep).status_code == 400
    assert el_post(client, el_job, deep, signed(deep)).status_code == 400


@pytest.mark.parametrize("value", ["spk\u0000", float("nan")], ids=["nul", "nan"])
def test_a_result_that_cannot_be_stored_is_400_on_both_backends(da_job, el_job, client, value):
    body = da_body(da_job)
    body["response"]["segments"][0]["extra"] = value
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, json.dumps(body)).status_code == 400
    assert Job.objects.get(pk=da_job.pk).result_payload is None
    signed_body = event(extra=value)
    assert el_post(client, el_job, signed_body, signed(signed_body)).status_code == 400
    assert Job.objects.get(pk=el_job.pk).result_payload is None


def test_deepaffects_the_same_result_under_another_request_id_of_the_job_is_200(da_job, client):
    """A resubmitted job sent two requests; both results arrive and are the same diarization."""
    Job.objects.filter(pk=da_job.pk).update(attempts=1)
    other_id = vendors.deepaffects_request_id(Job.objects.get(pk=da_job.pk), 1)
    assert other_id != da_job.vendor_job_id
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert post(client, url, da_body(da_job)).status_code == 200
    assert post(client, url, da_body(da_job, request_id=other_id)).status_code == 200
    changed = da_body(da_job, request_id=other_id)
    changed["response"]["segments"] = changed["response"]["segments"][1:]
    assert post(client, url, changed).status_code == 409
    assert Job.objects.get(pk=da_job.pk).result_payload == da_body(da_job)
