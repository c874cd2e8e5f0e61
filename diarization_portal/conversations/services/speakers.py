"""Speaker operations: rename, merge, reassign, split and undo (DESIGN §3).

Every operation runs in one transaction, changes references with set-based UPDATEs and
records a :class:`SpeakerEdit` whose payload lists exactly the ids it moved, so that
:func:`edit_undo` can put them back.

Locks, the same order for every operation (rename, rename-by-email merge, merge, reassign,
split, undo), taken before anything the operation records is read:

1. On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the database's
   ``"transaction_mode": "IMMEDIATE"`` option in the settings): it holds the database's write
   lock from its first statement, so operations run one after the other; ``select_for_update``
   is a no-op there and everything below is already true.
2. On PostgreSQL: the conversation row (``FOR KEY SHARE``: an import into the conversation,
   which locks it ``FOR UPDATE`` before its members, goes first or waits; ``FOR NO KEY
   UPDATE`` for a rename that sets an email and an undo that gives one back, so that two of
   them never both find the email free and leave it on two live members), then every member
   the operation will read or move, locked in **one** statement ordered by primary key
   (:func:`_lock_members`). Which members that is comes from an unlocked read; once they are
   locked the operation reads again. When another operation committed in between and brought
   in a member not locked yet (a merge moved a line to it), that member is locked without
   waiting (``NOWAIT``): an operation only ever waits for members inside its one ordered
   statement, so member locks never make a cycle. Undo locks the edit's members, then the
   edit row, and only then looks for later edits that block it. Rows an operation updates
   belong to members it holds; one insight belongs to two (``from`` and ``assignee``), so
   two merges can still meet on two insights in opposite orders: PostgreSQL reports that
   deadlock and the operation it picks is started again (below).
3. A lost race is refused with :class:`ConcurrentEdit`: a member the caller saw live was
   merged (or deleted by an undo) before the lock. A deadlock (SQLSTATE 40P01), serialization
   failure (40001), a ``NOWAIT`` lock that was taken (55P03), or rows that kept changing over
   :data:`LOCK_ROUNDS` reads, roll the operation back and start it again, up to
   :data:`ATTEMPTS` times (only when it is not nested in a caller's transaction, which cannot
   be started again here); then it is a :class:`ConcurrentEdit` too. The REST API answers it
   409 ``conflict``, the dashboard "Someone changed these speakers — reload".

Errors: :class:`SpeakerOperationError` (bad request: empty name, member of another
conversation, merged member, merge into itself), :class:`UndoConflict` (a later edit changed
the same members and must be undone first) and :class:`ConcurrentEdit` (lost race, above).
"""

from __future__ import annotations

import functools
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from ..models import Conversation, EditOp, Insight, Member, Message, SpeakerEdit
from ..signals import speaker_edit_recorded

# SQLite accepts 32,766 bound parameters per statement; stay well below.
ID_CHUNK = 5000
#: How many times an operation reads again which members it needs once it holds the ones it
#: locked (each round only when another transaction changed them in between).
LOCK_ROUNDS = 5
#: How many times an operation that lost a race on PostgreSQL is started again before it is
#: refused with :class:`ConcurrentEdit`.
ATTEMPTS = 4
#: SQLSTATEs after which an operation is started again: serialization failure, deadlock
#: detected, lock not available (``NOWAIT``).
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
CONCURRENT_EDIT = "Someone changed these speakers — reload"

T = TypeVar("T")


class SpeakerOperationError(ValueError):
    """A speaker operation cannot be applied as asked; ``str(err)`` says why."""


class UndoConflict(SpeakerOperationError):
    """A later, still active edit changed the same members. ``blocking`` lists those edits."""

    def __init__(self, message: str, blocking: list[SpeakerEdit]):
        super().__init__(message)
        self.blocking = blocking


class ConcurrentEdit(SpeakerOperationError):
    """Another operation changed the same speakers at the same time and this one lost the race:
    a member the caller saw live was merged or deleted before it could be locked, or the
    operation kept meeting other transactions' locks (see the module docstring). Nothing was
    changed; the caller should read the speakers again. REST API: 409 ``conflict``."""

    def __init__(self, message: str = CONCURRENT_EDIT):
        super().__init__(message)


