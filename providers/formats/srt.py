r"""SubRip (SRT) subtitles whose lines name the speaker with a prefix.

Parsing is done by the ``srt`` library (cue blocks ``index / HH:MM:SS,mmm --> HH:MM:SS,mmm /
text``); this module reads the speaker conventions of subtitle and caption exports:
``Name: text``, ``[Name] text`` and the broadcast ``>> Name: text``, plus ``[any name]: text``
(backslash escapes ``\]`` and ``\\``), which the portal's own SRT export writes for names the
other forms cannot carry.

``providers/formats/<format>.py`` reads and writes its format: :func:`parse` reads SRT,
:func:`write` and :func:`write_lines` write utterances as ``Name: text`` cues (plain Python
and the ``srt`` library, no Django).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta

import srt as srtlib

from providers.formats._common import (
    UNKNOWN_LABEL,
    SpeakerTable,
    by_start,
    line_of,
    milliseconds,
    squash,
    to_text,
)
from providers.types import ParseError, Transcript, Utterance

_FORMAT_TAGS = re.compile(r"</?(?:i|b|u|font)\b[^>]*>|\{\\[^}]*\}", re.IGNORECASE)
# A short name: 1 to 4 words, the first starting with a letter; words are letters, digits,
# apostrophes and hyphens, or an abbreviation/initial like "Dr." or "J.".
_APOSTROPHES = "'\u2019"
_WORD = rf"(?:[^\W_]{{1,3}}\.|[^\W_][\w{_APOSTROPHES}-]*)"
_NAME = rf"(?:[^\W\d_]{{1,3}}\.|[^\W\d_][\w{_APOSTROPHES}-]*)(?:[ \t]+{_WORD}){{0,3}}"
#: ``>> Name: text`` / ``Name: text`` (the colon must be followed by a space or the line end,
#: so ``http://`` or ``10:30`` are not names) and ``[Name] text`` (only when text follows, so
#: a sound description such as ``[Applause]`` alone is not a speaker).
SPEAKER_PREFIX = re.compile(
    rf"^\s*(?:>>\s*)?(?P<colon>{_NAME})\s*:(?:\s+|$)(?P<rest>.*)$"
    rf"|^\s*(?:>>\s*)?\[(?P<bracket>{_NAME})\]\s*:?\s*(?P<rest2>\S.*)$",
    re.DOTALL,
)
#: ``[Name]: text`` with any characters in the name, ``\]`` and ``\\`` escaping a bracket
#: and a backslash: the form the portal's SRT export writes for a name that ``Name:`` cannot
#: carry (lower case, punctuation, digits first, more than 4 words). The colon right after the
#: bracket marks a speaker, so a sound description such as ``[laughs] yes`` stays text.
TAGGED_SPEAKER = re.compile(
    r"^\s*(?:>>\s*)?\[(?P<name>(?:[^\]\\\r\n]|\\.)+)\]:(?:\s+|$)(?P<rest>.*)$", re.DOTALL
)
_ESCAPED = re.compile(r"\\(.)")
_BARE_CHEVRON = re.compile(r"^\s*>>\s*")
_TIMING_LIKE = re.compile(r"\d+:\d{2}[,.:]\d{2}.*-+>|-+>.*\d+:\d{2}[,.:]\d{2}")


def parse(text: str | bytes) -> Transcript:
    """Parse SRT text into a :class:`~providers.types.Transcript` (``source="srt"``).

    One :class:`~providers.types.Utterance` per cue, with the cue ``start``/``end`` in
    seconds; a cue whose lines start with different speaker prefixes is split into one
    utterance per prefix, sharing the cue's times. A line starting with ``Name:`` (1-4 words
    starting with a letter, no sentence punctuation), ``[Name]``, ``>> Name:`` or ``[any
    name]:`` (:data:`TAGGED_SPEAKER`) sets the speaker (see :func:`split_speaker`) and the
    prefix is removed from the text; cues without
    a prefix keep the last speaker, or ``"unknown"`` (``name=None``) before any. A bare
    ``>>`` is removed and keeps the speaker. ``<i>``/``<b>``/``<u>``/``<font>`` tags and
    ``{\\an8}`` codes are removed and line breaks joined by a space. Speaker ``label`` and
    ``name`` are both the name as written. ``global_speaker_ids`` is False; ``title`` is None.

    Raises :class:`~providers.types.ParseError` at ``"line N"`` for text that is not an SRT
    cue block (the ``srt`` library's ``SRTParseError``), an unreadable timestamp, a cue that
    ends before it starts, and a timings line inside cue text: the library folds a block it
    cannot read (``two`` / ``00:00:03,000 --> ...``) into the text of the cue above.
    """
    text = to_text(text)
    try:
        cues = list(srtlib.parse(text))
    except srtlib.SRTParseError as err:
        unmatched = err.unmatched_content
        offset = err.expected_start + (len(unmatched) - len(unmatched.lstrip()))
        snippet = unmatched.strip().partition("\n")[0][:60]
        raise ParseError(
            f"not an SRT cue block (index line, 'HH:MM:SS,mmm --> HH:MM:SS,mmm', text): "
            f"{snippet!r}",
            location=f"line {line_of(text, offset)}",
        ) from None
    except (srtlib.TimestampParseError, ValueError, OverflowError) as err:
        raise ParseError(f"unreadable SRT timestamp: {err}") from None
    timing_lines = [line_of(text, m.start(2)) for m in srtlib.SRT_REGEX.finditer(text)]
    if len(timing_lines) != len(cues):
        timing_lines = []

    speakers = SpeakerTable()
    utterances: list[Utterance] = []
    current: str | None = None
    for index, cue in enumerate(cues):
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        if end < start:
            where = f"line {timing_lines[index]}" if timing_lines else f"cue {index + 1}"
            raise ParseError(f"cue ends before it starts ({start:g} s > {end:g} s)", location=where)
        _check_no_timing_in_text(cue.content, timing_lines[index] if timing_lines else None)
        for name, body in split_cue_by_speaker(cue.content):
            current = name or current
            label = current or UNKNOWN_LABEL
            speakers.add(label, name=current)
            utterances.append(Utterance(speaker_label=label, start=start, end=end, text=body))
    return Transcript(
        source="srt",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        global_speaker_ids=False,
    )


def split_speaker(line: str) -> tuple[str | None, str]:
    """Return ``(name, rest)`` for a line with a speaker prefix, else ``(None, line)``.

    A name starting with a lower-case letter is not taken (``"so: yes"``), which keeps most
    sentences out. A bare ``>>`` marker is removed: ``">> So"`` gives ``(None, "So")``.
    ``[name]: text`` (:data:`TAGGED_SPEAKER`) takes any name, escapes decoded.
    """
    tagged = _tagged(line)
    if tagged is not None:
        return tagged
    match = SPEAKER_PREFIX.match(line)
    if match is None or (match.group("colon") or match.group("bracket"))[0].islower():
        return None, _BARE_CHEVRON.sub("", line)
    if match.group("colon") is not None:
        return squash(match.group("colon")), match.group("rest")
    return squash(match.group("bracket")), match.group("rest2")


def split_cue_by_speaker(content: str) -> list[tuple[str | None, str]]:
    """Split cue text into ``(speaker name or None, text)`` turns at lines with a prefix.

    Text before the first prefix gets ``None``. Turns with empty text are dropped unless the
    cue would have none left. Format tags are removed before looking for a prefix, except in
    the name of a ``[name]:`` prefix, which is taken as written.
    """
    turns: list[tuple[str | None, list[str]]] = [(None, [])]
    for raw in content.splitlines():
        tagged = _tagged(raw)
        if tagged is not None:
            name, rest = tagged[0], _FORMAT_TAGS.sub("", tagged[1])
        else:
            name, rest = split_speaker(_FORMAT_TAGS.sub("", raw))
        if name is not None:
            turns.append((name, []))
        turns[-1][1].append(rest)
    joined = [(name, squash(" ".join(lines))) for name, lines in turns]
    kept = [(name, body) for name, body in joined if body]
    if not kept:
        named = [turn for turn in joined if turn[0]]
        kept = named[-1:] or joined[-1:]
    return kept


def _tagged(line: str) -> tuple[str, str] | None:
    match = TAGGED_SPEAKER.match(line)
    if match is None:
        return None
    name = squash(_ESCAPED.sub(r"\1", match.group("name")))
    return (name, match.group("rest")) if name else None


def _check_no_timing_in_text(content: str, timing_line: int | None) -> None:
    for offset, line in enumerate(content.splitlines(), start=1):
        if _TIMING_LIKE.search(line):
            where = f"line {timing_line + offset}" if timing_line else None
            raise ParseError(
                f"malformed cue timings {line.strip()[:60]!r} "
                "(expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm')",
                location=where,
            )


def speaker_prefix(name: str) -> str:
    """The speaker prefix of an SRT cue for ``name`` (one line), ending in ``":"``.

    ``Name:`` when :func:`parse` reads that prefix back as exactly ``name``; otherwise
    ``[Name]:`` with ``\\`` and ``]`` escaped by a backslash (:data:`TAGGED_SPEAKER`).
    """
    if split_cue_by_speaker(f"{name}: x") == [(name, "x")]:
        return f"{name}:"
    escaped = name.replace("\\", "\\\\").replace("]", "\\]")
    return f"[{escaped}]:"


def write_lines(utterances: Iterable[Utterance]) -> Iterator[str]:
    """SRT text for ``utterances`` (in the order given), one cue block per utterance.

    Cues are numbered from 1; times ``hh:mm:ss,mmm`` (start and end rounded to milliseconds,
    halves up; an end before the start is written as the start). The text is
    ``<prefix> text`` on one line (runs of whitespace collapsed), with the speaker label as
    the name (:func:`speaker_prefix`); an utterance without text is the prefix alone, which
    :func:`parse` reads back with empty text. SRT has no escapes: ``<i>``-like tags in the
    text are read back as formatting, and text that looks like cue timings makes :func:`parse`
    refuse the file. Lazy: consumes ``utterances`` as it is consumed.
    """
    prefixes: dict[str, str] = {}
    for index, utterance in enumerate(utterances, 1):
        label = utterance.speaker_label
        prefix = prefixes.get(label)
        if prefix is None:
            prefix = prefixes[label] = speaker_prefix(label)
        body = squash(utterance.text)
        start_ms = milliseconds(utterance.start)
        end_ms = max(milliseconds(utterance.end), start_ms)
        yield srtlib.Subtitle(
            index=index,
            start=timedelta(milliseconds=start_ms),
            end=timedelta(milliseconds=end_ms),
            content=f"{prefix} {body}" if body else prefix,
        ).to_srt()


def write(utterances: Iterable[Utterance]) -> str:
    """The whole SRT file of :func:`write_lines` as one string."""
    return "".join(write_lines(utterances))
