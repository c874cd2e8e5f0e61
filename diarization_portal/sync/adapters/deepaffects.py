"""DeepAffects (vendor-apis.md section 4): asynchronous diarization answered by webhook
only; no polling endpoint, so a job silent for too long is submitted again (4.3)."""

from __future__ import annotations

import uuid

from django.utils import timezone

from diarization_portal.conversations.models import Job, Vendor
from providers import jobs
from providers.deepaffects import DeepAffectsClient, webhook_to_transcript
from providers.jobs import JobStatus
from providers.types import ProviderError, Transcript

from .. import timing
from . import VendorAdapter, register
from ._common import (
    NAMESPACE,
    JobInputError,
    Resubmit,
    Submitted,
    media,
    parsed,
    vendor_session,
    webhook_url,
)


def request_id(job: Job, attempt: int | None = None) -> str:
    """Our DeepAffects ``request_id`` for submit number ``attempt`` (default: the job's
    ``attempts``): a UUID derived from the secret ``webhook_token``, so it is unguessable,
    stable across a crash and new for every resubmit (vendor-apis.md 4.3)."""
    n = job.attempts if attempt is None else attempt
    return str(uuid.uuid5(NAMESPACE, f"{job.webhook_token}:{n}"))


def request_ids(job: Job) -> set[str]:
    """Every request id this job may have sent so far (its submits and the last one)."""
    ids = {request_id(job, n) for n in range(job.attempts + 1)}
    return ids | ({job.vendor_job_id} if job.vendor_job_id else set())


@register
class DeepAffectsAdapter(VendorAdapter):
    """DeepAffects: ``{"encoding": "FLAC" | "Wave" | "MP3"…, "sample_rate": Hz}`` (both
    required) and ``"audio_type": "meeting" | "callcenter"`` (4.1)."""

    vendor = Vendor.DEEPAFFECTS
    needs_webhook = True
    form_fields = ("encoding", "sample_rate", "audio_type")
    form_note = (
        "DeepAffects needs the recording's encoding and sample rate, and "
        "answers by webhook only. Its segments have no text."
    )

    def client(self, account, base_url: str) -> DeepAffectsClient:
        """:class:`~providers.deepaffects.DeepAffectsClient` (``api_key``)."""
        return DeepAffectsClient(
            account.secret("api_key"), base_url=base_url, session=vendor_session("DeepAffects")
        )

    def check_input(self, source_url: str, media, options: dict) -> None:
        """A URL or a file, and the encoding and a positive sample rate."""
        super().check_input(source_url, media, options)
        rate = options.get("sample_rate")
        if not options.get("encoding") or not isinstance(rate, int) or rate <= 0:
            raise JobInputError(
                "DeepAffects needs the encoding and the sample rate (Hz)", field="options"
            )

    def job_options(self, data: dict) -> dict:
        """``encoding``, ``sample_rate`` and ``audio_type`` (default ``meeting``)."""
        return {
            "encoding": data["deepaffects_encoding"],
            "sample_rate": data["deepaffects_sample_rate"],
            "audio_type": data.get("deepaffects_audio_type") or "meeting",
        }

    def before_submit(self, job: Job) -> str:
        """Our ``request_id``, saved before the POST so a crash cannot lose it."""
        return request_id(job)

    def submit(self, job: Job, client) -> Submitted:
        """``diarize_async`` with our webhook (4.1). Raises ``config`` without
        ``PUBLIC_BASE_URL``."""
        hook = webhook_url("deepaffects_webhook", job.webhook_token)
        if not hook:
            raise ProviderError(
                "DeepAffects only answers by webhook: set PUBLIC_BASE_URL", error_type="config"
            )
        opts = job.options or {}
        audio = {"url": job.source_url} if job.source_url else {"content": media(job)[0]}
        sent = client.diarize_async(
            request_id=job.vendor_job_id or request_id(job),
            webhook_url=hook,
            encoding=opts.get("encoding", ""),
            sample_rate=opts.get("sample_rate", 0),
            speakers=job.speaker_count or -1,
            audio_type=opts.get("audio_type", "meeting"),
            language=job.language or "en-US",
            **audio,
        )
        return Submitted(sent)

    def status(self, job: Job, client) -> JobStatus:
        """Done once the webhook came; :class:`Resubmit` after ``deepaffects_stale``
        seconds without it."""
        if job.result_payload is not None:
            return JobStatus(jobs.DONE, "webhook")
        stale = timing.seconds("deepaffects_stale")
        if job.submitted_at and (timezone.now() - job.submitted_at).total_seconds() > stale:
            raise Resubmit(f"DeepAffects sent no result within {stale / 60:g} min")
        return JobStatus(jobs.PROCESSING, "waiting_for_webhook")

    def fetch(self, job: Job, client) -> Transcript:
        """The webhook's result (``not_ready`` until it came)."""
        if job.result_payload is None:
            raise ProviderError(
                "no DeepAffects webhook yet", retryable=True, error_type="not_ready"
            )
        return parsed(
            "DeepAffects webhook", lambda b: webhook_to_transcript(b)[1], job.result_payload
        )