class _Stale(Exception):
    """The members locked are no longer the ones needed: start the transaction again."""


def _retryable(exc: DatabaseError) -> bool:
    """True for the PostgreSQL errors of a lost race (:data:`RETRY_SQLSTATES`)."""
    return getattr(exc.__cause__, "sqlstate", None) in RETRY_SQLSTATES


def speaker_operation(func: Callable[..., T]) -> Callable[..., T]:
    """Run ``func`` in its own transaction (``transaction.atomic``); when it loses a race
    (:class:`_Stale`, or a database error with a SQLSTATE of :data:`RETRY_SQLSTATES`), roll it
    back and run it again, up to :data:`ATTEMPTS` times with a short random pause (at most
    0.05 s times the attempt), then raise :class:`ConcurrentEdit`. Nested in a caller's
    transaction it runs once, in a savepoint, and a lost race is a :class:`ConcurrentEdit`
    at once (the caller's transaction stays usable)."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        attempts = 1 if connection.in_atomic_block else ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except _Stale:
                pass
            except DatabaseError as exc:
                if not _retryable(exc):
                    raise
                if attempt == attempts:
                    raise ConcurrentEdit() from exc
            if attempt < attempts:
                time.sleep(random.uniform(0, 0.05 * attempt))
        raise ConcurrentEdit()

    return run


def _chunks(ids: list[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _hold_conversation(conversation_id: int, *, emails: bool = False) -> None:
    """PostgreSQL: lock the conversation row before any member lock (see the module
    docstring): ``FOR KEY SHARE``, with which speaker operations do not block each other, or,
    for an operation that gives a member an email (``emails``), ``FOR NO KEY UPDATE``, which
    such operations take one at a time: whether another live member holds that email is a
    read no member lock protects."""
    if connection.vendor == "postgresql":
        mode = "NO KEY UPDATE" if emails else "KEY SHARE"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Conversation._meta.db_table} WHERE id = %s FOR {mode}",
                [conversation_id],
            )


def _lock_members(
    conversation_id: int, ids: Iterable[int], *, wait: bool = True
) -> dict[int, Member]:
    """Lock and reload the members ``ids`` of ``conversation_id`` in one statement, ordered by
    primary key; ``wait=False`` takes them with ``NOWAIT`` (a lock another transaction holds
    is a database error that :func:`speaker_operation` retries). Returns ``{pk: Member}``.
    Raises :class:`ConcurrentEdit` when one of them is not there any more (an undo of a split
    deleted it after the caller read it)."""
    wanted = sorted(set(ids))
    rows = {
        m.pk: m
        for m in Member.objects.select_for_update(nowait=not wait)
        .filter(conversation_id=conversation_id, pk__in=wanted)
        .order_by("pk")
    }
    if len(rows) != len(wanted):
        raise ConcurrentEdit()
    return rows


def _require_live(seen: Member, locked: Member) -> None:
    """Refuse to edit ``locked`` when it is merged: a :class:`SpeakerOperationError` when the
    caller's copy ``seen`` says so too, a :class:`ConcurrentEdit` when it was merged after
    the caller read it."""
    if locked.is_live:
        return
    if seen.merged_into_id is None:
        raise ConcurrentEdit()
    raise SpeakerOperationError(
        f"{locked.name} was merged into another speaker; edit that speaker instead"
    )


def _announce(edit: SpeakerEdit) -> None:
    """Send :data:`~..signals.speaker_edit_recorded` for ``edit`` inside the operation's
    transaction (the vendor sync marks the changed vendor members pending there and pushes
    them after commit)."""
    speaker_edit_recorded.send(sender=SpeakerEdit, edit=edit)


def _record(conversation_id: int, user, op: str, summary: str, payload: dict) -> SpeakerEdit:
    edit = SpeakerEdit.objects.create(
        conversation_id=conversation_id,
        user=user if user is not None and user.is_authenticated else None,
        op=op,
        summary=summary[:300],
        payload=payload,
    )
    _announce(edit)
    return edit


def _move(model, field: str, ids: list[int], to_member_id: int | None) -> None:
    for chunk in _chunks(ids):
        model.objects.filter(pk__in=chunk).update(**{field: to_member_id})


def _email_holder_id(conversation_id: int, member_id: int, email: str) -> int | None:
    """The first (by primary key) other live member of the conversation holding ``email``."""
    return (
        Member.objects.live()
        .filter(conversation_id=conversation_id, email__iexact=email)
        .exclude(pk=member_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


@speaker_operation
def member_rename(*, member: Member, name: str, email: str | None = None, user=None) -> SpeakerEdit:
    """Rename ``member`` (one UPDATE of one row) and optionally set its email.

    ``email=None`` leaves the email as it is; ``""`` clears it. When ``email`` belongs to
    another live member of the same conversation, this is Symbl's merge-by-email: ``member``
    merges into that member, which keeps its own id, name and email (see :func:`member_merge`);
    both are locked together, and the holder of the email is looked up again once they are.

    Returns the recorded edit (op ``rename`` or ``merge``).
    Raises :class:`SpeakerOperationError` for an empty name or a merged member,
    :class:`ConcurrentEdit` when ``member`` was merged or deleted after the caller read it.
    Source: Symbl Conversation API, ``PUT /v1/conversations/{id}/members/{memberId}``.
    """
    name = (name or "").strip()
    if not name:
        raise SpeakerOperationError("a speaker needs a name")
    if len(name) > 200:
        raise SpeakerOperationError("a name has at most 200 characters")
    email = email.strip().lower() if email is not None else None
    conversation_id = member.conversation_id
    _hold_conversation(conversation_id, emails=bool(email))
    holder = _email_holder_id(conversation_id, member.pk, email) if email else None
    rows = _lock_members(conversation_id, {member.pk, holder} - {None})
    current = rows[member.pk]
    _require_live(member, current)
    if email:
        for _ in range(LOCK_ROUNDS):
            holder = _email_holder_id(conversation_id, member.pk, email)
            if holder is None or holder in rows:
                break
            rows.update(_lock_members(conversation_id, [holder], wait=False))
        else:
            raise _Stale
        if holder is not None:
            return _merge_locked(current, rows[holder], user=user, by_email=True)
    before = {
        "name": current.name,
        "email": current.email,
        "name_locked": current.name_locked,
        "email_locked": current.email_locked,
    }
    after = dict(before, name=name, name_locked=True)
    if email is not None:
        after.update(email=email, email_locked=True)
    if after == before:
        raise SpeakerOperationError("nothing to change")
    Member.objects.filter(pk=current.pk).update(**after)
    member.name, member.email = after["name"], after["email"]
    if before["name"] != name:
        summary = f"Renamed {before['name']} to {name}"
    else:
        summary = f"Set the email of {name} to {after['email'] or '(none)'}"
    return _record(
        current.conversation_id,
        user,
        EditOp.RENAME,
        summary,
        {"member": current.pk, "before": before, "after": after},
    )


@speaker_operation
def member_merge(
    *, source: Member, target: Member, user=None, by_email: bool = False
) -> SpeakerEdit:
    """Merge ``source`` into ``target``: every message, insight ``from`` and ``assignee`` of
    ``source`` moves to ``target`` in three set-based UPDATEs; ``source.merged_into = target``.
    Both members are locked in one statement before anything is read.

    ``target`` keeps its id, name and email. Returns the recorded edit (op ``merge``).
    Raises :class:`SpeakerOperationError` when the members are the same, in different
    conversations, or either is already merged; :class:`ConcurrentEdit` when either was
    merged or deleted after the caller read it.
    """
    if source.pk == target.pk:
        raise SpeakerOperationError("a speaker cannot be merged into itself")
    if source.conversation_id != target.conversation_id:
        raise SpeakerOperationError("both speakers must be in the same conversation")
    _hold_conversation(source.conversation_id)
    rows = _lock_members(source.conversation_id, [source.pk, target.pk])
    src, dst = rows[source.pk], rows[target.pk]
    _require_live(source, src)
    _require_live(target, dst)
    edit = _merge_locked(src, dst, user=user, by_email=by_email)
    source.merged_into_id = dst.pk
    return edit


def _merge_locked(src: Member, dst: Member, *, user, by_email: bool) -> SpeakerEdit:
    """The merge of the live members ``src`` into ``dst``, both locked by the caller."""
    messages = Message.objects.filter(member_id=src.pk)
    from_q = Insight.objects.filter(from_member_id=src.pk)
    assignee_q = Insight.objects.filter(assignee_id=src.pk)
    payload = {
        "source": src.pk,
        "target": dst.pk,
        "by_email": by_email,
        "messages": list(messages.values_list("pk", flat=True)),
        "insights_from": list(from_q.values_list("pk", flat=True)),
        "insights_assignee": list(assignee_q.values_list("pk", flat=True)),
    }
    messages.update(member_id=dst.pk)
    from_q.update(from_member_id=dst.pk)
    assignee_q.update(assignee_id=dst.pk)
    Member.objects.filter(pk=src.pk).update(merged_into_id=dst.pk)
    how = " (same email)" if by_email else ""
    return _record(
        src.conversation_id,
        user,
        EditOp.MERGE,
        f"Merged {src.name} into {dst.name}{how}: {len(payload['messages'])} messages",
        payload,
    )


def _resolve_messages(conversation_id: int, messages) -> list[int]:
    ids = sorted({m if isinstance(m, int) else m.pk for m in messages})
    if not ids:
        raise SpeakerOperationError("choose at least one message")
    found = 0
    for chunk in _chunks(ids):
        found += Message.objects.filter(conversation_id=conversation_id, pk__in=chunk).count()
    if found != len(ids):
        raise SpeakerOperationError("some messages are not in this conversation")
    return ids


def _touched_insights(moved: list[int]) -> set[int]:
    through = Insight.messages.through
    touched: set[int] = set()
    for chunk in _chunks(moved):
        touched.update(
            through.objects.filter(message_id__in=chunk).values_list("insight_id", flat=True)
        )
    return touched


def _involved(ids: list[int]) -> set[int]:
    """Every member a reassign of the messages ``ids`` reads or changes: who says them, and,
    for the insights linked to them, their ``from`` and who says each of their messages."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(Message.objects.filter(pk__in=chunk).values_list("member_id", flat=True))
    touched = sorted(_touched_insights(ids))
    through = Insight.messages.through
    for chunk in _chunks(touched):
        found.update(
            through.objects.filter(insight_id__in=chunk).values_list(
                "message__member_id", flat=True
            )
        )
        found.update(
            Insight.objects.filter(pk__in=chunk, from_member__isnull=False).values_list(
                "from_member_id", flat=True
            )
        )
    return found


