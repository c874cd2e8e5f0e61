"""Workspaces and who may do what in them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

#: Workspace fields that decide what the retention task deletes; changing one of them moves
#: ``retention_policy_since`` (see :meth:`Workspace.note_policy_change`).
RETENTION_FIELDS = (
    "retention_days",
    "delete_audio",
    "delete_transcript_and_pii",
    "apply_to_existing_conversations",
)


class Workspace(models.Model):
    """A team's space: every conversation and account belongs to exactly one workspace.

    Privacy and retention follow the ``privacy`` block of an ElevenLabs Speech Engine
    (vendor-apis.md 2.3): ``record_voice`` (keep recordings after import), ``retention_days``
    (-1 = keep for ever), ``delete_audio`` and ``delete_transcript_and_pii`` once a
    conversation is that many days old, ``apply_to_existing_conversations`` (False: only
    conversations created from ``retention_policy_since`` on) and ``zero_retention_mode``
    (neither the recording nor the vendor's raw result is kept after import). The retention
    task (:mod:`diarization_portal.conversations.services.retention`) enforces them.
    """

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    record_voice = models.BooleanField(
        "Keep recordings",
        default=True,
        help_text="Off: a recording sent to a vendor is deleted from the portal as soon as "
        "its result is imported (nothing to play back later).",
    )
    retention_days = models.IntegerField(
        "Retention (days)",
        default=-1,
        validators=[MinValueValidator(-1)],
        help_text="How many days a conversation is kept before the options below apply, "
        "counted from when it was created. -1 keeps everything for ever.",
    )
    delete_audio = models.BooleanField(
        "Delete audio",
        default=False,
        help_text="After the retention period, delete the recordings stored for the "
        "conversation (uploaded files sent to vendors). The transcript stays.",
    )
    delete_transcript_and_pii = models.BooleanField(
        "Delete transcript and personal data",
        default=False,
        help_text="After the retention period, delete the whole conversation: transcript, "
        "speaker names and emails, insights, edit history, jobs and recordings. "
        "An audit row (id, dates, counts; no names or text) is kept.",
    )
    apply_to_existing_conversations = models.BooleanField(
        "Apply to existing conversations",
        default=False,
        help_text="Off: only conversations created after this policy was saved are deleted; "
        "older ones are kept.",
    )
    zero_retention_mode = models.BooleanField(
        "Zero retention mode",
        default=False,
        help_text="Keep no recording and no raw vendor result once a job's result is imported; "
        "only the transcript the portal shows is stored.",
    )
    retention_policy_since = models.DateTimeField(
        "Retention policy in effect since",
        null=True,
        blank=True,
        editable=False,
        help_text="When the retention options last changed. Without “apply to existing "
        "conversations”, only conversations created from then on are deleted.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def retention_active(self) -> bool:
        """True when the retention task has something to do here: ``retention_days >= 0``
        and audio or transcript deletion is on."""
        return self.retention_days >= 0 and (self.delete_audio or self.delete_transcript_and_pii)

    def note_policy_change(self, old: Workspace | None, *, now=None) -> bool:
        """Set ``retention_policy_since`` to ``now`` (default: the current time) when a field
        of :data:`RETENTION_FIELDS` differs from ``old`` (the stored row; ``None`` = new
        workspace). Returns whether it moved. Does not save."""
        if (
            old is not None
            and all(getattr(old, f) == getattr(self, f) for f in RETENTION_FIELDS)
            and old.retention_policy_since is not None
        ):
            return False
        self.retention_policy_since = now or timezone.now()
        return True

    def retention_cutoff(self, now=None):
        """Conversations created before this instant are past the retention period
        (``None`` when :attr:`retention_active` is False)."""
        if not self.retention_active:
            return None
        return (now or timezone.now()) - timedelta(days=self.retention_days)


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


class RetentionRun(models.Model):
    """One run of the retention task over one workspace: what it deleted.

    Counters grow in the same transaction as each conversation's deletion, so they always
    match the :class:`RetentionDeletion` rows of the run, even when a run stops half-way.
    ``finished_at`` is ``None`` while the run goes on (or when it stopped on an error).
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="retention_runs"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField(help_text="Conversations created before this were due.")
    conversations_deleted = models.PositiveIntegerField(default=0)
    audio_files_deleted = models.PositiveIntegerField(default=0)
    messages_deleted = models.PositiveIntegerField(default=0)
    insights_deleted = models.PositiveIntegerField(default=0)
    members_deleted = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(
        default=0, help_text="Due conversations left alone because a job is still running."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-started_at"])]

    def __str__(self) -> str:
        return (
            f"Retention run #{self.pk} of {self.workspace_id} at {self.started_at:%Y-%m-%d %H:%M}"
        )

    @property
    def deleted_anything(self) -> bool:
        return bool(self.conversations_deleted or self.audio_files_deleted)


class RetentionAction(models.TextChoices):
    AUDIO = "audio", "Audio deleted"
    CONVERSATION = "conversation", "Conversation deleted"


class RetentionDeletion(models.Model):
    """Audit row of one conversation the retention task deleted from (its audio, or all of
    it). Holds ids, dates and counts, never a name or a line of text: the title is not kept
    either, since it may name people."""

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="deletions")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="retention_deletions"
    )
    conversation_id = models.PositiveBigIntegerField(help_text="Id of the conversation (gone).")
    conversation_created_at = models.DateTimeField()
    action = models.CharField(max_length=16, choices=RetentionAction.choices)
    counts = models.JSONField(
        default=dict, help_text='Rows and files deleted, e.g. {"messages": 120, "audio_files": 1}.'
    )
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deleted_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "conversation_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: conversation {self.conversation_id}"
