"""Members: the speakers of a conversation, where names live (DESIGN §2)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Coalesce

from .conversation import Conversation

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

    @property
    def colour_class(self) -> str:
        """The CSS class (``c0``…``c15``) that sets ``--chip`` to :attr:`colour`
        (``static/css/portal.css``): pages carry no inline style, so a strict
        Content-Security-Policy holds."""
        return f"c{self.position % len(PALETTE)}"
