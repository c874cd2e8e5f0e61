"""Speaker operations: rename, merge, reassign, split and undo (DESIGN §3).

Every operation runs in one transaction, locks the member rows it touches (ordered by primary
key, so two operations never deadlock), changes references with set-based UPDATEs and records a
:class:`SpeakerEdit` whose payload lists exactly the ids it moved, so that :func:`edit_undo`
can put them back.

Errors: :class:`SpeakerOperationError` (bad request: empty name, member of another
conversation, merged member, merge into itself) and :class:`UndoConflict` (a later edit
changed the same members and must be undone first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from diarization_portal.sync.services import members_changed

from ..models import EditOp, Insight, Member, Message, SpeakerEdit

# SQLite accepts 32,766 bound parameters per statement; stay well below.
ID_CHUNK = 5000
#: How many times a reassign (or a rename looking for the holder of an email) locks the
#: members it found and reads them again (each round only when another transaction changed
#: them meanwhile).
LOCK_ROUNDS = 5


class SpeakerOperationError(ValueError):
    """A speaker operation cannot be applied as asked; ``str(err)`` says why."""


class UndoConflict(SpeakerOperationError):
    """A later, still active edit changed the same members. ``blocking`` lists those edits."""

    def __init__(self, message: str, blocking: list[SpeakerEdit]):
        super().__init__(message)
        self.blocking = blocking


def _chunks(ids: list[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _lock_members(conversation_id: int, ids: Iterable[int]) -> dict[int, Member]:
    """Lock and reload members of ``conversation_id``; raise if any id is not there."""
    wanted = sorted(set(ids))
    rows = {
        m.pk: m
        for m in Member.objects.select_for_update()
        .filter(conversation_id=conversation_id, pk__in=wanted)
        .order_by("pk")
    }
    missing = [i for i in wanted if i not in rows]
    if missing:
        raise SpeakerOperationError(f"member {missing[0]} is not in this conversation")
    return rows


def _require_live(member: Member) -> None:
    if not member.is_live:
        raise SpeakerOperationError(
            f"{member.name} was merged into another speaker; edit that speaker instead"
        )


def _record(conversation_id: int, user, op: str, summary: str, payload: dict) -> SpeakerEdit:
    edit = SpeakerEdit.objects.create(
        conversation_id=conversation_id,
        user=user if user is not None and user.is_authenticated else None,
        op=op,
        summary=summary[:300],
        payload=payload,
    )
    members_changed(edit=edit)  # vendor members: mark pending, push after commit
    return edit


def _move(model, field: str, ids: list[int], to_member_id: int | None) -> None:
    for chunk in _chunks(ids):
        model.objects.filter(pk__in=chunk).update(**{field: to_member_id})


def _email_holder(member: Member, email: str) -> Member | None:
    """The other live member of ``member``'s conversation that holds ``email``, locked, or
    ``None``. The holder is checked again once locked: it may have changed its email or been
    merged in between."""
    for _ in range(LOCK_ROUNDS):
        found = (
            Member.objects.live()
            .filter(conversation_id=member.conversation_id, email__iexact=email)
            .exclude(pk=member.pk)
            .first()
        )
        if found is None:
            return None
        holder = _lock_members(member.conversation_id, [found.pk])[found.pk]
        if holder.is_live and holder.email.lower() == email:
            return holder
    raise SpeakerOperationError(f"the speaker with the email {email} keeps changing; try again")


@transaction.atomic
def member_rename(*, member: Member, name: str, email: str | None = None, user=None) -> SpeakerEdit:
    """Rename ``member`` (one UPDATE of one row) and optionally set its email.

    ``email=None`` leaves the email as it is; ``""`` clears it. When ``email`` belongs to
    another live member of the same conversation, this is Symbl's merge-by-email: ``member``
    merges into that member, which keeps its own id, name and email (see :func:`member_merge`).

    Returns the recorded edit (op ``rename`` or ``merge``).
    Raises :class:`SpeakerOperationError` for an empty name or a merged member.
    Source: Symbl Conversation API, ``PUT /v1/conversations/{id}/members/{memberId}``.
    """
    name = (name or "").strip()
    if not name:
        raise SpeakerOperationError("a speaker needs a name")
    if len(name) > 200:
        raise SpeakerOperationError("a name has at most 200 characters")
    email = email.strip().lower() if email is not None else None
    current = _lock_members(member.conversation_id, [member.pk])[member.pk]
    _require_live(current)
    if email:
        owner = _email_holder(current, email)
        if owner is not None:
            return member_merge(source=current, target=owner, user=user, by_email=True)
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


@transaction.atomic
def member_merge(
    *, source: Member, target: Member, user=None, by_email: bool = False
) -> SpeakerEdit:
    """Merge ``source`` into ``target``: every message, insight ``from`` and ``assignee`` of
    ``source`` moves to ``target`` in three set-based UPDATEs; ``source.merged_into = target``.

    ``target`` keeps its id, name and email. Returns the recorded edit (op ``merge``).
    Raises :class:`SpeakerOperationError` when the members are the same, in different
    conversations, or either is already merged.
    """
    if source.pk == target.pk:
        raise SpeakerOperationError("a speaker cannot be merged into itself")
    if source.conversation_id != target.conversation_id:
        raise SpeakerOperationError("both speakers must be in the same conversation")
    rows = _lock_members(source.conversation_id, [source.pk, target.pk])
    src, dst = rows[source.pk], rows[target.pk]
    _require_live(src)
    _require_live(dst)
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
    source.merged_into_id = dst.pk
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


def _follow_from(conversation_id: int, moved: list[int]) -> dict[str, int | None]:
    """Point ``from`` of insights touching ``moved`` messages at the member who now says all of
    their messages; an insight without a ``from`` keeps none, so a payload never records a null
    previous member (``SpeakerEdit.member_ids`` reads them as ints).
    Returns ``{insight_id: previous from_member_id}`` for the ones changed."""
    through = Insight.messages.through
    touched: set[int] = set()
    for chunk in _chunks(moved):
        touched.update(
            through.objects.filter(message_id__in=chunk).values_list("insight_id", flat=True)
        )
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


def _speakers_of(ids: list[int], target: Member) -> dict[str, int]:
    """``{message_id: member_id}`` of the messages ``ids`` that ``target`` does not say."""
    previous: dict[str, int] = {}
    for chunk in _chunks(ids):
        for pk, member_id in (
            Message.objects.filter(pk__in=chunk)
            .exclude(member_id=target.pk)
            .values_list("pk", "member_id")
        ):
            previous[str(pk)] = member_id
    return previous


def _reassign(conversation_id: int, ids: list[int], target: Member) -> dict:
    """Move the messages ``ids`` to ``target`` (locked by the caller) and follow their
    insights. Who says each message now is read again once its member is locked: until then
    a merge or reassign committing meanwhile may have moved it to a member not locked yet,
    whose id the payload would otherwise miss."""
    locked = {target.pk}
    for _ in range(LOCK_ROUNDS):
        previous = _speakers_of(ids, target)
        unlocked = set(previous.values()) - locked
        if not unlocked:
            break
        _lock_members(conversation_id, unlocked)
        locked |= unlocked
    else:
        raise SpeakerOperationError("these messages keep changing speaker; try again")
    moved = [int(k) for k in previous]
    _move(Message, "member_id", moved, target.pk)
    return {
        "member": target.pk,
        "messages": previous,
        "insights_from": _follow_from(conversation_id, moved) if moved else {},
    }


@transaction.atomic
def messages_reassign(*, messages, member: Member, user=None) -> SpeakerEdit:
    """Say that ``member`` spoke ``messages`` (Message objects or primary keys).

    Insights whose messages all end up with one member take that member as ``from``.
    Returns the recorded edit (op ``reassign``). Raises :class:`SpeakerOperationError` when a
    message is in another conversation, none is given, none changes, or ``member`` is merged.
    """
    target = _lock_members(member.conversation_id, [member.pk])[member.pk]
    _require_live(target)
    ids = _resolve_messages(target.conversation_id, messages)
    payload = _reassign(target.conversation_id, ids, target)
    if not payload["messages"]:
        raise SpeakerOperationError(f"{target.name} already says every chosen message")
    count = len(payload["messages"])
    noun = "message" if count == 1 else "messages"
    return _record(
        target.conversation_id,
        user,
        EditOp.REASSIGN,
        f"Reassigned {count} {noun} to {target.name}",
        payload,
    )


@transaction.atomic
def messages_split(*, conversation, messages, name: str, user=None) -> tuple[SpeakerEdit, Member]:
    """Create a member called ``name`` and give it ``messages`` (one label hid two people).

    Returns ``(edit, new_member)``; undoing the edit gives the messages back and deletes the
    member. Raises :class:`SpeakerOperationError` for an empty name or foreign messages.
    """
    name = (name or "").strip()
    if not name:
        raise SpeakerOperationError("the new speaker needs a name")
    ids = _resolve_messages(conversation.pk, messages)
    last = Member.objects.filter(conversation_id=conversation.pk).aggregate(p=Max("position"))["p"]
    new = Member.objects.create(
        conversation_id=conversation.pk,
        name=name[:200],
        name_locked=True,
        position=(last or 0) + 1,
    )
    payload = _reassign(conversation.pk, ids, new)
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
    """Later active edits of the same conversation that changed any member ``edit`` changed."""
    mine = edit.member_ids()
    later = SpeakerEdit.objects.filter(
        conversation_id=edit.conversation_id, pk__gt=edit.pk, undone_at__isnull=True
    ).order_by("pk")
    return [e for e in later if e.member_ids() & mine]


def _check_email_free(conversation_id: int, member_id: int, email: str) -> None:
    """Refuse to give back ``email`` when another live member of the conversation holds it
    now: two live members never share an email (the merge-by-email rule would be ambiguous).
    Raises :class:`UndoConflict` (with no blocking edit: the holder may be an import)."""
    if not email:
        return
    holder = (
        Member.objects.live()
        .filter(conversation_id=conversation_id, email__iexact=email)
        .exclude(pk=member_id)
        .first()
    )
    if holder is not None:
        raise UndoConflict(
            f"{holder.name} now has the email {email}; change that first", blocking=[]
        )


@transaction.atomic
def edit_undo(*, edit: SpeakerEdit, user=None) -> SpeakerEdit:
    """Restore exactly what ``edit`` changed and mark it undone.

    Raises :class:`SpeakerOperationError` when it is already undone and :class:`UndoConflict`
    when a later active edit changed the same members (undo that one first), or when undoing
    a rename would give back an email another live member holds now.
    """
    edit = SpeakerEdit.objects.select_for_update().get(pk=edit.pk)
    if edit.is_undone:
        raise SpeakerOperationError("this edit was already undone")
    # Lock the members first: a later edit of them committed before the lock is then seen
    # below, and none can commit until this undo does.
    _lock_members(edit.conversation_id, edit.member_ids())
    blocking = blocking_edits(edit)
    if blocking:
        raise UndoConflict(f"undo “{blocking[-1].summary}” first", blocking)
    p = edit.payload
    if edit.op == EditOp.RENAME:
        _check_email_free(edit.conversation_id, p["member"], p["before"].get("email") or "")
        Member.objects.filter(pk=p["member"]).update(**p["before"])
    elif edit.op == EditOp.MERGE:
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
    members_changed(edit=edit)
    return edit
