"""Duplicate-speaker suggestions: pairs of live members of one conversation that are probably
one person, with what merging them would move (DESIGN §3: merge).

A second recording appended to a conversation brings its own members, so the same person
shows up twice ("Speaker 1" of recording 1 and "spk00"/"Speaker A" of recording 2). The rules,
strongest first (``score`` in 0..1):

* ``same_email`` (1.0): both members have the same email (case-insensitive).
* ``same_name`` (0.9): the same name once case, accents and spacing are normalised
  ("Renée  Dupont" = "renee dupont"). Generic labels ("Speaker 1", "spk00", "speaker_0",
  "Speaker A", "unknown") never match by name: every recording numbers its own speakers.
* ``same_position`` (0.4): a speaker with a generic label in a later recording and the member
  that is the n-th voice to speak in the first recording, when it is also the n-th voice to
  speak in its own recording ("spk00" of recording 2 and "Speaker 1" of recording 1). Order
  of first appearance counts every live member that speaks in the recording. Never offered
  when the target already speaks in the source's recording: the diarization separated those.
* ``little_talk`` (0.3-0.6): a speaker with less than 5% of the conversation's speech and
  under 60 s in all (:data:`SHORT_SHARE`, :data:`SHORT_SECONDS`), not named by a person and
  without an email, is usually a fragment the diarization split off someone. It is suggested
  into the speaker it interleaves with: the one who says the message right before or right
  after its messages most often (ties: most talk time in its recording); without such
  neighbours, the one with the most talk time in its recording. Shorter fragments and a
  clearer neighbour score higher.

Direction: the ``target`` keeps its id, name and email (:func:`~.speakers.member_merge`); for
the name, email and position rules it is the member that spoke first (earlier recording), the
``source`` is the later one. Each unordered pair appears once (best rule), never with a merged
member or a member of another conversation, never when dismissed
(:class:`~diarization_portal.conversations.models.DuplicateDismissal`, either direction).

Counts are what :func:`~.speakers.member_merge` moves: ``messages_moved`` = messages said by
the source; ``insights_from`` / ``insights_assignee`` = insights whose ``from`` / assignee is
the source; ``insights_moved`` = distinct insights touched (an insight both from and assigned
to the source counts once). At most five queries whatever the number of members, messages
and insights (one less when the caller passes the live members): live members, per (member,
recording) message aggregates, per (from, assignee) insight counts, dismissals and, only when
there are short speakers, the neighbours of their messages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, FloatField, Max, Min, OuterRef, Q, Subquery, Sum

from ..models import Conversation, DuplicateDismissal, Insight, Member, Message
from .speakers import SpeakerOperationError

SHORT_SHARE = 0.05
SHORT_SECONDS = 60.0
SCORES = {"same_email": 1.0, "same_name": 0.9, "same_position": 0.4}
REASONS = {
    "same_email": "Same email",
    "same_name": "Same name",
    "same_position": "Same turn order",
    "little_talk": "Little talk time",
}
GENERIC = re.compile(r"^(?:(?:speaker|spk|spkr)[\s_\-]*(?:\d+|[a-z])|unknown)$")


@dataclass(frozen=True)
class Candidate:
    """A suggested merge of ``source`` into ``target`` (both live, same conversation).

    ``reason``: a key of :data:`REASONS`; ``detail``: why, in words; counts as in the module
    docstring; ``score``: 0..1, higher is likelier. ``source_recording``/``target_recording``:
    1-based number of the recording (in order of first message) where each member talks
    most, ``None`` when the conversation has one recording or the member no message.
    """

    source: Member
    target: Member
    reason: str
    detail: str
    messages_moved: int
    insights_from: int
    insights_assignee: int
    insights_moved: int
    score: float
    source_recording: int | None = None
    target_recording: int | None = None

    @property
    def reason_label(self) -> str:
        """The reason in words, as the dashboard shows it (:data:`REASONS`)."""
        return REASONS[self.reason]


@dataclass
class _Spoken:
    """Messages of one member: totals and, per recording (job id), (talk, first, last)."""

    talk: float = 0.0
    messages: int = 0
    by_job: dict[int | None, list[float]] = field(default_factory=dict)

    @property
    def home(self) -> int | None:
        """The recording where the member talks most."""
        return max(self.by_job, key=lambda job: self.by_job[job][0])


def normalise_name(name: str) -> str:
    """``name`` without accents, case or repeated spaces: "  Renée DUPONT" → "renee dupont"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def is_generic(name: str) -> bool:
    """True for diarization labels that only number speakers ("Speaker 2", "spk_01",
    "SPEAKER_00", "Speaker B", "unknown")."""
    return bool(GENERIC.match(normalise_name(name)))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _spoken(conversation_id: int) -> dict[int, _Spoken]:
    rows = (
        Message.objects.filter(conversation_id=conversation_id)
        .order_by()
        .values("member_id", "job_id")
        .annotate(
            talk=Sum(F("end") - F("start"), output_field=FloatField()),
            n=Count("pk"),
            first=Min("start"),
            last=Max("end"),
        )
    )
    out: dict[int, _Spoken] = defaultdict(_Spoken)
    for row in rows:
        spoken = out[row["member_id"]]
        spoken.talk += row["talk"] or 0.0
        spoken.messages += row["n"]
        spoken.by_job[row["job_id"]] = [row["talk"] or 0.0, row["first"], row["last"]]
    return dict(out)


