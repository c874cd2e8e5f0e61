"""Vendor webhooks (DESIGN §4): answer fast, call no vendor, only trigger the same fetch a
poll would (:func:`services.job_webhook`).

All are CSRF-exempt and POST-only. Every answer is JSON: 200 ``{"ok": true}`` once accepted
(also for a job already finished, and for the same result sent again, so the vendor stops
retrying); 404 for an unknown token, account or job (and any other path under
``/webhooks/``); 405 for another method; 400 for a body that is not what the vendor sends;
401 for a bad ElevenLabs signature; 409 for a result that differs from the one the job already
holds (the first accepted result wins; logged); 413 for a body over
``settings.WEBHOOK_MAX_BODY_BYTES``, refused before it is read or parsed.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt

from diarization_portal.conversations.models import Job, Vendor
from diarization_portal.conversations.services.import_checks import json_fault
from providers.deepaffects import webhook_to_transcript
from providers.elevenlabs import SIGNATURE_HEADER, verify_webhook
from providers.types import ParseError, ProviderError

from . import services, vendors
from .models import ProviderAccount

logger = logging.getLogger(__name__)


def _accepted() -> JsonResponse:
    return JsonResponse({"ok": True})


def _bad_request(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


class BodyTooLarge(Exception):
    """The request body is over ``settings.WEBHOOK_MAX_BODY_BYTES``."""


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {"error": f"the body is larger than the limit of {limit} bytes", "limit_bytes": limit},
        status=413,
    )


def read_body(request: HttpRequest, limit: int) -> bytes:
    """Return the request body, at most ``limit`` bytes. Raises :class:`BodyTooLarge` when the
    ``Content-Length`` header announces more (before anything is read) or when more than
    ``limit`` bytes arrive anyway (the read stops at ``limit + 1``)."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        raise BodyTooLarge
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge
    return body


def webhook(view: Callable) -> Callable:
    """Make ``view(request, body, **kwargs)`` a webhook endpoint: CSRF-exempt, POST only
    (405 JSON otherwise), the body read with :func:`read_body` (413 JSON over the limit), and
    an ``Http404`` raised inside answered as JSON 404."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, **kwargs) -> JsonResponse:
        if request.method != "POST":
            response = JsonResponse({"error": "method not allowed, use POST"}, status=405)
            response["Allow"] = "POST"
            return response
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        try:
            body = read_body(request, limit)
        except BodyTooLarge:
            logger.warning("webhook %s: body over %s bytes refused", request.path, limit)
            return _too_large(limit)
        try:
            return view(request, body, **kwargs)
        except Http404:
            return JsonResponse({"error": "unknown webhook"}, status=404)
        except services.WebhookConflict as err:
            logger.warning("webhook %s refused: %s", request.path, err)
            return JsonResponse({"error": "this job already holds a different result"}, status=409)

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under ``/webhooks/``: a JSON 404."""
    return JsonResponse({"error": "unknown webhook"}, status=404)


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


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json(body: bytes) -> dict | None:
    """The JSON object of ``body``, or None when it is not one or could not be stored as a
    job's result on both backends (NaN, NUL characters, nesting deeper than 64 levels)."""
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or json_fault(data, max_depth=64):
        return None
    return data


@webhook
def symbl_webhook(request: HttpRequest, body: bytes, token: str) -> JsonResponse:
    """Symbl job status change ``{"jobId", "status"}`` (vendor-apis.md 1.4) for the job of
    ``token``: the job is polled at once (the body itself is not trusted)."""
    job = _job_for(token, Vendor.SYMBL)
    data = _json(body)
    if data is None or not isinstance(data.get("jobId"), str) or "status" not in data:
        return _bad_request("expected {jobId, status}")
    if job.vendor_job_id and data["jobId"] != job.vendor_job_id:
        raise Http404("unknown job")
    services.job_webhook(job_id=job.pk)
    return _accepted()


@webhook
def deepaffects_webhook(request: HttpRequest, body: bytes, token: str) -> JsonResponse:
    """DeepAffects diarization result ``{"request_id", "response": {...}}`` (4.1). The result
    only exists in this body, so it is checked, kept on the job and imported by the tasks;
    a ``request_id`` this job never sent is refused (404), a body that differs from the
    result the job already holds is refused (409), the same body again is accepted (200)."""
    job = _job_for(token, Vendor.DEEPAFFECTS)
    data = _json(body)
    if data is None:
        return _bad_request("expected a JSON object")
    try:
        request_id, _ = webhook_to_transcript(data)
    except ParseError as err:
        return _bad_request(str(err))
    if request_id not in vendors.deepaffects_request_ids(job):
        raise Http404("unknown request_id")
    # A resubmitted job has several request ids: the same result under another is no conflict.
    services.job_webhook(job_id=job.pk, payload=data, ignore=("request_id",))
    return _accepted()


@webhook
def elevenlabs_webhook(request: HttpRequest, body: bytes, account_id: int) -> JsonResponse:
    """ElevenLabs speech-to-text webhook (2.2) for ``account_id``, verified with the
    account's webhook secret (``ElevenLabs-Signature``, 30 min tolerance). The job is found by
    ``data.request_id`` or by our ``webhook_metadata.portal_job_id``; it is polled at once
    (the transcript is kept from the body only when we have no transcription id to fetch)."""
    account = get_object_or_404(ProviderAccount, pk=account_id, vendor=Vendor.ELEVENLABS)
    try:
        event = verify_webhook(body, request.headers.get(SIGNATURE_HEADER), account.webhook_secret)
    except ProviderError as err:
        if err.error_type == "malformed_body":
            return _bad_request("expected a JSON object")
        return JsonResponse({"error": "bad signature"}, status=401)
    data = event.get("data")
    if not isinstance(data, Mapping):
        return _bad_request("expected a data object")
    fault = json_fault(event, max_depth=64)
    if fault:
        return _bad_request(f"the body {fault}")
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
        except (ValueError, RecursionError):
            metadata = None
    job_id = metadata.get("portal_job_id") if isinstance(metadata, Mapping) else None
    if isinstance(job_id, int) and not isinstance(job_id, bool):
        return jobs.filter(pk=job_id).first()
    return None
