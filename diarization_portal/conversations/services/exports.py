"""Export a conversation with its current speaker names: WebVTT, SRT, RTTM or Symbl JSON.

Names live only on :class:`~diarization_portal.conversations.models.Member` (DESIGN §2), so an
export reads the conversation's members once, then streams its messages with
``QuerySet.iterator()`` and writes each segment with the current name of its member: a rename
or a merge shows in the next export. Merged members never appear (messages and insights always
point to live members); members who never speak appear only in the JSON ``members`` list.

Every format keeps the conversation timeline: times are seconds from the start of the
conversation, so the segments of an appended recording keep their place after the first
recording. The formats, their sources and what each keeps:

* ``vtt`` — W3C WebVTT (https://www.w3.org/TR/webvtt1/, 4.2.2 cue voice span): one cue per
  message, ``<v Name>text``, written with webvtt-py. Times in milliseconds
  (``hh:mm:ss.ttt``). ``&``, ``<`` and ``>`` in names and text are written as character
  references (``&amp;`` ``&lt;`` ``&gt;``).
* ``srt`` — SubRip, written with the ``srt`` library: one cue per message, ``Name: text``, the
  convention :mod:`providers.formats.srt` reads. A name that prefix cannot carry (lower-case
  start, punctuation, digits first, more than four words) is written ``[Name]: text`` with
  ``]`` and ``\\`` escaped by a backslash (:data:`providers.formats.srt.TAGGED_SPEAKER`).
  Times in milliseconds (``hh:mm:ss,mmm``). SRT has no escapes for text: ``<i>``-like tags
  in a message are read back as formatting, and a name or text that looks like cue timings
  (``1:00:00,000 -->``) makes the importer refuse the file.
* ``rttm`` — NIST RT-09 evaluation plan, appendix A: one line per message,
  ``SPEAKER <file-id> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>``; onset and
  duration in seconds with 3 decimals; channel from ``Message.channel`` (``0``, "unknown",
  is written as ``1``); file id from the conversation title (:func:`rttm_token`). The speaker
  field is the member's name with each run of whitespace replaced by ``_``
  (``"Priya Natarajan"`` -> ``Priya_Natarajan``), because RTTM fields are split on
  whitespace; ``"Ann Lee"`` and ``"Ann_Lee"`` are then one speaker. Text is not part of RTTM.
* ``json`` — the Symbl.ai Conversation API bundle that :mod:`providers.formats.symbl` reads
  (vendor-apis.md 1.5): ``{"conversation": {id, type, name, startTime?}, "members": [{id,
  name, email?}], "messages": [{id, text, from: {id, name, email?}, startTime?, endTime?,
  timeOffset, duration, conversationId}], "insights": [{id, type, text, score, messageIds,
  phrases, entities, from, assignee, definitive?, dueBy?}]}``. Member ids are the members'
  UUIDs, message and insight ids their ``external_id``, the conversation id its
  ``external_id`` (else its primary key); ``startTime``/``endTime`` (ISO 8601, UTC) only when
  the conversation's start is known; ``timeOffset``/``duration`` are exact (float seconds).
  Importing it gives back the same speakers, messages and insights.

In WebVTT, SRT and RTTM a speaker is known only by its name: names are written with runs of
whitespace (line breaks too) collapsed to one space (``_`` in RTTM), and two live members with
the same name become one speaker there (JSON keeps them apart by id). A member whose name is
blank is written ``Speaker N`` (its position). Message text is written on one line, runs of
whitespace collapsed, as the importers read it anyway. A segment without text (diarization-
only imports: RTTM, Phonexia, DeepAffects) is a cue holding only the speaker: ``<v Name>`` in
WebVTT, ``Name:`` in SRT, which the importers read back as a segment of that speaker with
empty text. A segment whose end is before its start (no importer makes one) is written with
end = start.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta

import srt as srtlib
from django.utils.text import slugify
from webvtt import Caption
from webvtt.models import Timestamp
from webvtt.vtt import WebVTTCueBlock

from providers.formats._common import squash
from providers.formats.srt import speaker_turns

from ..models import Conversation, Insight, Member, Message

FORMATS = ("vtt", "srt", "rttm", "json")
CONTENT_TYPES = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "rttm": "text/plain; charset=utf-8",
    "json": "application/json",
}
#: Characters per chunk handed to the response (pieces are joined up to about this size).
CHUNK_CHARS = 64 * 1024
#: Rows fetched per round trip while streaming messages.
FETCH_ROWS = 2000

_MESSAGE_FIELDS = ("external_id", "member_id", "text", "start", "end", "channel")


class UnknownExportFormat(ValueError):
    """The requested export format is not one of :data:`FORMATS`."""


@dataclass(frozen=True)
class Export:
    """One export: ``chunks`` yields the file as ``str`` pieces (UTF-8 when encoded).

    ``filename`` (``weekly-product-sync.vtt``) and ``content_type`` are ready for a
    ``Content-Disposition: attachment`` response::

        StreamingHttpResponse(export.chunks, content_type=export.content_type)

    ``chunks`` is a generator: it reads messages from the database as it is consumed and can
    be consumed once.
    """

    format: str
    filename: str
    content_type: str
    chunks: Iterator[str]

    def read(self) -> str:
        """The whole file as one string (consumes :attr:`chunks`; for small conversations)."""
        return "".join(self.chunks)


def conversation_export(*, conversation: Conversation, format: str) -> Export:
    """Export ``conversation`` in ``format`` (one of :data:`FORMATS`) with current names.

    Reads the members with one query now, and the messages with one more query (``json``: plus
    two for the insights and their message ids) while :attr:`Export.chunks` is consumed, so
    the query count does not grow with the number of messages. Not a transaction: a long export runs
    beside edits, and a member created after the export started (a split) is loaded when
    one of its messages comes up. Raises :class:`UnknownExportFormat` for another format.
    See the module docstring for each format's shape and units.
    """
    if format not in FORMATS:
        raise UnknownExportFormat(f"unknown export format {format!r}; expected one of {FORMATS}")
    speakers = _Speakers(conversation)
    writer = _WRITERS[format]
    return Export(
        format=format,
        filename=f"{slugify(conversation.title) or f'conversation-{conversation.pk}'}.{format}",
        content_type=CONTENT_TYPES[format],
        chunks=_joined(writer(conversation, speakers)),
    )


def rttm_token(text: str) -> str:
    """``text`` as one RTTM field: each run of whitespace replaced by ``_`` (``""`` stays
    ``""``). RT-09 fields are separated by whitespace, so a field cannot hold any."""
    return "_".join(text.split())


def milliseconds(seconds: float) -> int:
    """``seconds`` rounded to whole milliseconds, halves up (the precision of WebVTT, SRT
    and the 3 decimals written to RTTM)."""
    return math.floor(seconds * 1000 + 0.5)


class _Speakers:
    """The conversation's members by primary key, with their names as each format writes them.

    Loaded with one query; a member created after that (a split during a long export) is
    loaded when a message points to it. A merged member stands for its live target.
    """

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.by_pk = {m.pk: m for m in Member.objects.filter(conversation=conversation)}
        self._cache: dict[tuple[str, int], str] = {}

    def live(self) -> list[Member]:
        """Live members in order of first appearance."""
        members = [m for m in self.by_pk.values() if m.merged_into_id is None]
        return sorted(members, key=lambda m: (m.position, m.pk))

    def member(self, pk: int) -> Member:
        """Member ``pk``, or the live member it was merged into (loaded if new)."""
        if pk not in self.by_pk:
            self.by_pk.update({m.pk: m for m in Member.objects.filter(pk=pk)})
        member, hops = self.by_pk[pk], 0
        while member.merged_into_id is not None and hops < 1000:
            member, hops = self.member(member.merged_into_id), hops + 1
        return member

    def name(self, pk: int) -> str:
        """The member's name on one line, or ``Speaker N`` when it is blank."""
        member = self.member(pk)
        return squash(member.name) or f"Speaker {member.position + 1}"

    def written(self, kind: str, pk: int, make: Callable[[str], str]) -> str:
        """``make(name)`` for member ``pk``, computed once per member and format."""
        key = (kind, pk)
        if key not in self._cache:
            self._cache[key] = make(self.name(pk))
        return self._cache[key]


