"""The vendor steps of a sync job (submit, status, fetch, member push), dispatched to the
job's vendor adapter (:mod:`diarization_portal.sync.adapters`).

Each function takes a :class:`~diarization_portal.conversations.models.Job` (``account`` and
``conversation`` loaded) and the client from :func:`~diarization_portal.sync.clients.client_for`
and returns the portal's own types; errors as in
:class:`~diarization_portal.sync.adapters.VendorAdapter`. ``Job.options`` per vendor: see each
adapter's class docstring. Vendor helpers used elsewhere are re-exported here.
"""

from __future__ import annotations

from diarization_portal.conversations.models import Job, Member
from providers.jobs import JobStatus
from providers.types import Transcript

from .adapters import Resubmit, Submitted, adapter_for, adapters
from .adapters._common import media, result_key, webhook_url
from .adapters.deepaffects import request_id as deepaffects_request_id
from .adapters.deepaffects import request_ids as deepaffects_request_ids
from .adapters.elevenlabs import (
    product,
    pvc_ids,
    pvc_labels,
    pvc_tracks,
    pvc_transcript,
)

__all__ = [
    "Resubmit",
    "Submitted",
    "deepaffects_request_id",
    "deepaffects_request_ids",
    "fetch",
    "media",
    "product",
    "push",
    "pushable",
    "pvc_ids",
    "pvc_labels",
    "pvc_tracks",
    "pvc_transcript",
    "result_key",
    "status",
    "submit",
    "webhook_url",
]


def submit(job: Job, client) -> Submitted:
    """Start the vendor's work for ``job`` (vendor-apis.md 1.2, 2.1, 2.2, 3.1, 4.1)."""
    return adapter_for(job.account.vendor).submit(job, client)


def status(job: Job, client) -> JobStatus:
    """One poll of the vendor job as a :class:`~providers.jobs.JobStatus`. Raises
    :class:`Resubmit` (Phonexia failed/404, DeepAffects stale) or ProviderError."""
    return adapter_for(job.account.vendor).status(job, client)


def fetch(job: Job, client) -> Transcript:
    """The finished result as a :class:`~providers.types.Transcript`. Raises ProviderError
    (``parse_error`` for an unreadable result, ``not_ready`` (retryable) when missing)."""
    return adapter_for(job.account.vendor).fetch(job, client)


def pushable(job: Job) -> bool:
    """True when the vendor accepts member updates for this job's conversation: Symbl
    (members PUT) and ElevenLabs PVC (selected speakers)."""
    adapter = adapters.get(job.account.vendor) if job.account is not None else None
    return adapter is not None and adapter.pushable(job)


def push(member: Member, job: Job, client) -> None:
    """Send ``member``'s edit to the vendor of ``job``'s conversation (Symbl 1.5 member
    update, ElevenLabs PVC 2.1/2.5 speaker selection). Raises ProviderError
    (``push_unsupported`` for other vendors)."""
    adapter_for(job.account.vendor).push(member, job, client)
