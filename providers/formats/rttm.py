"""RTTM (Rich Transcription Time Marked) diarization files.

Follows the NIST RT-09 evaluation plan, appendix A: one space-separated record per line,
``SPEAKER <file-id> <channel> <onset> <duration> <ortho> <stype> <name> <conf> <slat>``
with ``<NA>`` for unused fields; onset and duration are in seconds. This is the format of
pyannote, VoxConverse, the AMI diarization setup and the Earnings-21 references.

``providers/formats/<format>.py`` reads and writes its format: :func:`parse` reads RTTM,
:func:`write` and :func:`write_lines` write utterances as ``SPEAKER`` lines (plain Python).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator

from providers.formats._common import SpeakerTable, by_start, iter_lines, milliseconds, to_text
from providers.types import ParseError, Transcript, Utterance

#: Record types defined by RT-09. Only ``SPEAKER`` records carry speaker turns; the others
#: (``SPKR-INFO``, ``LEXEME``...) are skipped.
RECORD_TYPES = frozenset(
    {
        "SEGMENT",
        "NOSCORE",
        "NO_RT_METADATA",
        "LEXEME",
        "NON-LEX",
        "NON-SPEECH",
        "FILLER",
        "EDIT",
        "IP",
        "SU",
        "CB",
        "A/P",
        "SPEAKER",
        "SPKR-INFO",
    }
)
MIN_SPEAKER_FIELDS = 8


def parse(text: str | bytes) -> Transcript:
    """Parse RTTM text into a :class:`~providers.types.Transcript` (``source="rttm"``).

    Every ``SPEAKER`` line becomes one :class:`~providers.types.Utterance` with
    ``start = onset``, ``end = onset + duration`` (seconds), ``text=""`` and ``channel`` taken
    from field 3 as written (usually ``1``). One :class:`~providers.types.Speaker` is made per
    ``(speaker name field, channel)`` in order of first appearance, with ``name=None``: RTTM
    speaker ids such as ``spk00`` only mean something inside this file, so
    ``global_speaker_ids`` is False. Utterances are sorted by start; equal starts keep the
    file order. Blank lines, ``;;`` comments and other record types are ignored; a file
    without ``SPEAKER`` lines gives an empty transcript.

    Raises :class:`~providers.types.ParseError` with ``location="line N"`` for a ``SPEAKER``
    line with fewer than 8 fields, a non-integer channel, a non-numeric, negative or infinite
    onset or duration, and for a line whose first field is not an RT-09 record type.
    """
    text = to_text(text)
    speakers = SpeakerTable()
    utterances: list[Utterance] = []
    # Lines are read lazily: a 2,000,000-line file split whole would hold every line at once.
    for number, line in enumerate(iter_lines(text), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(";;"):
            continue
        kind = fields[0]
        if kind != "SPEAKER":
            if kind.upper() not in RECORD_TYPES:
                raise ParseError(
                    f"unknown RTTM record type {kind!r} (expected SPEAKER, SPKR-INFO, ...)",
                    location=f"line {number}",
                )
            continue
        utterance = _speaker_record(fields, number)
        speakers.add(utterance.speaker_label, channel=utterance.channel)
        utterances.append(utterance)
    return Transcript(
        source="rttm",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        global_speaker_ids=False,
    )


def _speaker_record(fields: list[str], number: int) -> Utterance:
    where = f"line {number}"
    if len(fields) < MIN_SPEAKER_FIELDS:
        raise ParseError(
            f"SPEAKER line has {len(fields)} fields, expected at least {MIN_SPEAKER_FIELDS}: "
            "SPEAKER <file-id> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>",
            location=where,
        )
    try:
        channel = int(fields[2])
    except ValueError:
        raise ParseError(f"channel {fields[2]!r} is not an integer", location=where) from None
    onset = _seconds(fields[3], "onset", where)
    duration = _seconds(fields[4], "duration", where)
    return Utterance(
        speaker_label=sys.intern(fields[7]),  # one string per speaker, not per line
        start=onset,
        end=onset + duration,
        text="",
        channel=channel,
    )


def _seconds(raw: str, what: str, where: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ParseError(f"{what} {raw!r} is not a number of seconds", location=where) from None
    if not math.isfinite(value):
        raise ParseError(f"{what} {raw!r} is not a finite number", location=where)
    if value < 0:
        raise ParseError(f"negative {what} {raw!r}", location=where)
    return value


def token(text: str) -> str:
    """``text`` as one RTTM field: each run of whitespace replaced by ``_`` (``""`` stays
    ``""``). RT-09 fields are separated by whitespace, so a field cannot hold any."""
    return "_".join(text.split())


def write_lines(utterances: Iterable[Utterance], *, file_id: str) -> Iterator[str]:
    """RTTM text for ``utterances`` (in the order given), one ``SPEAKER`` line each.

    ``SPEAKER <file_id> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>``: onset
    and duration in seconds with 3 decimals (start and end rounded to milliseconds, halves
    up; an end before the start gives duration 0); channel from ``Utterance.channel``, with
    ``0`` ("unknown") written as ``1``; file id and speaker label through :func:`token`, so
    ``"Ann Lee"`` is written ``Ann_Lee``. Text is not part of RTTM. Lazy. Raises ValueError
    when ``file_id`` is blank (the line would lose a field).
    """
    file_id = token(file_id)
    if not file_id:
        raise ValueError("an RTTM file id is required")
    speakers: dict[str, str] = {}
    for utterance in utterances:
        label = utterance.speaker_label
        speaker = speakers.get(label)
        if speaker is None:
            speaker = speakers[label] = token(label)
        start_ms = milliseconds(utterance.start)
        end_ms = max(milliseconds(utterance.end), start_ms)
        yield (
            f"SPEAKER {file_id} {utterance.channel or 1} {_decimal(start_ms)} "
            f"{_decimal(end_ms - start_ms)} <NA> <NA> {speaker} <NA> <NA>\n"
        )


def write(utterances: Iterable[Utterance], *, file_id: str) -> str:
    """The whole RTTM file of :func:`write_lines` as one string."""
    return "".join(write_lines(utterances, file_id=file_id))


def _decimal(ms: int) -> str:
    """``ms`` milliseconds as seconds with 3 decimals (``1500`` -> ``"1.500"``)."""
    return f"{ms // 1000}.{ms % 1000:03d}"