def _insight_refs(conversation_id: int) -> tuple[dict, dict, dict]:
    """``(from counts, assignee counts, both counts)`` per member id."""
    frm: dict[int, int] = defaultdict(int)
    to: dict[int, int] = defaultdict(int)
    both: dict[int, int] = defaultdict(int)
    rows = (
        Insight.objects.filter(conversation_id=conversation_id)
        .filter(Q(from_member__isnull=False) | Q(assignee__isnull=False))
        .order_by()
        .values_list("from_member_id", "assignee_id")
        .annotate(n=Count("pk"))
    )
    for from_id, assignee_id, n in rows:
        if from_id is not None:
            frm[from_id] += n
        if assignee_id is not None:
            to[assignee_id] += n
        if from_id is not None and from_id == assignee_id:
            both[from_id] += n
    return frm, to, both


def duplicate_candidates(
    *, conversation: Conversation, members: list[Member] | None = None
) -> list[Candidate]:
    """The suggested merges of ``conversation``, best first (score, then source position).

    ``members``: its live members when the caller already loaded them (saves one query).
    Rules, counts and query count: see the module docstring.
    """
    live = [
        m
        for m in (
            members
            if members is not None
            else Member.objects.live().filter(conversation=conversation).order_by("position", "pk")
        )
        if m.merged_into_id is None
    ]
    if len(live) < 2:
        return []
    spoken = _spoken(conversation.pk)
    frm, to, both = _insight_refs(conversation.pk)
    dismissed = {
        frozenset(pair)
        for pair in DuplicateDismissal.objects.filter(conversation=conversation).values_list(
            "source_id", "target_id"
        )
    }
    order = _recordings(spoken)
    found: dict[frozenset, tuple[Member, Member, str, str, float]] = {}
    for source, target, reason, detail, score in _rules(conversation.pk, live, spoken, order):
        pair = frozenset((source.pk, target.pk))
        if pair in dismissed or (pair in found and found[pair][4] >= score):
            continue
        found[pair] = (source, target, reason, detail, score)
    out = [
        Candidate(
            source=s,
            target=t,
            reason=reason,
            detail=detail,
            messages_moved=spoken[s.pk].messages if s.pk in spoken else 0,
            insights_from=frm[s.pk],
            insights_assignee=to[s.pk],
            insights_moved=frm[s.pk] + to[s.pk] - both[s.pk],
            score=round(score, 3),
            source_recording=_number(s, spoken, order),
            target_recording=_number(t, spoken, order),
        )
        for s, t, reason, detail, score in found.values()
    ]
    return sorted(out, key=lambda c: (-c.score, c.source.position, c.source.pk, c.target.pk))


def _recordings(spoken: dict[int, _Spoken]) -> dict[int | None, int]:
    """``{job id: 0-based index}`` of the recordings in order of their first message."""
    jobs: dict[int | None, float] = {}
    for s in spoken.values():
        for job, (_, first, _) in s.by_job.items():
            jobs[job] = min(jobs.get(job, math.inf), first)
    return {job: i for i, job in enumerate(sorted(jobs, key=lambda j: jobs[j]))}


def _number(m: Member, spoken: dict[int, _Spoken], order: dict) -> int | None:
    if len(order) < 2 or m.pk not in spoken:
        return None
    return order[spoken[m.pk].home] + 1


def _rules(conversation_id: int, live: list[Member], spoken: dict[int, _Spoken], order: dict):
    """Yield ``(source, target, reason, detail, score)`` of every rule (pairs may repeat)."""

    def appearance(m: Member) -> tuple:
        s = spoken.get(m.pk)
        if s is None:
            return (math.inf, math.inf, m.position, m.pk)
        return (order[s.home], min(v[1] for v in s.by_job.values()), m.position, m.pk)

    for key, reason, describe in (
        (lambda m: (m.email or "").strip().lower(), "same_email", "Both have the email {}."),
        (
            lambda m: "" if is_generic(m.name) else normalise_name(m.name),
            "same_name",
            "Both are called “{}”.",
        ),
    ):
        groups: dict[str, list[Member]] = defaultdict(list)
        for m in live:
            if key(m):
                groups[key(m)].append(m)
        for value, group in groups.items():
            if len(group) < 2:
                continue
            target, *sources = sorted(group, key=appearance)
            shown = target.email if reason == "same_email" else target.name
            for source in sources:
                yield source, target, reason, describe.format(shown or value), SCORES[reason]
    yield from _same_position(live, spoken, order)
    yield from _little_talk(conversation_id, live, spoken, order)


