"""File-format parsers for diarized transcripts: Symbl JSON, RTTM, WebVTT and SRT.

Every parser returns a :class:`providers.types.Transcript` (times in seconds) and raises
:class:`providers.types.ParseError` naming the line or JSON path at fault. Use :func:`parse`
to detect the format from the content and dispatch::

    transcript = parse(uploaded_bytes, filename="meeting.rttm")
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable

from providers.formats import rttm, srt, symbl, vtt
from providers.formats._common import to_text
from providers.types import ParseError, Transcript

FORMATS = ("symbl", "rttm", "vtt", "srt")

PARSERS: dict[str, Callable[[str], Transcript]] = {
    "symbl": symbl.parse,
    "rttm": rttm.parse,
    "vtt": vtt.parse,
    "srt": srt.parse,
}
EXTENSIONS = {".json": "symbl", ".rttm": "rttm", ".vtt": "vtt", ".webvtt": "vtt", ".srt": "srt"}

_SRT_CUE = re.compile(
    r"\A\s*(?:\d+[ \t]*\r?\n[ \t]*\d+:\d{1,2}:\d{1,2}[,.]\d+|\d+:\d{1,2}:\d{1,2},\d+)[ \t]*-[ -]>"
)
_RTTM_LINES_CHECKED = 50


def detect_format(text: str | bytes, filename: str | None = None) -> str:
    """Return the format of ``text``, one of :data:`FORMATS`, judged from its content.

    * ``"symbl"``: a JSON object with a ``"messages"`` key (also invalid JSON that mentions
      ``"messages"``, so that the Symbl parser reports the line and column);
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
    checks = (("symbl", _is_symbl), ("rttm", _is_rttm), ("vtt", _is_vtt), ("srt", _is_srt))
    found = [name for name, check in checks if check(text)]
    if found:
        by_extension = EXTENSIONS.get(os.path.splitext(filename or "")[1].lower())
        return by_extension if by_extension in found else found[0]
    raise _undetected(text, filename)


def parse(text: str | bytes, *, format: str = "auto", filename: str | None = None) -> Transcript:
    """Parse a diarized transcript file into a :class:`~providers.types.Transcript`.

    ``text`` is a ``str`` or UTF-8 ``bytes`` (a BOM is allowed). ``format`` is ``"auto"``
    (use :func:`detect_format`) or one of :data:`FORMATS`; see :mod:`.symbl`, :mod:`.rttm`,
    :mod:`.vtt` and :mod:`.srt` for what each produces. Raises
    :class:`~providers.types.ParseError` for undecodable bytes, an unknown ``format``, an
    undetectable format or malformed content; when ``filename`` is given the error names it
    (``"meeting.rttm: line 3: negative duration '-1'"``).
    """
    try:
        text = to_text(text)
        if format == "auto":
            format = detect_format(text, filename)
        if format not in PARSERS:
            raise ParseError(f"unknown format {format!r}; expected 'auto' or one of {FORMATS}")
        return PARSERS[format](text)
    except ParseError as err:
        if filename:
            raise err.with_source(filename) from err
        raise


def _is_symbl(text: str) -> bool:
    body = text.lstrip()
    if not body.startswith("{"):
        return False
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return '"messages"' in body
    return isinstance(data, dict) and "messages" in data


def _significant_lines(text: str) -> list[tuple[int, list[str]]]:
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
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
        'expected Symbl JSON with "messages", RTTM "SPEAKER" lines, a "WEBVTT" header or an '
        "SRT cue ('1' then '00:00:01,000 --> 00:00:02,000')"
    )
    body = text.strip()
    if not body:
        return ParseError("the file is empty")
    if body[0] in "{[":
        try:
            data = json.loads(body)
        except json.JSONDecodeError as err:
            return ParseError(
                f"looks like JSON but is not valid JSON ({err.msg}); {expected}",
                location=f"line {err.lineno} column {err.colno}",
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
