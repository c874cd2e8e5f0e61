"""File formats of diarized transcripts: Symbl JSON, RTTM, WebVTT and SRT, plus the JSON
results of transcription and diarization vendors (Deepgram, AssemblyAI, Amazon Transcribe,
ElevenLabs STT and PVC, Phonexia, DeepAffects).

Layout: ``providers/formats/<format>.py`` reads and writes its format. Each module has
``parse`` (and ``parse_data`` for JSON); :mod:`.vtt`, :mod:`.srt`, :mod:`.rttm` and
:mod:`.symbl` also have ``write``/``write_lines``, plain Python over the
:mod:`providers.types` dataclasses (no Django), which the conversation export calls.

Every parser returns a :class:`providers.types.Transcript` (times in seconds) and raises
:class:`providers.types.ParseError` naming the line or JSON path at fault. Use :func:`parse`
to detect the format from the content and dispatch::

    transcript = parse(uploaded_bytes, filename="meeting.rttm")
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from providers.formats import (
    assemblyai,
    aws_transcribe,
    deepaffects,
    deepgram,
    elevenlabs_pvc,
    elevenlabs_stt,
    phonexia,
    rttm,
    srt,
    symbl,
    vtt,
)
from providers.formats._common import iter_lines, load_json, to_text
from providers.types import ParseError, Transcript

FORMATS = ("symbl", "rttm", "vtt", "srt")
#: Vendor JSON results, detected from their keys and accepted by :func:`parse`.
VENDOR_FORMATS = ("deepgram", "assemblyai", "aws", "elevenlabs", "phonexia", "deepaffects", "pvc")
ALL_FORMATS = FORMATS + VENDOR_FORMATS

PARSERS: dict[str, Callable[[str], Transcript]] = {
    "symbl": symbl.parse,
    "rttm": rttm.parse,
    "vtt": vtt.parse,
    "srt": srt.parse,
    "deepgram": deepgram.parse,
    "assemblyai": assemblyai.parse,
    "aws": aws_transcribe.parse,
    "elevenlabs": elevenlabs_stt.parse,
    "phonexia": phonexia.parse,
    "deepaffects": deepaffects.parse,
    "pvc": elevenlabs_pvc.parse,
}
# Parsers of already-decoded JSON, so that auto-detection decodes a large file only once.
DATA_PARSERS: dict[str, Callable[[Any], Transcript]] = {
    "symbl": symbl.parse_data,
    "deepgram": deepgram.parse_data,
    "assemblyai": assemblyai.parse_data,
    "aws": aws_transcribe.parse_data,
    "elevenlabs": elevenlabs_stt.parse_data,
    "phonexia": phonexia.parse_data,
    "deepaffects": deepaffects.parse_data,
    "pvc": elevenlabs_pvc.parse_data,
}
EXTENSIONS = {".json": "symbl", ".rttm": "rttm", ".vtt": "vtt", ".webvtt": "vtt", ".srt": "srt"}

_SRT_CUE = re.compile(
    r"\A\s*(?:\d+[ \t]*\r?\n[ \t]*\d+:\d{1,2}:\d{1,2}[,.]\d+|\d+:\d{1,2}:\d{1,2},\d+)[ \t]*-[ -]>"
)
_RTTM_LINES_CHECKED = 50
_NOT_JSON = object()  # the text does not start with "{" or "["
_INVALID_JSON = object()  # it does, but does not decode


def detect_format(text: str | bytes, filename: str | None = None) -> str:
    """Return the format of ``text``, one of :data:`ALL_FORMATS`, judged from its content.

    * ``"symbl"``: a JSON object with a ``"messages"`` key (also invalid JSON that mentions
      ``"messages"``, so that the Symbl parser reports the line and column); it wins over
      the vendor checks below;
    * vendor JSON objects, by their distinctive keys:

      - ``"deepgram"``: ``results.channels`` whose first entry has ``alternatives``;
      - ``"assemblyai"``: ``utterances`` or ``words`` with ``audio_url`` or
        ``speaker_labels``;
      - ``"aws"``: ``results.speaker_labels`` (or ``results.transcripts`` with
        ``results.items``), or a top-level ``Transcript`` array of turns with
        ``ParticipantRole`` (Call Analytics);
      - ``"elevenlabs"``: ``words`` with ``transcription_id`` or ``language_probability``,
        a ``transcripts`` array (multichannel), or an STT webhook body;
      - ``"phonexia"``: a ``task`` object with ``state`` and ``task_id`` (or a
        ``result.channels`` array);
      - ``"deepaffects"``: ``request_id`` with ``response.segments``;
      - ``"pvc"``: ``sample_id`` or ``voice_id`` with a ``speakers`` map (or null);

    * ``"rttm"``: a ``SPEAKER`` line with at least 8 fields among the first 50 lines that are
      not blank or ``;;`` comments (NIST RT-09);
    * ``"vtt"``: first non-empty line starting with ``WEBVTT``;
    * ``"srt"``: the text opens with an SRT cue block (index line, then
      ``00:00:01,000 --> ...``).

    The ``filename`` extension (``.json``, ``.rttm``, ``.vtt``, ``.srt``) only breaks a tie
    between formats whose checks all pass. Raises :class:`~providers.types.ParseError`
    describing what was seen (empty text, JSON without ``"messages"``, a short ``SPEAKER``
    line, the first line) when no format matches; bytes are decoded as in :func:`parse`.
    """
    text = to_text(text)
    return _detect(text, _load_json(text), filename)


def _detect(text: str, data: Any, filename: str | None) -> str:
    found = ["symbl"] if _is_symbl(text, data) else []
    if isinstance(data, dict):
        found += [name for name, check in _VENDOR_CHECKS if check(data)]
    if not isinstance(data, (dict, list)):  # valid JSON is none of the line formats
        checks = (("rttm", _is_rttm), ("vtt", _is_vtt), ("srt", _is_srt))
        found += [name for name, check in checks if check(text)]
    if found:
        by_extension = EXTENSIONS.get(os.path.splitext(filename or "")[1].lower())
        return by_extension if by_extension in found else found[0]
    raise _undetected(text, filename)


def parse(text: str | bytes, *, format: str = "auto", filename: str | None = None) -> Transcript:
    """Parse a diarized transcript file into a :class:`~providers.types.Transcript`.

    ``text`` is a ``str`` or UTF-8 ``bytes`` (a BOM is allowed). ``format`` is ``"auto"``
    (use :func:`detect_format`) or one of :data:`ALL_FORMATS`; see :mod:`.symbl`,
    :mod:`.rttm`, :mod:`.vtt`, :mod:`.srt` and the vendor modules (:mod:`.deepgram`,
    :mod:`.assemblyai`, :mod:`.aws_transcribe`, :mod:`.elevenlabs_stt`, :mod:`.phonexia`,
    :mod:`.deepaffects`, :mod:`.elevenlabs_pvc`) for what each produces. Raises
    :class:`~providers.types.ParseError` for undecodable bytes, an unknown ``format``, an
    undetectable format or malformed content; when ``filename`` is given the error names it
    (``"meeting.rttm: line 3: negative duration '-1'"``).
    """
    try:
        text = to_text(text)
        if format == "auto":
            data = _load_json(text)
            format = _detect(text, data, filename)
            if isinstance(data, dict) and format in DATA_PARSERS:
                return DATA_PARSERS[format](data)
        if format not in PARSERS:
            raise ParseError(f"unknown format {format!r}; expected 'auto' or one of {ALL_FORMATS}")
        return PARSERS[format](text)
    except ParseError as err:
        if filename:
            raise err.with_source(filename) from err
        raise


def _load_json(text: str) -> Any:
    body = text.lstrip()
    if not body.startswith(("{", "[")):
        return _NOT_JSON
    try:
        return load_json(body)
    except ParseError as err:
        if err.location is None:  # well-formed JSON that cannot be read: too deep, NaN
            raise
        return _INVALID_JSON


def _is_symbl(text: str, data: Any) -> bool:
    body = text.lstrip()
    if not body.startswith("{"):
        return False
    if data is _INVALID_JSON:
        return '"messages"' in body
    return isinstance(data, dict) and "messages" in data


def _is_deepgram(data: dict) -> bool:
    results = data.get("results")
    channels = results.get("channels") if isinstance(results, dict) else None
    return (
        isinstance(channels, list)
        and bool(channels)
        and isinstance(channels[0], dict)
        and "alternatives" in channels[0]
    )


def _is_assemblyai(data: dict) -> bool:
    return ("utterances" in data or "words" in data) and (
        "audio_url" in data or "speaker_labels" in data
    )


def _is_aws(data: dict) -> bool:
    results = data.get("results")
    if isinstance(results, dict) and (
        "speaker_labels" in results or ("transcripts" in results and "items" in results)
    ):
        return True
    turns = data.get("Transcript")
    return isinstance(turns, list) and any(
        isinstance(turn, dict) and "ParticipantRole" in turn for turn in turns[:5]
    )


def _is_elevenlabs(data: dict) -> bool:
    if data.get("type") == elevenlabs_stt.WEBHOOK_TYPE and isinstance(data.get("data"), dict):
        return True
    if isinstance(data.get("words"), list) and (
        "transcription_id" in data or "language_probability" in data
    ):
        return True
    parts = data.get("transcripts")
    return isinstance(parts, list) and (
        "transcription_id" in data or (bool(parts) and isinstance(parts[0], dict))
    )


def _is_phonexia(data: dict) -> bool:
    task, result = data.get("task"), data.get("result")
    if not isinstance(task, dict) or "state" not in task:
        return False
    return "task_id" in task or (isinstance(result, dict) and "channels" in result)


def _is_deepaffects(data: dict) -> bool:
    response = data.get("response")
    return "request_id" in data and isinstance(response, dict) and "segments" in response


def _is_pvc(data: dict) -> bool:
    speakers = data.get("speakers", False)
    return ("sample_id" in data or "voice_id" in data) and (
        speakers is None or isinstance(speakers, dict)
    )


_VENDOR_CHECKS: tuple[tuple[str, Callable[[dict], bool]], ...] = (
    ("deepgram", _is_deepgram),
    ("assemblyai", _is_assemblyai),
    ("aws", _is_aws),
    ("elevenlabs", _is_elevenlabs),
    ("phonexia", _is_phonexia),
    ("deepaffects", _is_deepaffects),
    ("pvc", _is_pvc),
)


def _significant_lines(text: str) -> list[tuple[int, list[str]]]:
    lines = []
    # Read lines lazily: a large JSON file must not be split whole just to look at its start.
    for number, line in enumerate(iter_lines(text), start=1):
        fields = line.split(maxsplit=rttm.MIN_SPEAKER_FIELDS + 2)
        if fields and not fields[0].startswith(";;"):
            lines.append((number, fields))
            if len(lines) >= _RTTM_LINES_CHECKED:
                break
    return lines


def _is_rttm(text: str) -> bool:
    return any(
        fields[0] == "SPEAKER" and len(fields) >= rttm.MIN_SPEAKER_FIELDS
        for _, fields in _significant_lines(text)
    )


def _is_vtt(text: str) -> bool:
    return text.lstrip().startswith("WEBVTT")


def _is_srt(text: str) -> bool:
    return _SRT_CUE.match(text) is not None


def _undetected(text: str, filename: str | None) -> ParseError:
    expected = (
        'expected Symbl JSON with "messages", a Deepgram, AssemblyAI, Amazon Transcribe, '
        'ElevenLabs, Phonexia or DeepAffects JSON result, RTTM "SPEAKER" lines, a '
        "\"WEBVTT\" header or an SRT cue ('1' then '00:00:01,000 --> 00:00:02,000')"
    )
    body = text.strip()
    if not body:
        return ParseError("the file is empty")
    if body[0] in "{[":
        try:
            data = load_json(body)
        except ParseError as err:
            return ParseError(
                f"looks like JSON but is not valid JSON ({err.reason}); {expected}",
                location=err.location,
            )
        if isinstance(data, dict):
            keys = ", ".join(list(data)[:8]) or "none"
            return ParseError(f'JSON object without a "messages" array (keys: {keys}); {expected}')
        return ParseError(f"JSON {type(data).__name__} is not a supported transcript; {expected}")
    significant = _significant_lines(text)
    if not significant:
        return ParseError("the file holds only ';;' comment lines")
    number, fields = significant[0]
    if fields[0] == "SPEAKER":
        return ParseError(
            f"looks like RTTM but the SPEAKER line has {len(fields)} fields, "
            f"at least {rttm.MIN_SPEAKER_FIELDS} are needed",
            location=f"line {number}",
        )
    first = " ".join(fields)[:60]
    named = EXTENSIONS.get(os.path.splitext(filename or "")[1].lower())
    hint = f" (the file name says {named} but the content is not)" if named else ""
    return ParseError(
        f"unrecognised content, first line {first!r}{hint}; {expected}",
        location=f"line {number}",
    )
