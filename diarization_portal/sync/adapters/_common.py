"""What every vendor adapter shares: the submit result, the resubmit signal, the input error,
the job's uploaded recording, webhook addresses and the vendor HTTP session."""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.urls import reverse

from diarization_portal.conversations.models import Job
from providers.http import VendorSession
from providers.types import ParseError, ProviderError, Transcript

from ..models import extra_hosts

#: Namespace of the UUIDs derived from a job's secret ``webhook_token``.
NAMESPACE = uuid.UUID("5b0f2b8e-6f0e-4d52-9d3c-2a4f6f3c9a10")


class JobInputError(ValueError):
    """A job cannot be created as asked; ``str(err)`` says why and ``field`` names the input
    at fault: ``"speaker_count"``, ``"account"``, ``"options"`` or ``"source"`` (the
    recording URL or file)."""

    def __init__(self, message: str, *, field: str = "source"):
        super().__init__(message)
        self.field = field


class Resubmit(Exception):
    """The vendor lost or failed the task in a way an identical new submit may fix
    (Phonexia ``failed`` or 404 on a known task, DeepAffects silent for too long)."""


@dataclass(frozen=True)
class Submitted:
    """What a submit returned: the vendor job id and, when the vendor has one, the vendor's
    conversation id (Symbl ``conversationId``, ElevenLabs ``transcription_id``, PVC
    ``voice_id/sample_id``)."""

    vendor_job_id: str
    vendor_conversation_id: str = ""


def result_key(job: Job) -> str:
    """Stable hex SHA-256 naming the job's result for
    :func:`~diarization_portal.conversations.services.imports.transcript_import` (message
    ids and member scope), so importing the same result again changes nothing."""
    return hashlib.sha256(f"sync-job:{job.webhook_token}".encode()).hexdigest()


def webhook_url(name: str, token: str) -> str | None:
    """Absolute URL of webhook view ``sync:<name>`` for ``token``, or ``None`` when
    ``settings.PUBLIC_BASE_URL`` is blank (vendors cannot reach us: poll only)."""
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return f"{base}{reverse(f'sync:{name}', args=[token])}" if base else None


def media(job: Job) -> tuple[bytes, str, str | None]:
    """``(bytes, file name, content type or None)`` of the job's uploaded recording, read
    whole into memory. Raises ``ProviderError(error_type="config")`` (terminal) when there is
    none or it cannot be read."""
    if not job.media:
        raise ProviderError("this job has no uploaded recording", error_type="config")
    try:
        with job.media.open("rb") as fh:
            data = fh.read()
    except OSError as err:
        raise ProviderError(
            f"the uploaded recording cannot be read ({type(err).__name__})", error_type="config"
        ) from None
    name = PurePosixPath(job.media.name).name
    return data, name, mimetypes.guess_type(name)[0]


def parsed(where: str, parse, body) -> Transcript:
    """``parse(body)``; a :class:`~providers.types.ParseError` becomes
    ``ProviderError(error_type="parse_error")`` naming ``where``."""
    try:
        return parse(body)
    except ParseError as err:
        raise ProviderError(f"{where}: unreadable result: {err}", error_type="parse_error") from err


def vendor_session(vendor: str) -> VendorSession:
    """A session named ``vendor`` with ``settings.VENDOR_HTTP_TIMEOUT`` (when set) that may
    reach the hosts of ``settings.VENDOR_EXTRA_HOSTS`` besides public addresses."""
    timeout = getattr(settings, "VENDOR_HTTP_TIMEOUT", None)
    if timeout is None:
        return VendorSession(vendor, extra_hosts=extra_hosts())
    return VendorSession(vendor, timeout=timeout, extra_hosts=extra_hosts())
