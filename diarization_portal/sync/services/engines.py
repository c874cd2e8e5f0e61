"""ElevenLabs Speech Engines linked to an account: link by id, refresh what
``GET /v1/speech-engine/{id}`` returns (vendor-apis.md 2.3) in the background, unlink, and
compare the engine's ``privacy`` with the workspace's.

As for jobs, the vendor call never runs inside a transaction: :func:`speech_engine_refresh`
reads the link, calls ElevenLabs, then stores the outcome atomically with the link locked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from diarization_portal.conversations.models import Vendor
from providers.elevenlabs import SpeechEngine, SpeechEnginePrivacy
from providers.types import ProviderError

from ..clients import client_for
from ..models import ProviderAccount, SpeechEngineLink, SpeechEngineState
from ._queue import enqueue

#: What an engine id may look like (``seng_…``, ``agent_…`` or another vendor id).
ENGINE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,199}$")


class SpeechEngineInvalid(ValueError):
    """A link the portal refuses: ``field`` (``"engine_id"``) and the reason."""

    def __init__(self, message: str, field: str = "engine_id") -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def speech_engine_link(*, account: ProviderAccount, engine_id: str) -> SpeechEngineLink:
    """Link Speech Engine ``engine_id`` to the ElevenLabs ``account`` (or find the existing
    link) and enqueue its refresh after commit. Raises :class:`SpeechEngineInvalid` for
    another vendor's account or an id that is not one (letters, digits, ``_``, ``-``)."""
    if account.vendor != Vendor.ELEVENLABS:
        raise SpeechEngineInvalid("Only ElevenLabs accounts have Speech Engines.")
    engine_id = (engine_id or "").strip()
    if not ENGINE_ID.match(engine_id):
        raise SpeechEngineInvalid(
            "Enter the engine id as ElevenLabs shows it, e.g. seng_4f2a… "
            "(letters, digits, _ and -)."
        )
    link, _ = SpeechEngineLink.objects.get_or_create(account=account, engine_id=engine_id)
    SpeechEngineLink.objects.filter(pk=link.pk).update(state=SpeechEngineState.PENDING)
    enqueue("refresh_speech_engine", link.pk)
    link.state = SpeechEngineState.PENDING
    return link


@transaction.atomic
def speech_engine_refresh_request(*, link: SpeechEngineLink) -> None:
    """Mark ``link`` as being fetched and enqueue its refresh (the page's Refresh button)."""
    SpeechEngineLink.objects.filter(pk=link.pk).update(state=SpeechEngineState.PENDING)
    enqueue("refresh_speech_engine", link.pk)


@transaction.atomic
def speech_engine_unlink(*, link: SpeechEngineLink) -> None:
    """Forget ``link`` (the engine at ElevenLabs is left alone)."""
    SpeechEngineLink.objects.filter(pk=link.pk).delete()


def speech_engine_refresh(*, link_id: int) -> SpeechEngineLink | None:
    """Read the engine from ElevenLabs and store it on the link (state ``ok``), or store the
    error (state ``error``; the last good ``details`` are kept). Returns the link, or
    ``None`` when it was unlinked meanwhile. Never raises for a vendor error."""
    link = SpeechEngineLink.objects.select_related("account").filter(pk=link_id).first()
    if link is None:
        return None
    try:
        engine = client_for(link.account).get_speech_engine(link.engine_id)
    except ProviderError as err:
        return _store(link_id, error=err)
    return _store(link_id, engine=engine)


@transaction.atomic
def _store(
    link_id: int, *, engine: SpeechEngine | None = None, error: ProviderError | None = None
) -> SpeechEngineLink | None:
    link = SpeechEngineLink.objects.select_for_update().filter(pk=link_id).first()
    if link is None:
        return None
    if engine is not None:
        link.details = engine.as_dict()
        link.fetched_at = timezone.now()
        link.state, link.error_type, link.error_message = SpeechEngineState.OK, "", ""
    else:
        link.state = SpeechEngineState.ERROR
        link.error_type = (error.error_type or "error")[:64]
        link.error_message = str(error)
    link.save()
    return link


def speech_engines_refresh_all() -> int:
    """Enqueue a refresh of every linked engine (the hourly schedule); returns how many.
    Writes nothing itself."""
    ids = list(SpeechEngineLink.objects.order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        enqueue("refresh_speech_engine", pk)
    return len(ids)


@dataclass(frozen=True)
class PrivacyConflict:
    """One way an engine's privacy contradicts the workspace's: ``field`` (a privacy field
    name) and a sentence for the page."""

    field: str
    message: str


def privacy_conflicts(privacy: SpeechEnginePrivacy, workspace) -> list[PrivacyConflict]:
    """How the engine's ``privacy`` (vendor-apis.md 2.3) and ``workspace``'s policy disagree:
    recording (nothing to play back, or recordings kept at one side only), zero retention,
    and retention periods (shorter or longer, or kept for ever on one side). Empty when they
    agree."""
    out: list[PrivacyConflict] = []
    if not privacy.record_voice and workspace.record_voice:
        out.append(
            PrivacyConflict(
                "record_voice",
                "The engine does not record calls (record_voice is off): there is no "
                "recording to import or play back, although this workspace keeps recordings.",
            )
        )
    if privacy.record_voice and not workspace.record_voice:
        out.append(
            PrivacyConflict(
                "record_voice",
                "The engine records calls, but this workspace keeps no recordings: they "
                "stay at ElevenLabs.",
            )
        )
    if privacy.zero_retention_mode != workspace.zero_retention_mode:
        side = "the engine" if privacy.zero_retention_mode else "this workspace"
        other = "this workspace" if privacy.zero_retention_mode else "the engine"
        out.append(
            PrivacyConflict(
                "zero_retention_mode",
                f"Zero retention mode is on for {side} but off for {other}.",
            )
        )
    engine_days = privacy.retention_days if _deletes(privacy) else -1
    portal_days = workspace.retention_days if workspace.retention_active else -1
    if engine_days != portal_days:
        out.append(PrivacyConflict("retention_days", _retention(engine_days, portal_days)))
    return out


def _deletes(privacy: SpeechEnginePrivacy) -> bool:
    return privacy.retention_days >= 0 and (
        privacy.delete_audio or privacy.delete_transcript_and_pii
    )


def _retention(engine_days: int, portal_days: int) -> str:
    if engine_days < 0:
        return (
            f"ElevenLabs keeps this engine's conversations for ever, but this workspace "
            f"deletes them after {portal_days} days."
        )
    if portal_days < 0:
        return (
            f"ElevenLabs deletes this engine's conversations after {engine_days} days, but "
            f"this workspace keeps them for ever."
        )
    which = "shorter" if engine_days < portal_days else "longer"
    return (
        f"The engine's retention ({engine_days} days) is {which} than this workspace's "
        f"({portal_days} days)."
    )
