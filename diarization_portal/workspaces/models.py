"""Workspaces and who may do what in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    """A team's space: every conversation and account belongs to exactly one workspace."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Workspace roles. Viewers and commenters read; editors and admins edit."""

    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    COMMENTER = "commenter", "Commenter"
    VIEWER = "viewer", "Viewer"


EDIT_ROLES = frozenset({Role.ADMIN, Role.EDITOR})


class Membership(models.Model):
    """A user's role in one workspace (one row per user and workspace)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_edit(self) -> bool:
        """True for editors and admins."""
        return self.role in EDIT_ROLES

    @property
    def is_admin(self) -> bool:
        """True for workspace admins (they manage provider accounts)."""
        return self.role == Role.ADMIN