def _follow_from(moved: list[int]) -> dict[str, int | None]:
    """Point ``from`` of insights touching ``moved`` messages at the member who now says all of
    their messages; an insight without a ``from`` keeps none, so a payload never records a null
    previous member (``SpeakerEdit.member_ids`` reads them as ints).
    Returns ``{insight_id: previous from_member_id}`` for the ones changed."""
    through = Insight.messages.through
    touched = _touched_insights(moved)
    if not touched:
        return {}
    speakers: dict[int, set[int]] = defaultdict(set)
    for insight_id, member_id in through.objects.filter(insight_id__in=touched).values_list(
        "insight_id", "message__member_id"
    ):
        speakers[insight_id].add(member_id)
    changed: dict[str, int | None] = {}
    by_new: dict[int, list[int]] = defaultdict(list)
    for insight_id, from_id in Insight.objects.filter(pk__in=touched).values_list(
        "pk", "from_member_id"
    ):
        sole = speakers[insight_id]
        if from_id is not None and len(sole) == 1 and from_id not in sole:
            new = next(iter(sole))
            changed[str(insight_id)] = from_id
            by_new[new].append(insight_id)
    for new, ids in by_new.items():
        _move(Insight, "from_member_id", ids, new)
    return changed


def _speakers_of(ids: list[int], target_id: int) -> dict[str, int]:
    """``{message_id: member_id}`` of the messages ``ids`` that ``target_id`` does not say."""
    previous: dict[str, int] = {}
    for chunk in _chunks(ids):
        for pk, member_id in (
            Message.objects.filter(pk__in=chunk)
            .exclude(member_id=target_id)
            .values_list("pk", "member_id")
        ):
            previous[str(pk)] = member_id
    return previous


