"""Who may call an API view: a logged-in user or API key everywhere (the views check the
workspace), and a share link (``Authorization: Share <token>``) only to read the views that set
``share_link_readable = True``."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from diarization_portal.conversations.models import ShareLink


class MemberOrShareLink(BasePermission):
    """Authenticated users and API keys; share links only for safe methods on views with
    ``share_link_readable`` (403 ``permission_denied`` elsewhere)."""

    message = "A share link can only read its conversation"

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ShareLink):
            return request.method in SAFE_METHODS and getattr(view, "share_link_readable", False)
        return bool(request.user and request.user.is_authenticated)
