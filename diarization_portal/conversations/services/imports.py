"""Import a parsed :class:`providers.types.Transcript` into a conversation (DESIGN §4).

The import is an idempotent upsert: members on ``(conversation, label_scope, vendor_label,
channel)``, messages and insights on ``(conversation, external_id)``. Importing the same result
again changes nothing, and a name or email a person set is never overwritten. Files whose
speaker labels only mean something inside the file (RTTM, WebVTT, SRT) are scoped by the
file's SHA-256, so a second recording appended to a conversation brings its own members.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from providers.formats import parse as parse_file
from providers.types import ParseError, Transcript

from ..models import Conversation, Insight, Job, JobKind, JobState, Member, Message, Vendor
from .import_checks import ImportRejected, parse_time, transcript_check

__all__ = ["ImportRejected", "ImportResult", "file_import", "transcript_import"]

BATCH = 2000
#: Rows an import must add to a table for PostgreSQL's planner statistics of that table to be
#: refreshed (``ANALYZE``) once the import commits; see :func:`_analyze_after_commit`.
ANALYZE_ROWS = 10_000


@dataclass
class ImportResult:
    """What an import brought into ``conversation``.

    ``members``/``messages``/``insights``: how many of the file's speakers, utterances and
    insights the conversation now holds; ``created``: how many rows were new (0 on a re-import).
    """

    conversation: Conversation
    job: Job
    members: int
    messages: int
    insights: int
    created: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The JSON line printed by ``import_conversation``."""
        return {
            "conversation": self.conversation.pk,
            "members": self.members,
            "messages": self.messages,
            "insights": self.insights,
            "created": self.created,
        }


def _upsert_members(conversation: Conversation, transcript: Transcript, scope: str) -> tuple:
    # Locked (primary-key order, as the speaker operations lock them) before they are read:
    # a merge committed after this read would leave new lines on a merged member.
    everyone = {
        m.pk: m
        for m in Member.objects.select_for_update().filter(conversation=conversation).order_by("pk")
    }
    by_label = {(m.vendor_label, m.channel): m for m in everyone.values() if m.label_scope == scope}
    position = max((m.position for m in everyone.values()), default=-1) + 1
    created: list[Member] = []
    changed: list[Member] = []
    for speaker in transcript.speakers:
        key = (speaker.label, speaker.channel)
        member = by_label.get(key)
        if member is None:
            member = Member(
                conversation=conversation,
                vendor_label=speaker.label,
                label_scope=scope,
                channel=speaker.channel,
                name=(speaker.name or f"Speaker {position + 1}")[:200],
                email=(speaker.email or "").lower(),
                position=position,
            )
            position += 1
            created.append(member)
            by_label[key] = member
            continue
        dirty = False
        if speaker.name and not member.name_locked and member.name != speaker.name:
            member.name, dirty = speaker.name[:200], True
        if speaker.email and not member.email_locked and member.email != speaker.email.lower():
            member.email, dirty = speaker.email.lower(), True
        if dirty:
            changed.append(member)
    Member.objects.bulk_create(created, batch_size=BATCH)
    if changed:
        Member.objects.bulk_update(changed, ["name", "email"], batch_size=BATCH)
    everyone.update({m.pk: m for m in created})
    return by_label, everyone, len(created)


_MESSAGE_COLUMNS = (
    "conversation",
    "external_id",
    "member",
    "diarized_member",
    "text",
    "start",
    "end",
    "channel",
    "job",
)


