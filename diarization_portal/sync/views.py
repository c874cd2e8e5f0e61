"""Vendor webhooks (DESIGN §4): answer fast, call no vendor, only trigger the same fetch a
poll would (:func:`services.job_webhook`).

All are CSRF-exempt and POST-only (405 otherwise). Answers: 200 ``{"ok": true}`` once
accepted (also for a job already finished, so the vendor stops retrying); 404 for an unknown
token, account or job; 400 for a body that is not what the vendor sends; 401 for a bad
ElevenLabs signature.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from diarization_portal.conversations.models import Job, Vendor
from providers.deepaffects import webhook_to_transcript
from providers.elevenlabs import SIGNATURE_HEADER, verify_webhook
from providers.types import ParseError, ProviderError

from . import services, vendors
from .models import ProviderAccount


def _accepted() -> JsonResponse:
    return JsonResponse({"ok": True})


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _job_for(token: str, vendor: str) -> Job:
    """The vendor job whose webhook token is ``token``; Http404 otherwise."""
    job = (
        Job.objects.filter(webhook_token=token, account__vendor=vendor)
        .select_related("account")
        .first()
    )
    if job is None:
        raise Http404("unknown webhook")
    return job


def _json(request: HttpRequest) -> dict | None:
    try:
        body = json.loads(request.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def symbl_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """Symbl job status change ``{"jobId", "status"}`` (vendor-apis.md 1.4) for the job of
    ``token``: the job is polled at once (the body itself is not trusted)."""
    job = _job_for(token, Vendor.SYMBL)
    body = _json(request)
    if body is None or not isinstance(body.get("jobId"), str) or "status" not in body:
        return _bad_request("expected {jobId, status}")
    if job.vendor_job_id and body["jobId"] != job.vendor_job_id:
        raise Http404("unknown job")
    services.job_webhook(job_id=job.pk)
    return _accepted()


@csrf_exempt
@require_POST
def deepaffects_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """DeepAffects diarization result ``{"request_id", "response": {...}}`` (4.1). The result
    only exists in this body, so it is checked, kept on the job and imported by the tasks;
    a ``request_id`` this job never sent is refused (404)."""
    job = _job_for(token, Vendor.DEEPAFFECTS)
    body = _json(request)
    if body is None:
        return _bad_request("expected a JSON object")
    try:
        request_id, _ = webhook_to_transcript(body)
    except ParseError as err:
        return _bad_request(str(err))
    if request_id not in vendors.deepaffects_request_ids(job):
        raise Http404("unknown request_id")
    services.job_webhook(job_id=job.pk, payload=body)
    return _accepted()


@csrf_exempt
@require_POST
def elevenlabs_webhook(request: HttpRequest, account_id: int) -> JsonResponse:
    """ElevenLabs speech-to-text webhook (2.2) for ``account_id``, verified with the
    account's webhook secret (``ElevenLabs-Signature``, 30 min tolerance). The job is found by
    ``data.request_id`` or by our ``webhook_metadata.portal_job_id``; it is polled at once
    (the transcript is kept from the body only when we have no transcription id to fetch)."""
    account = get_object_or_404(ProviderAccount, pk=account_id, vendor=Vendor.ELEVENLABS)
    try:
        event = verify_webhook(
            request.body, request.headers.get(SIGNATURE_HEADER), account.webhook_secret
        )
    except ProviderError as err:
        if err.error_type == "malformed_body":
            return _bad_request("expected a JSON object")
        return JsonResponse({"error": "bad signature"}, status=401)
    data = event.get("data")
    if not isinstance(data, Mapping):
        return _bad_request("expected a data object")
    job = _elevenlabs_job(account, data)
    if job is None:
        raise Http404("unknown job")
    payload = None if job.vendor_conversation_id else event
    services.job_webhook(job_id=job.pk, payload=payload)
    return _accepted()


def _elevenlabs_job(account: ProviderAccount, data: Mapping) -> Job | None:
    jobs = Job.objects.filter(account=account)
    request_id = data.get("request_id")
    if isinstance(request_id, str) and request_id:
        job = jobs.filter(vendor_job_id=request_id).first()
        if job is not None:
            return job
    metadata = data.get("webhook_metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    job_id = metadata.get("portal_job_id") if isinstance(metadata, Mapping) else None
    if isinstance(job_id, int) and not isinstance(job_id, bool):
        return jobs.filter(pk=job_id).first()
    return None
