"""Symbl (vendor-apis.md section 1): Async API submit/append by URL or file, job polling,
transcript fetch and member updates. Clients are cached per account (and per version of its
secrets and URL) so one worker reuses its access token (1.7: "cache one per app")."""

from __future__ import annotations

import hashlib
import json
import threading

from django.conf import settings

from diarization_portal.conversations.models import Job, JobKind, Member, Vendor
from providers.formats._common import UNKNOWN_LABEL
from providers.jobs import JobStatus
from providers.symbl import SymblClient
from providers.types import ProviderError, Transcript

from ..models import extra_hosts
from . import VendorAdapter, register
from ._common import Submitted, media, vendor_session, webhook_url

_cache: dict[tuple[int, str], SymblClient] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget cached clients (tests; after a credential change the key changes anyway)."""
    with _lock:
        _cache.clear()


@register
class SymblAdapter(VendorAdapter):
    """Symbl: no options; ``speaker_count`` = exact ``diarizationSpeakerCount`` (1.2)."""

    vendor = Vendor.SYMBL
    appends_to_vendor_conversation = True
    form_note = (
        "Symbl needs no further options: the speaker count is the exact number of "
        "speakers to separate."
    )

    def client(self, account, base_url: str) -> SymblClient:
        """:class:`~providers.symbl.SymblClient` (``app_id``/``app_secret``), cached."""
        timeout = getattr(settings, "VENDOR_HTTP_TIMEOUT", None)
        fingerprint = hashlib.sha256(
            json.dumps([account.secrets, base_url, timeout, extra_hosts()], sort_keys=True).encode()
        ).hexdigest()
        key = (account.pk, fingerprint)
        with _lock:
            client = _cache.get(key)
            if client is None:
                for stale in [k for k in _cache if k[0] == account.pk]:
                    del _cache[stale]
                client = SymblClient(
                    account.secret("app_id"),
                    account.secret("app_secret"),
                    base_url=base_url,
                    session=vendor_session("Symbl"),
                )
                _cache[key] = client
            return client

    def submit(self, job: Job, client) -> Submitted:
        """Submit (1.2) or append (1.3) by URL or file."""
        options = {
            "speaker_count": job.speaker_count,
            "language": job.language or None,
            "webhook_url": webhook_url("symbl_webhook", job.webhook_token),
        }
        if job.kind == JobKind.APPEND:
            conversation_id = job.conversation.external_id
            if not conversation_id:
                raise ProviderError(
                    "no Symbl conversation to append to: process a first recording",
                    error_type="config",
                )
            if job.source_url:
                result = client.append_url(conversation_id, job.source_url, **options)
            else:
                data, _, content_type = media(job)
                result = client.append_file(conversation_id, data, content_type, **options)
        else:
            name = f"diarization-portal-job-{job.pk}"
            if job.source_url:
                result = client.submit_url(job.source_url, name=name, **options)
            else:
                data, _, content_type = media(job)
                result = client.submit_file(data, content_type, name=name, **options)
        return Submitted(result.job_id, result.conversation_id)

    def status(self, job: Job, client) -> JobStatus:
        """The Async API job's status."""
        return client.job_status(job.vendor_job_id)

    def fetch(self, job: Job, client) -> Transcript:
        """The conversation's messages and members."""
        return client.fetch_transcript(job.vendor_conversation_id or job.conversation.external_id)

    def pushable(self, job: Job) -> bool:
        """Symbl conversations take member updates."""
        return True

    def push(self, member: Member, job: Job, client) -> None:
        """``PUT …/members/{vendor_label}`` (1.5) with the name and email of the live member
        that now stands for it (for a merged member: the survivor's, so Symbl merges by
        email when the survivor has one, else it only renames)."""
        if not member.vendor_label or member.vendor_label == UNKNOWN_LABEL:
            raise ProviderError("this speaker is not a Symbl member", error_type="push_unsupported")
        survivor = member.live_survivor()
        conversation_id = job.conversation.external_id or job.vendor_conversation_id
        client.update_member(
            conversation_id, member.vendor_label, name=survivor.name, email=survivor.email or None
        )
