"""Export a conversation with its current speaker names: WebVTT, SRT, RTTM or Symbl JSON.

This module only reads the database: it gathers the messages, members and insights and hands
them, as :mod:`providers.types` dataclasses, to the writers that sit beside the parsers
(``providers/formats/<format>.py`` reads and writes its format): ``write_lines`` of
:mod:`providers.formats.vtt`, :mod:`~providers.formats.srt`, :mod:`~providers.formats.rttm`
and :mod:`~providers.formats.symbl`.

Names live only on :class:`~diarization_portal.conversations.models.Member` (DESIGN §2), so an
export reads the conversation's members once, then streams its messages with
``QuerySet.iterator()`` and writes each segment with the current name of its member: a rename
or a merge shows in the next export. Merged members never appear (messages and insights always
point to live members); members who never speak appear only in the JSON ``members`` list.

Every format keeps the conversation timeline: times are seconds from the start of the
conversation, so the segments of an appended recording keep their place after the first
recording. The formats, their sources and what each keeps:

* ``vtt`` — W3C WebVTT (https://www.w3.org/TR/webvtt1/, 4.2.2 cue voice span): one cue per
  message, ``<v Name>text``. Times in milliseconds
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
  is written as ``1``); file id from the conversation title
  (:func:`providers.formats.rttm.token`). The speaker field is the member's name with each
  run of whitespace replaced by ``_``
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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.utils.text import slugify

from providers.formats import rttm, srt, symbl, vtt
from providers.formats._common import squash
from providers.types import InsightData, Speaker, Utterance

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


class _Speakers:
    """The conversation's members by primary key, with their names as each format writes them.

    Loaded with one query; a member created after that (a split during a long export) is
    loaded when a message points to it. A merged member stands for its live target.
    """

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.by_pk = {m.pk: m for m in Member.objects.filter(conversation=conversation)}
        #: Speakers of the JSON export by label (the member's UUID), filled by :meth:`speaker`.
        self.by_uuid: dict[str, Speaker] = {}

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

    def speaker(self, pk: int) -> Speaker:
        """Member ``pk`` (or its live target) as a JSON person: label = UUID, name, email."""
        member = self.member(pk)
        label = str(member.uuid)
        if label not in self.by_uuid:
            self.by_uuid[label] = _person(member)
        return self.by_uuid[label]


def _person(member: Member) -> Speaker:
    return Speaker(label=str(member.uuid), name=member.name, email=member.email or None)


def _messages(conversation: Conversation) -> Iterator[tuple]:
    """``(external_id, member_id, text, start, end, channel)`` in timeline order, streamed."""
    return (
        Message.objects.filter(conversation=conversation)
        .order_by("start", "pk")
        .values_list(*_MESSAGE_FIELDS)
        .iterator(chunk_size=FETCH_ROWS)
    )


def _utterances(conversation: Conversation, label: Callable[[int], str]) -> Iterator[Utterance]:
    """Messages as utterances in timeline order, streamed; ``label(member_id)`` is the speaker
    label, asked once per member: the name on one line (the only identity a speaker has in
    WebVTT, SRT and RTTM, :meth:`_Speakers.name`) or the UUID (JSON)."""
    labels: dict[int, str] = {}
    for ext, member_id, text, start, end, channel in _messages(conversation):
        if member_id not in labels:
            labels[member_id] = label(member_id)
        yield Utterance(labels[member_id], start, end, text, channel=channel, external_id=ext)


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


def _vtt(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    return vtt.write_lines(_utterances(conversation, speakers.name), title=conversation.title)


def _srt(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    return srt.write_lines(_utterances(conversation, speakers.name))


def _rttm(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    file_id = rttm.token(conversation.title) or f"conversation-{conversation.pk}"
    return rttm.write_lines(_utterances(conversation, speakers.name), file_id=file_id)


def _json(conversation: Conversation, speakers: _Speakers) -> Iterator[str]:
    return symbl.write_lines(
        conversation_id=conversation.external_id or str(conversation.pk),
        title=conversation.title,
        started_at=conversation.started_at,
        members=[_person(m) for m in speakers.live()],
        utterances=_utterances(conversation, lambda pk: speakers.speaker(pk).label),
        insights=_insights(conversation, speakers),
        speakers=speakers.by_uuid,
    )


def _insights(conversation: Conversation, speakers: _Speakers) -> Iterator[InsightData]:
    """The conversation's insights with their message ids in timeline order, two queries."""
    links: dict[int, list[str]] = {}
    through = Insight.messages.through.objects.filter(insight__conversation=conversation)
    for insight_id, message_ext in through.order_by("message__start", "message_id").values_list(
        "insight_id", "message__external_id"
    ):
        links.setdefault(insight_id, []).append(message_ext)
    rows = Insight.objects.filter(conversation=conversation).order_by("pk")
    for insight in rows.iterator(chunk_size=FETCH_ROWS):
        yield InsightData(
            type=insight.type,
            text=insight.text,
            external_id=insight.external_id,
            score=insight.score,
            from_label=_label(speakers, insight.from_member_id),
            assignee_label=_label(speakers, insight.assignee_id),
            message_ids=tuple(links.get(insight.pk, ())),
            phrases=insight.phrases,
            entities=insight.entities,
            definitive=insight.definitive,
            due_by=symbl.iso_time(insight.due_by) if insight.due_by is not None else None,
        )


def _label(speakers: _Speakers, member_id: int | None) -> str | None:
    return speakers.speaker(member_id).label if member_id else None


_WRITERS: dict[str, Callable[[Conversation, _Speakers], Iterator[str]]] = {
    "vtt": _vtt,
    "srt": _srt,
    "rttm": _rttm,
    "json": _json,
}
