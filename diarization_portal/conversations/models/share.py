"""Share links: read-only access to one conversation without logging in, modelled on the
``access_info.anonymous_access_level_override`` of ElevenLabs Speech Engine (vendor-apis.md
§2.3): whoever holds the link reads the conversation at the link's access level."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from diarization_portal.workspaces.models import Role

from .conversation import Conversation

TOKEN_PREFIX = "dps_"


class ShareLevel(models.TextChoices):
    """What an anonymous holder of a share link is: a viewer or a commenter (both read)."""

    VIEWER = Role.VIEWER.value, "Viewer"
    COMMENTER = Role.COMMENTER.value, "Commenter"


def share_token_hash(raw: str) -> str:
    """SHA-256 (hex) of a full share token. Tokens carry 256 random bits, so a fast hash is
    enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_share_token() -> str:
    """A new token: ``dps_`` followed by 43 URL-safe characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ShareLinkQuerySet(models.QuerySet):
    def active(self) -> ShareLinkQuerySet:
        """Links that have not been revoked."""
        return self.filter(revoked_at__isnull=True)


class ShareLink(models.Model):
    """A revocable link to one conversation. Only the SHA-256 of its token is stored; the full
    link is shown once, to the editor who creates it."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="share_links"
    )
    access_level = models.CharField(
        max_length=16, choices=ShareLevel.choices, default=ShareLevel.VIEWER
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else self.get_access_level_display().lower()
        return f"share link {self.pk} of conversation {self.conversation_id} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