def _lock_involved(conversation_id: int, ids: list[int], rows: dict[int, Member]) -> None:
    """Make sure every member :func:`_involved` names for ``ids`` is among the locked ``rows``
    (read again after each lock; members that came in meanwhile are locked ``NOWAIT``)."""
    for _ in range(LOCK_ROUNDS):
        extra = _involved(ids) - set(rows)
        if not extra:
            return
        rows.update(_lock_members(conversation_id, extra, wait=False))
    raise _Stale


def _reassign(conversation_id: int, ids: list[int], target_id: int) -> dict:
    """Move the messages ``ids`` to ``target_id`` and follow their insights; every member
    involved is locked by the caller (:func:`_lock_involved`)."""
    previous = _speakers_of(ids, target_id)
    moved = [int(k) for k in previous]
    _move(Message, "member_id", moved, target_id)
    return {
        "member": target_id,
        "messages": previous,
        "insights_from": _follow_from(moved) if moved else {},
    }


@speaker_operation
def messages_reassign(*, messages, member: Member, user=None) -> SpeakerEdit:
    """Say that ``member`` spoke ``messages`` (Message objects or primary keys).

    Insights whose messages all end up with one member take that member as ``from``. The
    target, the members who say the messages and those the insights involve are locked in one
    statement before who says what is read for the payload.
    Returns the recorded edit (op ``reassign``). Raises :class:`SpeakerOperationError` when a
    message is in another conversation, none is given, none changes, or ``member`` is merged;
    :class:`ConcurrentEdit` when ``member`` was merged or deleted after the caller read it.
    """
    conversation_id = member.conversation_id
    ids = _resolve_messages(conversation_id, messages)
    _hold_conversation(conversation_id)
    rows = _lock_members(conversation_id, _involved(ids) | {member.pk})
    target = rows[member.pk]
    _require_live(member, target)
    _lock_involved(conversation_id, ids, rows)
    payload = _reassign(conversation_id, ids, target.pk)
    if not payload["messages"]:
        raise SpeakerOperationError(f"{target.name} already says every chosen message")
    count = len(payload["messages"])
    noun = "message" if count == 1 else "messages"
    return _record(
        conversation_id,
        user,
        EditOp.REASSIGN,
        f"Reassigned {count} {noun} to {target.name}",
        payload,
    )


