"""Helpers shared by the vendor JSON parsers (Deepgram, AssemblyAI, Amazon Transcribe, ...).

Every accessor takes the JSON path of the object it reads from and raises
:class:`~providers.types.ParseError` whose ``location`` is the path of the offending value,
such as ``"results.utterances[3].start"``. Paths join object keys with ``.`` (keys that are
not plain names are quoted: ``speakers["spk a"]``) and array indexes with ``[i]``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from providers.formats._common import load_json, to_text
from providers.types import ParseError, Utterance

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def load(text: str | bytes) -> Any:
    """Decode JSON text (``str`` or UTF-8 ``bytes``, BOM allowed).

    Raises :class:`ParseError` at ``"line L column C"`` for invalid JSON (also ``NaN``,
    ``Infinity`` and nesting too deep to decode, :func:`~providers.formats._common.load_json`).
    """
    return load_json(to_text(text))


def kind(value: Any) -> str:
    """Name the JSON type of ``value`` for error messages (``"an array"``, ``"null"``...)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def join(path: str, key: str | int) -> str:
    """Return the JSON path of ``key`` (an object key or an array index) under ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    name = key if _PLAIN_KEY.match(key) else f"[{json.dumps(key)}]"
    if not path:
        return name
    return f"{path}{name}" if name.startswith("[") else f"{path}.{name}"


def root(data: Any, what: str) -> Mapping[str, Any]:
    """Return ``data`` when it is a JSON object, else raise saying ``what`` was expected."""
    if not isinstance(data, Mapping):
        raise ParseError(f"expected {what} (a JSON object), got {kind(data)}")
    return data


def obj(value: Any, path: str) -> Mapping[str, Any]:
    """Return ``value`` when it is an object, else raise at ``path``."""
    if not isinstance(value, Mapping):
        raise ParseError(f"expected an object, got {kind(value)}", location=path)
    return value


def child(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """Return the required object ``parent[key]``."""
    where = join(path, key)
    value = parent.get(key)
    if value is None:
        raise ParseError(f'missing "{key}" object', location=where)
    return obj(value, where)


def array(parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> list:
    """Return the array ``parent[key]``; a missing or null one is ``[]`` unless ``required``."""
    where = join(path, key)
    value = parent.get(key)
    if value is None:
        if required:
            raise ParseError(f'missing "{key}" array', location=where)
        return []
    if not isinstance(value, list):
        raise ParseError(f"expected an array, got {kind(value)}", location=where)
    return value


def string(parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    """Return the string ``parent[key]`` (``None`` when missing or null unless ``required``)."""
    value = parent.get(key)
    if value is None:
        if required:
            raise ParseError(f"missing {key}", location=join(path, key))
        return None
    if not isinstance(value, str):
        raise ParseError(f"expected a string, got {kind(value)}", location=join(path, key))
    return value


def label(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    """Return a speaker id (a string or an integer, as text), ``None`` when missing or null."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, str):
        raise ParseError(
            f"speaker id must be a string or an integer, got {kind(value)}",
            location=join(path, key),
        )
    return value


def number(
    parent: Mapping[str, Any], key: str, path: str, *, per_second: float = 1.0, what: str = "time"
) -> float:
    """Return the required non-negative number ``parent[key]`` divided by ``per_second``
    (``1000`` turns milliseconds into seconds).

    Numeric strings (``"0.44"``, as Amazon Transcribe writes times) are accepted.
    """
    value, where = parent.get(key), join(path, key)
    if value is None:
        raise ParseError(f"missing {what} {key}", location=where)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(f"{key} must be a number, got {kind(value)}", location=where)
    try:
        result = float(value)
    except ValueError:
        raise ParseError(f"{key} {value!r} is not a number", location=where) from None
    if not math.isfinite(result) or result < 0:
        raise ParseError(f"{key} must be a finite number >= 0, got {value!r}", location=where)
    return result / per_second


def span(
    parent: Mapping[str, Any], start_key: str, end_key: str, path: str, *, per_second: float = 1.0
) -> tuple[float, float]:
    """Return ``(start, end)`` in seconds from two required time fields (``per_second=1000``
    for milliseconds); an end before the start is reported at the end field."""
    start = number(parent, start_key, path, per_second=per_second)
    end = number(parent, end_key, path, per_second=per_second)
    if end < start:
        raise ParseError(
            f"end before start ({end_key} {parent[end_key]!r} < {start_key} {parent[start_key]!r})",
            location=join(path, end_key),
        )
    return start, end


def channel(parent: Mapping[str, Any], key: str, path: str, default: int = 0) -> int:
    """Return the channel number ``parent[key]`` (an integer or a numeric string)."""
    value = parent.get(key)
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParseError(
            f"channel must be an integer >= 0, got {value!r}", location=join(path, key)
        )
    return value


@dataclass(frozen=True)
class Word:
    """One timed word of a vendor word list, already validated."""

    label: str
    start: float
    end: float
    text: str
    channel: int = 0


def group_words(words: Iterable[Word], *, separator: str = " ") -> list[Utterance]:
    """Join runs of consecutive words with the same speaker and channel into utterances.

    ``start``/``end`` are the first word's start and the last word's end; ``text`` is the
    non-empty word texts joined by ``separator`` and trimmed.
    """
    utterances: list[Utterance] = []
    run: list[Word] = []

    def close() -> None:
        if run:
            utterances.append(
                Utterance(
                    speaker_label=run[0].label,
                    start=run[0].start,
                    end=max(w.end for w in run),
                    text=separator.join(w.text for w in run if w.text).strip(),
                    channel=run[0].channel,
                )
            )
            run.clear()

    for word in words:
        if run and (word.label, word.channel) != (run[0].label, run[0].channel):
            close()
        run.append(word)
    close()
    return utterances
