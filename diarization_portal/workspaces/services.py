"""Writes on a workspace's own settings."""

from __future__ import annotations

from django.db import transaction

from .models import Workspace

#: The privacy and retention fields a workspace admin edits (Workspace docstring).
PRIVACY_FIELDS = (
    "record_voice",
    "retention_days",
    "delete_audio",
    "delete_transcript_and_pii",
    "apply_to_existing_conversations",
    "zero_retention_mode",
)


@transaction.atomic
def workspace_privacy_update(*, workspace: Workspace, **values) -> Workspace:
    """Set the privacy fields named in ``values`` (names of :data:`PRIVACY_FIELDS`) and save.

    The workspace row is locked before it is read; when a retention field changes (or none
    was ever recorded) ``retention_policy_since`` becomes now, so that without
    ``apply_to_existing_conversations`` only conversations created from now on are deleted.
    Raises ValueError for another field name. Returns the saved workspace.
    """
    unknown = set(values) - set(PRIVACY_FIELDS)
    if unknown:
        raise ValueError(f"not a privacy field: {', '.join(sorted(unknown))}")
    stored = Workspace.objects.select_for_update().get(pk=workspace.pk)
    updated = Workspace.objects.get(pk=workspace.pk)
    for name, value in values.items():
        setattr(updated, name, value)
    updated.note_policy_change(stored)
    updated.save(update_fields=[*PRIVACY_FIELDS, "retention_policy_since"])
    return updated