def _messages(conversation: Conversation) -> Iterator[tuple]:
    """``(external_id, member_id, text, start, end, channel)`` in timeline order, streamed."""
    return (
        Message.objects.filter(conversation=conversation)
        .order_by("start", "pk")
        .values_list(*_MESSAGE_FIELDS)
        .iterator(chunk_size=FETCH_ROWS)
    )


def _times(start: float, end: float) -> tuple[int, int]:
    """Start and end in milliseconds, the end never before the start."""
    start_ms = milliseconds(start)
    return start_ms, max(milliseconds(end), start_ms)


def _joined(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces into chunks of about :data:`CHUNK_CHARS` characters."""
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)


# --- WebVTT -----------------------------------------------------------------------------------


def _vtt_escape(text: str) -> str:
    return html.escape(text, quote=False)


def _timestamp(ms: int) -> Timestamp:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return Timestamp(hours, minutes, *divmod(rest, 1000))


def _vtt(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    title = squash(conversation.title)
    # Header text after "WEBVTT" must not hold "-->" (W3C WebVTT 4.1).
    yield f"WEBVTT - {title}\n" if title and "-->" not in title else "WEBVTT\n"
    # One Caption, refilled for every cue: webvtt-py lays out each cue block without parsing
    # default times and settings 100,000 times (a new Caption per cue is 4 times slower).
    caption = Caption()
    for _, member_id, text, start, end, _ in _messages(conversation):
        voice = speakers.written("vtt", member_id, lambda name: f"<v {_vtt_escape(name)}>")
        start_ms, end_ms = _times(start, end)
        caption.start_time, caption.end_time = _timestamp(start_ms), _timestamp(end_ms)
        caption.lines = [voice + _vtt_escape(squash(text))]
        # format_lines gives ["", timings, text]: the blank line before each cue.
        yield "\n".join(WebVTTCueBlock.format_lines(caption)) + "\n"


# --- SRT --------------------------------------------------------------------------------------


def srt_prefix(name: str) -> str:
    """The speaker prefix of an SRT cue for ``name`` (one line), ending in ``":"``.

    ``Name:`` when :mod:`providers.formats.srt` reads that prefix back as exactly ``name``;
    otherwise ``[Name]:`` with ``\\`` and ``]`` escaped by a backslash.
    """
    if speaker_turns(f"{name}: x") == [(name, "x")]:
        return f"{name}:"
    escaped = name.replace("\\", "\\\\").replace("]", "\\]")
    return f"[{escaped}]:"


def _srt(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    for index, (_, member_id, text, start, end, _) in enumerate(_messages(conversation), 1):
        prefix = speakers.written("srt", member_id, srt_prefix)
        body = squash(text)
        start_ms, end_ms = _times(start, end)
        yield srtlib.Subtitle(
            index=index,
            start=timedelta(milliseconds=start_ms),
            end=timedelta(milliseconds=end_ms),
            content=f"{prefix} {body}" if body else prefix,
        ).to_srt()


# --- RTTM -------------------------------------------------------------------------------------


def _rttm_seconds(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


def _rttm(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    file_id = rttm_token(conversation.title) or f"conversation-{conversation.pk}"
    for _, member_id, _, start, end, channel in _messages(conversation):
        speaker = speakers.written("rttm", member_id, rttm_token)
        start_ms, end_ms = _times(start, end)
        yield (
            f"SPEAKER {file_id} {channel or 1} {_rttm_seconds(start_ms)} "
            f"{_rttm_seconds(end_ms - start_ms)} <NA> <NA> {speaker} <NA> <NA>\n"
        )


# --- Symbl JSON -------------------------------------------------------------------------------


def _iso(value) -> str:
    """An aware datetime as Symbl writes it: ``2024-03-04T10:00:01.120Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _person(member: Member | None) -> dict:
    if member is None:
        return {}
    person = {"id": str(member.uuid), "name": member.name}
    if member.email:
        person["email"] = member.email
    return person


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    conv_id = conversation.external_id or str(conversation.pk)
    head = {"id": conv_id, "type": "meeting", "name": conversation.title}
    started = conversation.started_at
    if started is not None:
        head["startTime"] = _iso(started)
    members = [_person(m) for m in speakers.live()]
    yield f'{{"conversation":{_dumps(head)},\n"members":{_dumps(members)},\n"messages":['
    people: dict[int, dict] = {}
    for index, (ext, member_id, text, start, end, _) in enumerate(_messages(conversation)):
        if member_id not in people:
            people[member_id] = _person(speakers.member(member_id))
        message = {"id": ext, "text": text, "from": people[member_id]}
        if started is not None:
            message["startTime"] = _iso(started + timedelta(seconds=start))
            message["endTime"] = _iso(started + timedelta(seconds=end))
        message.update(timeOffset=start, duration=max(end - start, 0.0), conversationId=conv_id)
        yield ("\n" if index == 0 else ",\n") + _dumps(message)
    yield "],\n" + '"insights":['
    for index, insight in enumerate(_insights(conversation, speakers)):
        yield ("\n" if index == 0 else ",\n") + _dumps(insight)
    yield "]}\n"


