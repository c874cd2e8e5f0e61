"""WebVTT captions with voice spans (W3C WebVTT, section 4.2.2 "cue voice span": ``<v Name>``).

``providers/formats/<format>.py`` reads and writes its format: :func:`parse` reads WebVTT
(with the webvtt-py library) into speaker turns, :func:`write` and :func:`write_lines` write
utterances as WebVTT cues (plain Python, no Django, no library).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Timestamp

# CUE_TIMINGS_PATTERN is webvtt-py's own test for a cue timings line (not public API): the
# parser must accept exactly the lines webvtt-py reads as timings, hence the version range in
# pyproject.toml.
from webvtt.vtt import WebVTTCueBlock

from providers.formats._common import (
    UNKNOWN_LABEL,
    SpeakerTable,
    by_start,
    milliseconds,
    squash,
    strip_tags,
    to_text,
)
from providers.types import ParseError, Transcript, Utterance

#: ``<v Name>`` or ``<v.class1.class2 Name>``; group 1 is the annotation (the voice name).
VOICE_TAG = re.compile(r"<v(?:\.[^\s.>]+)*(?:[ \t\f]+([^>]*))?>")


def parse(text: str | bytes) -> Transcript:
    """Parse WebVTT text into a :class:`~providers.types.Transcript` (``source="vtt"``).

    Each voice span of a cue becomes one :class:`~providers.types.Utterance` with the cue's
    ``start``/``end`` in seconds, so ``<v Ann>Hi <v Bob>Hello`` gives two utterances with the
    same times. Text has its tags removed, HTML character references decoded (``&amp;`` ->
    ``&``) and line breaks joined by a space. Speaker ``label`` and ``name`` are both the voice
    name (``<v.loud Ann>`` -> ``"Ann"``); a cue, or leading text, without a voice span keeps
    the previous speaker, or ``"unknown"`` (``name=None``) before any. ``title`` is the text
    after ``WEBVTT`` on the header line (``WEBVTT - Episode 4`` -> ``"Episode 4"``), if any.
    ``global_speaker_ids`` is False.

    Raises :class:`~providers.types.ParseError` at ``"line N"`` when the ``WEBVTT`` header is
    missing, when a line with ``-->`` is not valid cue timings (webvtt-py would silently drop
    that cue), and when a cue ends before it starts.
    """
    text = to_text(text)
    try:
        captions = webvtt.from_string(text)
    except MalformedFileError:
        first = text.lstrip().partition("\n")[0].strip()
        raise ParseError(
            f'missing "WEBVTT" header (first line is {first[:60]!r})', location="line 1"
        ) from None
    except MalformedCaptionError as err:
        raise ParseError(f"malformed cue: {err}") from None
    cue_lines = _cue_timing_lines(text)
    if len(cue_lines) != len(captions.captions):
        cue_lines = []
    speakers = SpeakerTable()
    utterances: list[Utterance] = []
    current = None
    for index, caption in enumerate(captions.captions):
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        if end < start:
            where = f"line {cue_lines[index]}" if cue_lines else f"cue {index + 1}"
            raise ParseError(
                f"cue ends before it starts ({caption.start} --> {caption.end})", location=where
            )
        for voice, span_text in voice_spans(caption.raw_text):
            current = voice or current
            label = current or UNKNOWN_LABEL
            speakers.add(label, name=current)
            utterances.append(Utterance(speaker_label=label, start=start, end=end, text=span_text))
    return Transcript(
        source="vtt",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        title=captions.header_text.strip().lstrip("-").strip() or None,
        global_speaker_ids=False,
    )


def voice_spans(raw_text: str) -> list[tuple[str | None, str]]:
    """Split raw cue text into ``(voice name or None, plain text)`` pairs, one per voice span.

    Voice names have character references decoded (``<v AT&amp;T>`` -> ``"AT&T"``).
    Text before the first ``<v>`` tag gets ``None`` and is dropped when empty; other spans with
    empty text are dropped unless the cue would have none left.
    """
    spans: list[tuple[str | None, str]] = []
    pos, voice = 0, None
    for match in VOICE_TAG.finditer(raw_text):
        spans.append((voice, raw_text[pos : match.start()]))
        # The annotation may hold character references (W3C WebVTT 4.2.2: "&amp;", "&lt;").
        voice, pos = html.unescape(match.group(1) or "").strip() or None, match.end()
    spans.append((voice, raw_text[pos:]))
    cleaned = [(name, squash(html.unescape(strip_tags(body)))) for name, body in spans]
    kept = [(name, body) for name, body in cleaned if body]
    if not kept:
        named = [span for span in cleaned if span[0]]
        kept = named[-1:] or cleaned[-1:]
    return kept


def _cue_timing_lines(text: str) -> list[int]:
    """Return the line numbers of the cue timings lines, checking each line with ``-->``."""
    numbers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" not in line:
            continue
        match = WebVTTCueBlock.CUE_TIMINGS_PATTERN.match(line)
        try:
            if not match:
                raise MalformedCaptionError("expected 'hh:mm:ss.ttt --> hh:mm:ss.ttt'")
            Timestamp.from_string(match.group(1))
            Timestamp.from_string(match.group(2))
        except MalformedCaptionError as err:
            raise ParseError(
                f"invalid cue timings {line.strip()[:80]!r}: {err}", location=f"line {number}"
            ) from None
        numbers.append(number)
    return numbers


def write_lines(utterances: Iterable[Utterance], *, title: str | None = None) -> Iterator[str]:
    """WebVTT text for ``utterances`` (in the order given), yielded in pieces.

    The header is ``WEBVTT - <title>`` (``title`` on one line), or ``WEBVTT`` when there is no
    title or it holds ``-->`` (W3C WebVTT 4.1). Each utterance is one cue, a blank line before
    it: ``hh:mm:ss.ttt --> hh:mm:ss.ttt`` (start and end rounded to milliseconds, halves up;
    an end before the start is written as the start), then ``<v Name>text`` with the speaker
    label as the voice name and the text on one line (runs of whitespace collapsed); ``&``,
    ``<`` and ``>`` are written as character references. An utterance without text is the
    voice span alone, which :func:`parse` reads back with empty text. Hours past 99 take more
    digits. Lazy: consumes ``utterances`` as it is consumed.
    """
    title = squash(title or "")
    yield f"WEBVTT - {title}\n" if title and "-->" not in title else "WEBVTT\n"
    voices: dict[str, str] = {}
    for utterance in utterances:
        label = utterance.speaker_label
        voice = voices.get(label)
        if voice is None:
            voice = voices[label] = f"<v {_escape(label)}>"
        start_ms = milliseconds(utterance.start)
        end_ms = max(milliseconds(utterance.end), start_ms)
        yield (
            f"\n{_timestamp(start_ms)} --> {_timestamp(end_ms)}\n"
            f"{voice}{_escape(squash(utterance.text))}\n"
        )


def write(utterances: Iterable[Utterance], *, title: str | None = None) -> str:
    """The whole WebVTT file of :func:`write_lines` as one string."""
    return "".join(write_lines(utterances, title=title))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _timestamp(ms: int) -> str:
    """``hh:mm:ss.ttt`` for ``ms`` milliseconds (W3C WebVTT 4.2.1)."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