@speaker_operation
def messages_split(*, conversation, messages, name: str, user=None) -> tuple[SpeakerEdit, Member]:
    """Create a member called ``name`` and give it ``messages`` (one label hid two people).

    The members who say the messages (and those their insights involve) are locked in one
    statement before the new member is created.
    Returns ``(edit, new_member)``; undoing the edit gives the messages back and deletes the
    member. Raises :class:`SpeakerOperationError` for an empty name or foreign messages.
    """
    name = (name or "").strip()
    if not name:
        raise SpeakerOperationError("the new speaker needs a name")
    ids = _resolve_messages(conversation.pk, messages)
    _hold_conversation(conversation.pk)
    rows = _lock_members(conversation.pk, _involved(ids))
    _lock_involved(conversation.pk, ids, rows)
    last = Member.objects.filter(conversation_id=conversation.pk).aggregate(p=Max("position"))["p"]
    new = Member.objects.create(
        conversation_id=conversation.pk,
        name=name[:200],
        name_locked=True,
        position=(last or 0) + 1,
    )
    payload = _reassign(conversation.pk, ids, new.pk)
    payload["created"] = True
    count = len(payload["messages"])
    edit = _record(
        conversation.pk,
        user,
        EditOp.SPLIT,
        f"Split {count} message{'s' if count != 1 else ''} into new speaker {new.name}",
        payload,
    )
    return edit, new


