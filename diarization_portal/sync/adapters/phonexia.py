"""Phonexia (vendor-apis.md section 3): diarization of an uploaded file on the customer's
server, task polling; ``failed`` or a forgotten task means submitting again."""

from __future__ import annotations

import uuid

from diarization_portal.conversations.models import Job, Vendor
from providers import jobs
from providers.jobs import JobStatus
from providers.phonexia import PhonexiaClient
from providers.types import ProviderError, Transcript

from . import VendorAdapter, register
from ._common import NAMESPACE, Resubmit, Submitted, media, vendor_session


@register
class PhonexiaAdapter(VendorAdapter):
    """Phonexia: ``{"channel_mode": "split" | "mix", "max_speakers": int}``;
    ``speaker_count`` = ``total_speakers`` (exact, 3.1). Needs an uploaded ``media`` file."""

    vendor = Vendor.PHONEXIA
    max_speakers_excludes_count = True
    form_fields = ("channel_mode", "max_speakers")
    form_note = "Phonexia diarizes an uploaded file only (no URL). Its segments have no text."

    def client(self, account, base_url: str) -> PhonexiaClient:
        """:class:`~providers.phonexia.PhonexiaClient` (server URL, optional ``api_key``).
        Raises ``ProviderError(error_type="account_incomplete")`` without a server URL."""
        if not base_url:
            raise ProviderError(
                f"{account}: the Phonexia server URL is not set", error_type="account_incomplete"
            )
        return PhonexiaClient(
            base_url, api_key=account.secret("api_key") or None, session=vendor_session("Phonexia")
        )

    def source_mode(self, options: dict) -> str:
        """An uploaded file only."""
        return "file"

    def job_options(self, data: dict) -> dict:
        """``channel_mode`` (default ``split``) and ``max_speakers`` when given."""
        options = {"channel_mode": data.get("phonexia_channel_mode") or "split"}
        if data.get("phonexia_max_speakers"):
            options["max_speakers"] = data["phonexia_max_speakers"]
        return options

    def submit(self, job: Job, client) -> Submitted:
        """Start a diarization task on the uploaded file (3.1)."""
        data, name, _ = media(job)
        opts = job.options or {}
        task_id = client.start_diarization(
            data,
            name,
            total_speakers=job.speaker_count,
            max_speakers=opts.get("max_speakers"),
            channel_mode=opts.get("channel_mode", "split"),
            correlation_id=str(uuid.uuid5(NAMESPACE, job.webhook_token)),
        )
        return Submitted(task_id)

    def status(self, job: Job, client) -> JobStatus:
        """The task's state; raises :class:`Resubmit` when it failed or is unknown (404)."""
        try:
            state = client.task(job.vendor_job_id).job_status
        except ProviderError as err:
            if err.status == 404:
                raise Resubmit(f"Phonexia no longer knows task {job.vendor_job_id}") from err
            raise
        if state.state == jobs.FAILED:
            raise Resubmit(state.error or "Phonexia task failed")
        return state

    def fetch(self, job: Job, client) -> Transcript:
        """The finished task's segments (``not_ready`` while it has none)."""
        task = client.task(job.vendor_job_id)
        if task.transcript is None:
            raise ProviderError(
                f"Phonexia task is {task.state}", retryable=True, error_type="not_ready"
            )
        return task.transcript
