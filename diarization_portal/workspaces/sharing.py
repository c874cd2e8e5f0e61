"""The caller's access to one conversation, whichever way they got it, in the terms of
ElevenLabs' ``access_info`` (vendor-apis.md §2.3): ``role`` (admin / editor / commenter /
viewer) and ``access_source``."""

from __future__ import annotations

from dataclasses import dataclass

from .models import EDIT_ROLES, Role


class AccessSource:
    """Why the caller can see a conversation."""

    WORKSPACE_ADMIN = "workspace_admin"  # an admin of its workspace
    WORKSPACE_MEMBER = "workspace_member"  # an editor, commenter or viewer of its workspace
    SHARE_LINK = "share_link"  # the holder of one of its share links, without an account

    choices = (WORKSPACE_MEMBER, WORKSPACE_ADMIN, SHARE_LINK)


def access_source_of(role: str) -> str:
    """The access source of a workspace member with ``role``."""
    return AccessSource.WORKSPACE_ADMIN if role == Role.ADMIN else AccessSource.WORKSPACE_MEMBER


@dataclass(frozen=True)
class ShareAccess:
    """What the holder of a share link is, shaped like a ``Membership`` where the pages and
    views read one (``role``, ``can_edit``, ``is_admin``, ``workspace``): never an editor."""

    role: str
    workspace: object
    link: object = None

    can_edit = False
    is_admin = False
    access_source = AccessSource.SHARE_LINK

    def get_role_display(self) -> str:
        return Role(self.role).label

    def __post_init__(self):
        if self.role in EDIT_ROLES:
            raise ValueError("a share link never edits")