def blocking_edits(edit: SpeakerEdit) -> list[SpeakerEdit]:
    """Later active edits of the same conversation that changed any member ``edit`` changed,
    oldest first (:meth:`SpeakerEditQuerySet.blocking <..models.SpeakerEditQuerySet.blocking>`)."""
    return SpeakerEdit.objects.blocking(edit)


def _check_email_free(edit: SpeakerEdit, member_id: int, email: str) -> None:
    """Refuse to give back ``email`` to member ``member_id`` by undoing ``edit`` when another
    live member of the conversation holds it now, or when a later active rename took it off
    another member (undoing that rename, as undoing newest first does, would give it back
    there): two live members never share an email (the merge-by-email rule would be
    ambiguous). Raises :class:`UndoConflict`: with the later renames as its blocking edits,
    or with none when a live member holds the email (the holder may be an import)."""
    if not email:
        return
    holder = (
        Member.objects.live()
        .filter(conversation_id=edit.conversation_id, email__iexact=email)
        .exclude(pk=member_id)
        .first()
    )
    if holder is not None:
        raise UndoConflict(
            f"{holder.name} now has the email {email}; change that first", blocking=[]
        )
    reserved = list(
        SpeakerEdit.objects.active()
        .filter(
            conversation_id=edit.conversation_id,
            op=EditOp.RENAME,
            pk__gt=edit.pk,
            payload__before__email__iexact=email,
        )
        .exclude(payload__member=member_id)
        .order_by("pk")
    )
    if reserved:
        raise UndoConflict(f"undo “{reserved[-1].summary}” first", reserved)


@speaker_operation
def edit_undo(*, edit: SpeakerEdit, user=None) -> SpeakerEdit:
    """Restore exactly what ``edit`` changed and mark it undone.

    The edit's members are locked (one statement, by primary key), then the edit row; only
    then are later edits looked for, so one committed meanwhile blocks the undo and none can
    commit until the undo does.
    Raises :class:`SpeakerOperationError` when it is already undone and :class:`UndoConflict`
    when a later active edit changed the same members (undo that one first), or when undoing
    a rename or a merge would give back an email another live member holds now.
    """
    edit = SpeakerEdit.objects.get(pk=edit.pk)  # the payload never changes: no lock needed
    # giving back an email: a rename's, or a merged member's (live again with its own)
    emails = edit.op == EditOp.MERGE or (
        edit.op == EditOp.RENAME and bool(edit.payload["before"].get("email"))
    )
    _hold_conversation(edit.conversation_id, emails=emails)
    _lock_members(edit.conversation_id, edit.member_ids())
    edit = SpeakerEdit.objects.select_for_update().get(pk=edit.pk)
    if edit.is_undone:
        raise SpeakerOperationError("this edit was already undone")
    blocking = blocking_edits(edit)
    if blocking:
        raise UndoConflict(f"undo “{blocking[-1].summary}” first", blocking)
    p = edit.payload
    if edit.op == EditOp.RENAME:
        _check_email_free(edit, p["member"], p["before"].get("email") or "")
        Member.objects.filter(pk=p["member"]).update(**p["before"])
    elif edit.op == EditOp.MERGE:
        source = Member.objects.get(pk=p["source"])  # locked above
        _check_email_free(edit, source.pk, source.email)
        Member.objects.filter(pk=p["source"]).update(merged_into=None)
        _move(Message, "member_id", p["messages"], p["source"])
        _move(Insight, "from_member_id", p["insights_from"], p["source"])
        _move(Insight, "assignee_id", p["insights_assignee"], p["source"])
    else:
        for model, field, key in (
            (Message, "member_id", "messages"),
            (Insight, "from_member_id", "insights_from"),
        ):
            groups: dict[int | None, list[int]] = defaultdict(list)
            for pk, previous in p[key].items():
                groups[previous].append(int(pk))
            for previous, ids in groups.items():
                _move(model, field, ids, previous)
        if p.get("created"):
            Member.objects.filter(pk=p["member"]).delete()
    SpeakerEdit.objects.filter(pk=edit.pk).update(
        undone_at=timezone.now(), undone_by=user if user and user.is_authenticated else None
    )
    edit.refresh_from_db()
    _announce(edit)
    return edit