def _same_position(live, spoken, order):
    if len(order) < 2:
        return
    ranks: dict[int | None, list[Member]] = defaultdict(list)
    for m in live:
        for job in spoken[m.pk].by_job if m.pk in spoken else {}:
            ranks[job].append(m)
    for job, members in ranks.items():
        members.sort(key=lambda m: (spoken[m.pk].by_job[job][1], m.position))
    first_job = min(order, key=order.get)
    reference = ranks[first_job]
    for job, members in ranks.items():
        if job == first_job:
            continue
        for rank, source in enumerate(members):
            s = spoken[source.pk]
            if s.home != job or first_job in s.by_job or not is_generic(source.name):
                continue
            if rank >= len(reference):
                continue
            target = reference[rank]
            if job in spoken[target.pk].by_job:
                continue  # both speak in this recording: the diarization told them apart
            nth = _ordinal(rank + 1)
            detail = (
                f"{source.name} is the {nth} voice to speak in recording {order[job] + 1}, "
                f"{target.name} the {nth} in recording {order[first_job] + 1}."
            )
            yield source, target, "same_position", detail, SCORES["same_position"]


def _neighbours(conversation_id: int, short: list[int]) -> dict[int, dict[int, int]]:
    """``{short member: {member: times it spoke the message right before or after}}``."""
    if not short:
        return {}
    messages = Message.objects.filter(conversation_id=conversation_id)
    before = messages.filter(start__lt=OuterRef("start")).order_by("-start", "-pk")
    after = messages.filter(start__gt=OuterRef("start")).order_by("start", "pk")
    rows = (
        messages.filter(member_id__in=short)
        .annotate(
            before=Subquery(before.values("member_id")[:1]),
            after=Subquery(after.values("member_id")[:1]),
        )
        .values_list("member_id", "before", "after")
    )
    out: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for member_id, *around in rows:
        for other in around:
            if other is not None and other != member_id:
                out[member_id][other] += 1
    return out


def _little_talk(conversation_id, live, spoken, order):
    total = sum(spoken[m.pk].talk for m in live if m.pk in spoken)
    limit = min(SHORT_SHARE * total, SHORT_SECONDS)
    short = {
        m.pk for m in live if m.pk in spoken and spoken[m.pk].messages and spoken[m.pk].talk < limit
    }
    sources = [m for m in live if m.pk in short and not m.name_locked and not m.email]
    around = _neighbours(conversation_id, [m.pk for m in sources])
    for source in sources:
        s = spoken[source.pk]
        home = s.home
        others = [m for m in live if m.pk != source.pk and m.pk not in short and m.pk in spoken]
        home_talk = {m.pk: spoken[m.pk].by_job.get(home, [0.0])[0] for m in others}
        near = around.get(source.pk, {})
        pool = [m for m in others if near.get(m.pk)]
        if pool:
            target = max(pool, key=lambda m: (near[m.pk], home_talk[m.pk], -m.position))
            seen = sum(near.values())
            clarity = near[target.pk] / seen
            where = f"between turns of {target.name} ({near[target.pk]} of {seen} neighbours)"
        else:
            pool = [m for m in others if home_talk[m.pk] > 0]
            if not pool:
                continue
            target = max(pool, key=lambda m: (home_talk[m.pk], -m.position))
            clarity = 0.0
            where = f"{target.name} talks most in the same recording"
        share = 100.0 * s.talk / total
        detail = f"{source.name} speaks only {s.talk:.1f} s ({share:.1f}% of the speech), {where}."
        score = 0.3 + 0.15 * (1.0 - s.talk / limit) + 0.15 * clarity
        yield source, target, "little_talk", detail, score


@transaction.atomic
def duplicate_dismiss(*, source: Member, target: Member, user=None) -> DuplicateDismissal:
    """Record that ``source`` and ``target`` are different speakers, so they are no longer
    suggested as duplicates (either direction). Idempotent: returns the existing record.
    Raises :class:`~.speakers.SpeakerOperationError` for one member twice or members of
    different conversations."""
    if source.pk == target.pk:
        raise SpeakerOperationError("a speaker is always the same as itself")
    if source.conversation_id != target.conversation_id:
        raise SpeakerOperationError("both speakers must be in the same conversation")
    existing = DuplicateDismissal.objects.filter(
        Q(source=source, target=target) | Q(source=target, target=source)
    ).first()
    if existing is not None:
        return existing
    return DuplicateDismissal.objects.create(
        conversation_id=source.conversation_id,
        source=source,
        target=target,
        user=user if user is not None and user.is_authenticated else None,
    )