def _insights(conversation: Conversation, speakers: _Speakers) -> Iterator[dict]:
    """Symbl insight objects (``GET /{id}/insights`` items), two queries in all."""
    links: dict[int, list[str]] = {}
    through = Insight.messages.through.objects.filter(insight__conversation=conversation)
    for insight_id, message_ext in through.order_by("message__start", "message_id").values_list(
        "insight_id", "message__external_id"
    ):
        links.setdefault(insight_id, []).append(message_ext)
    rows = Insight.objects.filter(conversation=conversation).order_by("pk")
    for insight in rows.iterator(chunk_size=FETCH_ROWS):
        item = {
            "id": insight.external_id,
            "type": insight.type,
            "text": insight.text,
            "score": insight.score,
            "messageIds": links.get(insight.pk, []),
            "phrases": insight.phrases,
            "entities": insight.entities,
            "from": _person(speakers.member(insight.from_member_id))
            if insight.from_member_id
            else {},
            "assignee": _person(speakers.member(insight.assignee_id))
            if insight.assignee_id
            else {},
        }
        if insight.definitive is not None:
            item["definitive"] = insight.definitive
        if insight.due_by is not None:
            item["dueBy"] = _iso(insight.due_by)
        yield item


_WRITERS: dict[str, Callable[[Conversation, _Speakers], Iterator[str]]] = {
    "vtt": _vtt,
    "srt": _srt,
    "rttm": _rttm,
    "json": _json,
}
