"""Speaker edits (for history and undo) and dismissed duplicate suggestions."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models

from .conversation import Conversation
from .member import Member


class EditOp(models.TextChoices):
    RENAME = "rename", "Rename"
    MERGE = "merge", "Merge"
    REASSIGN = "reassign", "Reassign"
    SPLIT = "split", "Split"


def blocked_by(edits: Iterable[SpeakerEdit], later: Iterable[SpeakerEdit]) -> dict[int, list[int]]:
    """The rule of which later edits block an undo, on rows already read: ``{edit pk: [pks
    of the edits of ``later`` that block it]}``, for the active ``edits`` that have any,
    newest blocker first (the order to undo them in). An edit blocks an undo of ``edit``
    when it is newer (a greater primary key), not undone and changed a member ``edit``
    changed (:meth:`SpeakerEdit.member_ids`). No query."""
    newer = sorted(
        ((e.pk, e.member_ids()) for e in later if not e.is_undone),
        key=lambda pair: pair[0],
        reverse=True,
    )
    found: dict[int, list[int]] = {}
    for edit in edits:
        if edit.is_undone:
            continue
        mine = edit.member_ids()
        blockers = [pk for pk, theirs in newer if pk > edit.pk and theirs & mine]
        if blockers:
            found[edit.pk] = blockers
    return found


class SpeakerEditQuerySet(models.QuerySet):
    def active(self) -> SpeakerEditQuerySet:
        """Edits not undone."""
        return self.filter(undone_at__isnull=True)

    def blocking(self, edit: SpeakerEdit) -> list[SpeakerEdit]:
        """The edits that must be undone before ``edit`` can be (:func:`blocked_by`): later
        active edits of its conversation that changed a member it changed, oldest first.
        One query. The speaker services call it once the edit's members are locked."""
        later = list(
            self.active()
            .filter(conversation_id=edit.conversation_id, pk__gt=edit.pk)
            .order_by("pk")
        )
        blockers = set(blocked_by([edit], later).get(edit.pk, ()))
        return [e for e in later if e.pk in blockers]

    def blocked_map(self, edits: Iterable[SpeakerEdit]) -> dict[int, list[int]]:
        """:func:`blocked_by` for ``edits`` (of one conversation): ``{edit pk: [blocker
        pks, newest first]}``. One query (the active edits of the conversation newer than
        the oldest active one of ``edits``), none when all of them are undone."""
        edits = [e for e in edits if not e.is_undone]
        if not edits:
            return {}
        later = (
            self.active()
            .filter(conversation_id=edits[0].conversation_id, pk__gt=min(e.pk for e in edits))
            .only("pk", "op", "payload", "undone_at")
        )
        return blocked_by(edits, later)


class SpeakerEdit(models.Model):
    """A recorded speaker operation with exactly what it changed (``payload``), for undo.

    Payload shapes (ids are primary keys):
    rename ``{"member": id, "before": {"name", "email", "name_locked", "email_locked"},
    "after": {...}}``; merge ``{"source": id, "target": id, "messages": [ids],
    "insights_from": [ids], "insights_assignee": [ids], "by_email": bool}``; reassign
    ``{"member": id, "messages": {msg_id: previous_member_id}, "insights_from":
    {insight_id: previous_member_id}}``; split: the reassign shape plus ``"created": true``.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="speaker_edits"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speaker_edits",
    )
    op = models.CharField(max_length=16, choices=EditOp.choices)
    summary = models.CharField(max_length=300)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SpeakerEditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["conversation", "-created_at"])]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None

    def member_ids(self) -> set[int]:
        """Primary keys of every member whose rows this edit changed."""
        p = self.payload
        if self.op == EditOp.RENAME:
            return {p["member"]}
        if self.op == EditOp.MERGE:
            return {p["source"], p["target"]}
        moved = {int(v) for v in p["messages"].values()} | {
            int(v) for v in p["insights_from"].values()
        }
        return moved | {p["member"]}


class DuplicateDismissal(models.Model):
    """A person said that two members are not the same speaker: the "Possible duplicates"
    suggestions (:mod:`~diarization_portal.conversations.services.duplicates`) no longer
    offer to merge them, in either direction."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="duplicate_dismissals"
    )
    source = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="uniq_duplicate_dismissal")
        ]

    def __str__(self) -> str:
        return f"members {self.source_id} and {self.target_id} are different speakers"