def _insert_rows(model, fields: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """INSERT ``rows`` (tuples of ``model`` field values in the order of ``fields``; ``None``
    is NULL; a list or an iterator, read once) into ``model``'s table on Django's connection,
    inside the caller's transaction.

    PostgreSQL: one ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy()``, text format; psycopg
    escapes tabs, newlines and backslashes). SQLite: one ``executemany`` per :data:`BATCH`
    rows. Errors are Django's (``django.db.DataError``, ``IntegrityError``…) on both; an
    exception raised by the iterator propagates (the caller's transaction rolls back).
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    meta, quote = model._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django wraps execute() errors, not the attributes it passes through to psycopg.
            statement = f"COPY {table} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        while batch := list(itertools.islice(rows, BATCH)):
            cursor.executemany(sql, batch)


def _insert_messages(rows: Iterable[tuple]) -> None:
    """INSERT message rows (tuples in the order of ``_MESSAGE_COLUMNS``): ``COPY`` on
    PostgreSQL, ``executemany`` on SQLite (:func:`_insert_rows`).

    Building 20,000 model instances for ``bulk_create`` costs seconds of Python; plain tuples
    through the DB-API take a fraction of that, and ``COPY`` a fraction of ``executemany``
    on PostgreSQL (one statement instead of one INSERT per row).
    """
    _insert_rows(Message, _MESSAGE_COLUMNS, rows)


def _analyze_after_commit(counts: dict[type, int]) -> None:
    """On PostgreSQL, ``ANALYZE`` the tables of ``counts`` (model: rows this import added)
    that received at least :data:`ANALYZE_ROWS` rows, once the outermost transaction commits.

    The planner's statistics say nothing of a conversation imported since the last
    (auto)analyze, and a large one then gets plans made for a few rows: a measured
    conversation page went from 50 ms to 600 ms. ``ANALYZE`` could run inside the import's
    transaction (PostgreSQL allows it and samples the transaction's own rows), but it would
    hold its table lock until that transaction ends, making concurrent large imports wait
    for each other, and lengthen a transaction that holds the conversation's row lock; after
    the commit it samples rows every connection sees. ``robust``: the import has committed, so
    a failed ANALYZE is logged, never raised to the caller. SQLite keeps no per-value
    statistics that a new conversation makes stale; nothing is run there.
    """
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model, rows in counts.items() if rows >= ANALYZE_ROWS]
    if tables:
        transaction.on_commit(partial(_analyze, tables), robust=True)


def _analyze(tables: list[str]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(quote(table) for table in tables)}")


def _message_pks(conversation: Conversation, external_ids: set[str]) -> dict[str, int]:
    """``{external_id: pk}`` of the messages of ``conversation`` among ``external_ids`` (ids
    that match no message are left out), read :data:`BATCH` ids at a time."""
    ids = sorted(external_ids)
    found: dict[str, int] = {}
    messages = Message.objects.filter(conversation=conversation)
    for i in range(0, len(ids), BATCH):
        chunk = messages.filter(external_id__in=ids[i : i + BATCH])
        found.update(chunk.values_list("external_id", "pk"))
    return found


def _member_for(label: str | None, channel: int, by_label: dict, where: str) -> Member | None:
    if label is None:
        return None
    member = by_label.get((label, channel)) or next(
        (m for (lab, _), m in by_label.items() if lab == label), None
    )
    if member is None:
        raise ImportRejected(f"{where}: speaker {label!r} is not among the file's speakers")
    return member


@transaction.atomic
def transcript_import(
    *,
    workspace,
    transcript: Transcript,
    source_name: str,
    sha256: str,
    title: str | None = None,
    into: Conversation | None = None,
    job: Job | None = None,
) -> ImportResult:
    """Upsert ``transcript`` into a new conversation of ``workspace`` or, with ``into``, append
    it to that conversation as a further recording.

    ``sha256``: hex digest of the source bytes; it names the import job and, for file-scoped
    labels, the members. ``job`` (vendor sync, needs ``into``): the job whose result this is;
    its ``time_offset`` (seconds) applies and messages point at it, instead of an import job
    found or created by ``sha256``. Raises :class:`ImportRejected` (nothing is written) when
    an utterance or insight names an unknown speaker or message, or when a field cannot be
    stored on either backend: a NUL character, a string longer than its column, a channel out
    of range... (:func:`~.import_checks.transcript_check`).
    """
    if job is not None and (into is None or job.conversation_id != into.pk):
        raise ImportRejected("a job's result can only go into the job's own conversation")
    transcript_check(transcript)
    if into is not None:
        conversation = Conversation.objects.select_for_update().get(pk=into.pk)
        if conversation.workspace_id != workspace.pk:
            raise ImportRejected("that conversation belongs to another workspace")
    else:
        conversation = Conversation.objects.create(
            workspace=workspace,
            title=(title or transcript.title or Path(source_name).stem or "Untitled")[:200],
            vendor=Vendor.FILE,
            source_format=transcript.source,
            language=(transcript.language or "")[:16],
            started_at=parse_time(transcript.started_at, "started_at"),
            speaker_count_hint=min(len(transcript.speakers), 32767) or None,
        )
    if job is None:
        job = Job.objects.filter(
            conversation=conversation, kind=JobKind.IMPORT, source_sha256=sha256
        ).first()
    if job is None:
        # An appended recording starts where the conversation so far ends.
        offset = 0.0
        if into is not None:
            offset = Message.objects.filter(conversation=conversation).aggregate(e=Max("end"))["e"]
        job = Job.objects.create(
            conversation=conversation,
            kind=JobKind.IMPORT,
            state=JobState.DONE,
            source_name=source_name[:255],
            source_sha256=sha256,
            finished_at=timezone.now(),
            time_offset=offset or 0.0,
        )
    scope = "" if transcript.global_speaker_ids else sha256[:16]
    by_label, everyone, members_created = _upsert_members(conversation, transcript, scope)

    prefix = sha256[:12]
    existing = dict(
        Message.objects.filter(conversation=conversation).values_list("external_id", "pk")
    )
    ids_in_file: dict[str, None] = {}
    offset = job.time_offset
    created = [0]

    def message_rows() -> Iterator[tuple]:
        # Made one at a time as the INSERT or COPY reads them: a list of 2,000,000 row tuples
        # would cost half a gigabyte.
        for index, utt in enumerate(transcript.utterances):
            ext = (utt.external_id or f"{prefix}-{index}")[:200]
            ids_in_file[ext] = None
            if ext in existing:
                continue
            existing[ext] = 0  # a repeated id inside the file is imported once
            diarized = _member_for(utt.speaker_label, utt.channel, by_label, f"utterance {index}")
            created[0] += 1
            yield (
                conversation.pk,
                ext,
                diarized.survivor_among(everyone).pk,
                diarized.pk,
                utt.text,
                utt.start + offset,
                utt.end + offset,
                utt.channel,
                job.pk,
            )

    _insert_messages(message_rows())
    rows_created = created[0]
    if rows_created:  # the new rows' keys: only those the insights link to are read back
        linked = {mid for item in transcript.insights for mid in item.message_ids}
        message_pk = _message_pks(conversation, linked)
    else:
        message_pk = existing

    existing_insights = set(
        Insight.objects.filter(conversation=conversation).values_list("external_id", flat=True)
    )
    new_insights: list[Insight] = []
    links: list[tuple[int, list[int]]] = []
    insight_ids: set[str] = set()
    for index, item in enumerate(transcript.insights):
        ext = item.external_id or f"{prefix}-i{index}"
        insight_ids.add(ext)
        if ext in existing_insights:
            continue
        where = f"insights[{index}]"
        frm = _member_for(item.from_label, 0, by_label, f"{where}.from")
        assignee = _member_for(item.assignee_label, 0, by_label, f"{where}.assignee")
        unknown = [m for m in item.message_ids if m not in message_pk]
        if unknown:
            raise ImportRejected(f"{where}.messageIds: unknown message id {unknown[0]!r}")
        new_insights.append(
            Insight(
                conversation=conversation,
                external_id=ext[:200],
                type=item.type,
                text=item.text,
                score=item.score,
                from_member=frm.survivor_among(everyone) if frm else None,
                assignee=assignee.survivor_among(everyone) if assignee else None,
                phrases=item.phrases,
                entities=item.entities,
                definitive=item.definitive,
                due_by=parse_time(item.due_by, f"{where}.dueBy"),
            )
        )
        links.append((len(new_insights) - 1, [message_pk[m] for m in item.message_ids]))
    Insight.objects.bulk_create(new_insights, batch_size=BATCH)
    through = Insight.messages.through
    link_rows = [(new_insights[i].pk, mid) for i, mids in links for mid in dict.fromkeys(mids)]
    _insert_rows(through, ("insight", "message"), link_rows)
    _analyze_after_commit({Message: rows_created, through: len(link_rows)})
    return ImportResult(
        conversation=conversation,
        job=job,
        members=len({(s.label, s.channel) for s in transcript.speakers}),
        messages=len(ids_in_file),
        insights=len(insight_ids),
        created={
            "members": members_created,
            "messages": rows_created,
            "insights": len(new_insights),
        },
    )


def file_import(
    *,
    workspace,
    data: bytes,
    source_name: str,
    format: str = "auto",
    title: str | None = None,
    into: Conversation | None = None,
) -> ImportResult:
    """Parse ``data`` (the bytes of a Symbl JSON, RTTM, WebVTT or SRT file) and import it.

    Raises :class:`providers.types.ParseError` naming the file and the line or field, or
    :class:`ImportRejected`; in both cases nothing is written.

    The file is parsed outside any transaction; every write is :func:`transcript_import`'s
    (one transaction).
    """
    transcript = parse_file(data, format=format, filename=source_name)
    if not transcript.utterances and not transcript.speakers:
        raise ParseError("no speakers or utterances found", source=source_name)
    sha = hashlib.sha256(data).hexdigest()
    return transcript_import(
        workspace=workspace,
        transcript=transcript,
        source_name=source_name,
        sha256=sha,
        title=title,
        into=into,
    )
