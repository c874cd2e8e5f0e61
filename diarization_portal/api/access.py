"""Workspace access for API views, on top of :mod:`diarization_portal.workspaces.access`.

The same rules as the dashboard: a user sees only the workspaces they belong to (anything
else is a 404 ``not_found``, whatever the verb); viewers and commenters read; editors and
admins edit (otherwise 403 ``permission_denied``); admins also manage the workspace (accounts,
keys). Authentication is checked before any of this (401).
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.exceptions import NotFound, PermissionDenied

from diarization_portal.conversations.models import Conversation, Member, ShareLink
from diarization_portal.workspaces.access import membership_for, workspace_for
from diarization_portal.workspaces.models import Membership, Role
from diarization_portal.workspaces.sharing import ShareAccess, access_source_of

# Primary keys are 64-bit; larger path values would overflow the database driver.
MAX_PK = 2**63 - 1


def conversation_for(
    request, pk: int | str, *, edit: bool = False, queryset=None
) -> tuple[Conversation, Membership | ShareAccess]:
    """The conversation ``pk`` (with its workspace) and the user's membership of its workspace
    (a :class:`~diarization_portal.workspaces.sharing.ShareAccess` for a share link's holder).
    ``queryset`` (default: all conversations) may add annotations and prefetches. The
    conversation gets ``caller_role`` and ``access_source`` (what the API shows as ``role`` and
    ``access_source``).

    Raises ``NotFound`` ("No such conversation") when it does not exist, is in a workspace
    the user is not a member of, or is not the share link's conversation, and
    ``PermissionDenied`` when ``edit`` is asked of a viewer, a commenter or a share link.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such conversation") from None
    conversation = (
        (Conversation.objects.all() if queryset is None else queryset)
        .select_related("workspace")
        .filter(pk=pk)
        .first()
        if 0 < pk <= MAX_PK
        else None
    )
    if conversation is None:
        raise NotFound("No such conversation")
    if isinstance(request.auth, ShareLink):
        if request.auth.conversation_id != conversation.pk:
            raise NotFound("No such conversation")
        if edit:
            raise PermissionDenied("A share link can only read its conversation")
        access = ShareAccess(
            role=request.auth.access_level, workspace=conversation.workspace, link=request.auth
        )
        conversation.caller_role, conversation.access_source = access.role, access.access_source
        return conversation, access
    try:
        membership = membership_for(request.user, conversation.workspace_id, edit=edit)
    except Http404:
        raise NotFound("No such conversation") from None
    conversation.caller_role = membership.role
    conversation.access_source = access_source_of(membership.role)
    return conversation, membership


def member_for(conversation: Conversation, member_id, *, merged: bool = False) -> Member:
    """The live member of ``conversation`` whose ``uuid`` is ``member_id`` (Symbl's member id).

    A merged member is gone, as in Symbl after a merge by email, unless ``merged`` is asked
    (its push to the vendor still concerns it; ``merged_into`` is then selected too). Raises
    ``NotFound``.
    """
    members = Member.objects.filter(conversation=conversation, uuid=member_id)
    members = members.select_related("merged_into") if merged else members.live()
    member = members.first()
    if member is None:
        raise NotFound("No such member in this conversation")
    return member


def workspace_membership(request, slug: str, *, edit: bool = False) -> Membership:
    """The user's membership of the workspace ``slug``; ``NotFound``/``PermissionDenied`` as in
    :func:`conversation_for`."""
    try:
        return workspace_for(request.user, slug, edit=edit)
    except Http404:
        raise NotFound("No such workspace") from None


def require_admin(membership: Membership) -> None:
    """Raise ``PermissionDenied`` unless ``membership`` is a workspace admin's."""
    if membership.role != Role.ADMIN:
        raise PermissionDenied("Only workspace admins can do this")
