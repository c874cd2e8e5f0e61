"""Helpers shared by the file-format parsers (decoding, line numbers, speaker bookkeeping)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from providers.types import ParseError, Speaker, Utterance

UNKNOWN_LABEL = "unknown"
_TAG = re.compile(r"<[^>]*>")


def to_text(data: str | bytes) -> str:
    """Return ``data`` as text without a leading byte order mark.

    Bytes are decoded as UTF-8 (a BOM is tolerated). Raises :class:`ParseError` at
    ``"byte N"`` when the bytes are not valid UTF-8.
    """
    if isinstance(data, bytes | bytearray):
        try:
            return bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            bad = bytes(data)[err.start : err.start + 1].hex()
            raise ParseError(
                f"not valid UTF-8 text (byte 0x{bad}); save the file as UTF-8",
                location=f"byte {err.start}",
            ) from None
    if not isinstance(data, str):
        raise ParseError(f"expected text or bytes, got {type(data).__name__}")
    return data.removeprefix("\ufeff")


def _no_constant(name: str) -> None:
    raise ParseError(f"{name} is not a JSON number; write null or a finite number")


def load_json(text: str) -> Any:
    """Decode JSON ``text`` (already decoded with :func:`to_text`) into Python values.

    Raises :class:`ParseError` at ``"line L column C"`` for invalid JSON, for ``NaN`` and
    ``Infinity`` (Python's ``json`` accepts them, JSON and PostgreSQL's ``jsonb`` do not), and
    for arrays and objects nested deeper than Python's decoder can follow (about 1000 levels;
    ``RecursionError`` there, which would otherwise escape as a server error).
    """
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise ParseError(
            f"invalid JSON: {err.msg}", location=f"line {err.lineno} column {err.colno}"
        ) from None
    except RecursionError:
        raise ParseError("JSON arrays or objects are nested too deeply to be read") from None


def json_depth(value: Any, limit: int) -> int:
    """Return how deeply ``value`` (JSON made of dicts, lists and scalars) nests arrays and
    objects (a scalar is 0, ``[1]`` is 1), counting no further than ``limit + 1``.

    Iterative, so that a value nested deeper than the recursion limit is measured, not a
    ``RecursionError``.
    """
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list | tuple):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return deepest
            stack.extend((child, depth) for child in item)
    return deepest


def iter_lines(text: str, block: int = 1 << 20) -> Iterator[str]:
    """Yield the lines of ``text`` as ``text.splitlines()`` would, a block of about ``block``
    characters (cut after a ``\n``) at a time.

    ``text.splitlines()`` of a 2,000,000-line file holds every line at once, and
    ``io.StringIO(text)`` copies the text at four bytes a character; this holds one block's
    lines, and splits them in C.
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + block)
        end = size if end < 0 else end + 1
        yield from text[start:end].splitlines()
        start = end


def line_of(text: str, offset: int) -> int:
    """Return the 1-based line number of character ``offset`` in ``text``."""
    return text.count("\n", 0, max(offset, 0)) + 1


def strip_tags(text: str) -> str:
    """Remove ``<...>`` markup tags (cue spans, ``<i>``, ``<font>``) from ``text``."""
    return _TAG.sub("", text)


def milliseconds(seconds: float) -> int:
    """``seconds`` rounded to whole milliseconds, halves up (the precision of WebVTT, SRT
    and the 3 decimals of an RTTM export)."""
    return math.floor(seconds * 1000 + 0.5)


def squash(text: str) -> str:
    """Collapse runs of whitespace (line breaks included) to one space and trim."""
    return " ".join(text.split())


class SpeakerTable:
    """Speakers of one transcript, keyed by ``(label, channel)`` in order of first appearance.

    ``add`` keeps the first non-empty ``name``/``email`` seen for a speaker and fills in
    missing ones from later sightings.
    """

    def __init__(self) -> None:
        self._speakers: dict[tuple[str, int], Speaker] = {}

    def add(
        self, label: str, *, channel: int = 0, name: str | None = None, email: str | None = None
    ) -> Speaker:
        """Register (or complete) the speaker ``label`` on ``channel`` and return it."""
        key = (label, channel)
        old = self._speakers.get(key)
        if old is not None and (old.name or not name) and (old.email or not email):
            return old  # nothing new: the usual case, once per utterance
        if old is None:
            new = Speaker(label=label, channel=channel, name=name, email=email)
        else:
            new = dataclasses.replace(old, name=old.name or name, email=old.email or email)
        self._speakers[key] = new
        return new

    def find(self, *, email: str | None = None, name: str | None = None) -> Speaker | None:
        """Return the speaker with this ``email``, else the only one with this ``name``."""
        speakers = list(self._speakers.values())
        if email:
            for speaker in speakers:
                if speaker.email and speaker.email.lower() == email.lower():
                    return speaker
        if name:
            named = [s for s in speakers if s.name == name]
            if len(named) == 1:
                return named[0]
        return None

    def as_list(self) -> list[Speaker]:
        """Return the speakers in order of first appearance."""
        return list(self._speakers.values())


def by_start(utterances: list[Utterance]) -> list[Utterance]:
    """Return ``utterances`` sorted by start time; equal starts keep their input order."""
    return sorted(utterances, key=lambda u: u.start)
