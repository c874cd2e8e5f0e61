"""Members: the speakers of a conversation, where names live (DESIGN §2)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import connection, connections, models
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.expressions import RawSQL
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


#: Members per query of :meth:`MemberQuerySet.live_survivors` (SQLite accepts 32,766 bound
#: parameters per statement).
SURVIVOR_CHUNK = 5000
#: Hops of ``merged_into`` followed at most.
MAX_CHAIN = 1000


def _survivor_sql(ids: list[int], columns: str) -> tuple[str, list]:
    """A ``WITH RECURSIVE`` query of the end of each ``merged_into`` chain that starts at one
    of ``ids``, selecting ``columns`` of ``chain(start_id, member_id)`` (SQL, parameters)."""
    table = connection.ops.quote_name(Member._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        "WITH RECURSIVE chain(start_id, member_id, next_id, hops) AS ("
        f" SELECT id, id, merged_into_id, 0 FROM {table} WHERE id IN ({marks})"
        " UNION ALL"
        " SELECT chain.start_id, m.id, m.merged_into_id, chain.hops + 1"
        f" FROM chain JOIN {table} m ON m.id = chain.next_id WHERE chain.hops < %s"
        f") SELECT {columns} FROM chain WHERE next_id IS NULL OR hops = %s"
    )
    return sql, [*ids, MAX_CHAIN, MAX_CHAIN]


class MemberQuerySet(models.QuerySet):
    def live(self) -> MemberQuerySet:
        """Members that have not been merged into another member."""
        return self.filter(merged_into__isnull=True)

    def live_survivors(self, ids: Iterable[int]) -> dict[int, int]:
        """``{member pk: pk of the live member that now stands for it}`` for the members
        ``ids``: ``merged_into`` followed to the end of its chain (a member merged into one
        that was merged later points at the first; a live member stands for itself). One
        query per :data:`SURVIVOR_CHUNK` ids (a recursive CTE, on SQLite and PostgreSQL);
        ids of no member are left out. Chains longer than :data:`MAX_CHAIN` hops stop
        there (merges never make a cycle; the bound only keeps a damaged row finite)."""
        wanted = sorted(set(ids))
        found: dict[int, int] = {}
        for i in range(0, len(wanted), SURVIVOR_CHUNK):
            chunk = wanted[i : i + SURVIVOR_CHUNK]
            sql, params = _survivor_sql(chunk, "start_id, member_id")
            with connections[self.db].cursor() as cursor:
                cursor.execute(sql, params)
                found.update(dict(cursor.fetchall()))
        return found

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

    def live_survivor(self) -> Member:
        """The live member that now stands for this one (itself when live): ``merged_into``
        followed to the end of its chain, read in one query (a recursive CTE,
        :meth:`MemberQuerySet.live_survivors`); no query when this member is live.
        Raises ``Member.DoesNotExist`` when the row was deleted."""
        if self.merged_into_id is None:
            return self
        sql, params = _survivor_sql([self.pk], "member_id")
        return Member.objects.using(self._state.db or "default").get(pk__in=RawSQL(sql, params))

    def survivor_among(self, by_pk: dict[int, Member]) -> Member:
        """:meth:`live_survivor` through rows already read: ``by_pk`` maps primary keys to
        members (the conversation's, locked by the caller); the chain stops at a member
        missing from it. No query."""
        member = by_pk.get(self.pk, self)
        for _ in range(MAX_CHAIN):
            if member.merged_into_id is None or member.merged_into_id not in by_pk:
                break
            member = by_pk[member.merged_into_id]
        return member

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
