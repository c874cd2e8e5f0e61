"""Share links of a conversation: create, revoke, and find the conversation a token opens
(:class:`~diarization_portal.conversations.models.ShareLink`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import Conversation, ShareLevel, ShareLink, new_share_token, share_token_hash


@transaction.atomic
def share_link_create(
    *, conversation: Conversation, user, access_level: str = ShareLevel.VIEWER
) -> tuple[ShareLink, str]:
    """A new share link to ``conversation`` at ``access_level`` (``viewer`` or
    ``commenter``), created by ``user``. Returns ``(link, token)``: the token is stored only as
    its SHA-256, so this is the one chance to show it. Raises ``ValueError`` for another level.
    The caller checks that ``user`` may edit the conversation's workspace."""
    if access_level not in ShareLevel.values:
        raise ValueError(f"access_level must be one of {ShareLevel.values}, got {access_level!r}")
    token = new_share_token()
    link = ShareLink.objects.create(
        conversation=conversation,
        access_level=access_level,
        token_hash=share_token_hash(token),
        created_by=user,
    )
    return link, token


@transaction.atomic
def share_link_revoke(*, link: ShareLink) -> bool:
    """Revoke ``link`` at once (its token opens nothing from then on). Returns False when it
    was already revoked. The caller checks that the user may edit the conversation's
    workspace."""
    updated = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    link.refresh_from_db(fields=["revoked_at"])
    return bool(updated)


def share_link_for_token(token: str) -> ShareLink | None:
    """The active link whose token is ``token``, with its conversation and workspace; None for
    an unknown or revoked token. One query."""
    if not token:
        return None
    return (
        ShareLink.objects.active()
        .select_related("conversation__workspace")
        .filter(token_hash=share_token_hash(token))
        .first()
    )
