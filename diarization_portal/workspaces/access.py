"""Who may see and edit what: one place for the workspace checks every view uses.

A user sees only the workspaces they belong to; anything else is a 404 (never a 403, which
would reveal that it exists). Viewers and commenters read; editors and admins edit (403);
only admins manage the workspace's provider accounts (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Membership, Workspace


def membership_for(user, workspace_id: int, *, edit: bool = False) -> Membership:
    """The ``user``'s membership of ``workspace_id``.

    Raises ``Http404`` when the user is not a member and ``PermissionDenied`` when ``edit``
    is asked of a viewer or commenter.
    """
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise Http404("No such workspace")
    if edit and not membership.can_edit:
        raise PermissionDenied("Only editors and admins can change this workspace")
    return membership


def workspace_for(user, slug: str, *, edit: bool = False) -> Membership:
    """Like :func:`membership_for`, by workspace slug."""
    workspace = Workspace.objects.filter(slug=slug).only("pk").first()
    if workspace is None:
        raise Http404("No such workspace")
    return membership_for(user, workspace.pk, edit=edit)


def workspace_admin_for(user, slug: str) -> Membership:
    """The ``user``'s admin membership of the workspace ``slug``.

    Raises ``Http404`` when the user is not a member and ``PermissionDenied`` for editors,
    commenters and viewers.
    """
    membership = workspace_for(user, slug)
    if not membership.is_admin:
        raise PermissionDenied("Only workspace admins can manage provider accounts")
    return membership
