"""Conversations, their members (speakers), messages, insights, jobs and speaker edits.

Names live only on :class:`Member`; messages and insights point to members by foreign key, so a
rename is one UPDATE of one row (DESIGN §2, invariant 1). Times are seconds from the start of
the conversation.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, F, FloatField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from diarization_portal.workspaces.models import Workspace

PALETTE = (
    "#2563eb",
    "#db2777",
    "#059669",
    "#d97706",
    "#7c3aed",
    "#dc2626",
    "#0891b2",
    "#65a30d",
    "#c026d3",
    "#ea580c",
    "#4f46e5",
    "#0d9488",
    "#be123c",
    "#a16207",
    "#475569",
    "#9333ea",
)


class Vendor(models.TextChoices):
    """Where a conversation came from."""

    FILE = "file", "File import"
    SYMBL = "symbl", "Symbl.ai"
    ELEVENLABS = "elevenlabs", "ElevenLabs"
    PHONEXIA = "phonexia", "Phonexia"
    DEEPAFFECTS = "deepaffects", "DeepAffects"


def _count_subquery(model: type[models.Model], **extra) -> Coalesce:
    """``COUNT(*)`` of ``model`` rows of the outer conversation, as a correlated subquery."""
    rows = (
        model.objects.filter(conversation=OuterRef("pk"), **extra)
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


class ConversationQuerySet(models.QuerySet):
    def for_user(self, user) -> ConversationQuerySet:
        """Conversations in the workspaces ``user`` belongs to."""
        return self.filter(workspace__memberships__user=user)

    def with_stats(self) -> ConversationQuerySet:
        """Annotate ``member_count`` (live members), ``message_count``, ``insight_count``,
        ``duration`` (seconds: the latest message end) and ``last_edit_at``.

        Each figure is a correlated subquery, so the query count stays one whatever the
        number of conversations and messages.
        """
        last_end = (
            Message.objects.filter(conversation=OuterRef("pk"))
            .order_by()
            .values("conversation")
            .annotate(m=Max("end"))
            .values("m")
        )
        last_edit = (
            SpeakerEdit.objects.filter(conversation=OuterRef("pk"))
            .order_by("-created_at")
            .values("created_at")[:1]
        )
        return self.annotate(
            member_count=_count_subquery(Member, merged_into__isnull=True),
            message_count=_count_subquery(Message),
            insight_count=_count_subquery(Insight),
            duration=Coalesce(Subquery(last_end, output_field=FloatField()), 0.0),
            last_edit_at=Subquery(last_edit),
        )

    def with_latest_job(self) -> ConversationQuerySet:
        """Annotate ``latest_job_state``, ``latest_job_kind`` and ``latest_job_error`` (its
        ``error_message``) of each conversation's newest job (None without jobs), as
        correlated subqueries: still one query for the whole list."""
        latest = Job.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-pk")
        return self.annotate(
            latest_job_state=Subquery(latest.values("state")[:1]),
            latest_job_kind=Subquery(latest.values("kind")[:1]),
            latest_job_error=Subquery(latest.values("error_message")[:1]),
        )


class Conversation(models.Model):
    """One meeting or call: one or more recordings (jobs) diarized into members."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=200)
    vendor = models.CharField(max_length=16, choices=Vendor.choices, default=Vendor.FILE)
    source_format = models.CharField(
        max_length=16, blank=True, help_text="Format of the first imported file or result."
    )
    external_id = models.CharField(
        max_length=200, blank=True, help_text="Vendor conversation id (Symbl conversationId…)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    speaker_count_hint = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class JobKind(models.TextChoices):
    IMPORT = "import", "File import"
    PROCESS = "process", "Process recording"
    APPEND = "append", "Append recording"
    PUSH = "push", "Push members"


class JobState(models.TextChoices):
    """DESIGN §4: queued → submitted → processing → importing → done | failed | rejected."""

    QUEUED = "queued", "Queued"
    SUBMITTED = "submitted", "Submitted"
    PROCESSING = "processing", "Processing"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"


def new_webhook_token() -> str:
    """An unguessable per-job token for webhook URLs (256 bits, URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


class Job(models.Model):
    """One unit of work on a conversation: a file import, a vendor submit/append, a push.

    For imports, ``source_sha256`` identifies the file so that importing the same bytes into
    the same conversation again reuses this job and changes nothing.

    Vendor jobs (``account`` set, see :mod:`diarization_portal.sync`) send ``source_url`` or
    ``media`` with ``speaker_count``/``language`` and vendor ``options`` (shapes in
    :mod:`diarization_portal.sync.vendors`); they keep the vendor's ``vendor_job_id`` and
    ``vendor_conversation_id``, and ``result_payload`` when the result only arrives in a
    webhook body (DeepAffects). ``webhook_token`` authenticates the job's webhook URLs.
    ``next_check_at`` is when the sweeper should next look at the job (also a lease while a
    worker submits, polls or imports it).
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=16, choices=JobKind.choices)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    account = models.ForeignKey(
        "sync.ProviderAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    webhook_token = models.CharField(
        max_length=64, unique=True, default=new_webhook_token, editable=False
    )
    source_url = models.URLField(max_length=2000, blank=True)
    media = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    speaker_count = models.PositiveSmallIntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    options = models.JSONField(default=dict, blank=True)
    vendor_job_id = models.CharField(max_length=200, blank=True)
    vendor_conversation_id = models.CharField(max_length=200, blank=True)
    result_payload = models.JSONField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    time_offset = models.FloatField(
        default=0.0, help_text="Seconds added to this recording's times (appended recordings)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "source_sha256"]),
            models.Index(fields=["state", "next_check_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"


class SyncState(models.TextChoices):
    LOCAL = "local", "Local only"
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"


class MemberQuerySet(models.QuerySet):
    def live(self) -> MemberQuerySet:
        """Members that have not been merged into another member."""
        return self.filter(merged_into__isnull=True)

    def with_talk(self) -> MemberQuerySet:
        """Annotate ``talk_time`` (seconds, sum of end - start) and ``message_count``."""
        return self.annotate(
            talk_time=Coalesce(
                Sum(F("messages__end") - F("messages__start"), output_field=FloatField()), 0.0
            ),
            message_count=Count("messages"),
        )


class Member(models.Model):
    """A speaker of a conversation. "Speaker N" until a person names it.

    ``vendor_label`` is the raw vendor or file id and never changes. ``label_scope`` is empty
    when the vendor's ids are unique in the whole conversation (Symbl member UUIDs) and holds
    the importing job's file hash otherwise, so each appended file brings its own members.
    ``merged_into`` is set when the member was merged into another (it is then not live).
    ``pvc_selected``: whether the separated speaker audio of this member (and of the members
    merged into it) is kept for an ElevenLabs PVC voice (:func:`sync.vendors.pvc_labels`).
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    name_locked = models.BooleanField(
        default=False, help_text="Set by a person; a re-import never overwrites it."
    )
    email_locked = models.BooleanField(default=False)
    vendor_label = models.CharField(max_length=200, blank=True)
    label_scope = models.CharField(max_length=64, blank=True)
    channel = models.IntegerField(default=0)
    position = models.PositiveIntegerField(default=0, help_text="Order of first appearance.")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_members"
    )
    sync_state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.LOCAL)
    sync_error = models.TextField(blank=True)
    pvc_selected = models.BooleanField(
        default=True,
        help_text="ElevenLabs PVC: keep this speaker's separated audio for the voice "
        "(selected_speaker_ids). Members merged into it follow its choice.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "label_scope", "vendor_label", "channel"],
                condition=~Q(vendor_label=""),
                name="uniq_member_vendor_label",
            )
        ]
        indexes = [models.Index(fields=["conversation", "email"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.merged_into_id is None

    @property
    def colour(self) -> str:
        """A stable colour for the member's chip, from its position."""
        return PALETTE[self.position % len(PALETTE)]


class Message(models.Model):
    """One utterance (segment) of a speaker turn: ``start``/``end`` in seconds.

    ``diarized_member`` is who the import said spoke; it never changes after import.
    ``member`` is who spoke according to the people editing the conversation.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    external_id = models.CharField(max_length=200)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="messages")
    diarized_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="diarized_messages"
    )
    text = models.TextField(blank=True)
    start = models.FloatField()
    end = models.FloatField()
    channel = models.IntegerField(default=0)
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="uniq_message_external_id"
            )
        ]
        indexes = [models.Index(fields=["conversation", "start"])]

    def __str__(self) -> str:
        return f"{self.start:.2f}-{self.end:.2f}: {self.text[:60]}"

    @property
    def duration(self) -> float:
        return self.end - self.start


class InsightType(models.TextChoices):
    ACTION_ITEM = "action_item", "Action item"
    QUESTION = "question", "Question"
    FOLLOW_UP = "follow_up", "Follow-up"


class Insight(models.Model):
    """An action item, question or follow-up with a ``from`` member and an ``assignee``."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="insights"
    )
    external_id = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=InsightType.choices)
    text = models.TextField()
    score = models.FloatField(null=True, blank=True)
    from_member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="insights_from"
    )
    assignee = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="insights_assigned"
    )
    messages = models.ManyToManyField(Message, blank=True, related_name="insights")
    phrases = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=list, blank=True)
    definitive = models.BooleanField(null=True, blank=True)
    due_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="uniq_insight_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.text[:60]}"


class EditOp(models.TextChoices):
    RENAME = "rename", "Rename"
    MERGE = "merge", "Merge"
    REASSIGN = "reassign", "Reassign"
    SPLIT = "split", "Split"


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
