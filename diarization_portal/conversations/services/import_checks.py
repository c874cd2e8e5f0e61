"""What a parsed transcript must satisfy before the import service writes any of it.

The parsers accept what their format allows; the database is narrower, and the two backends
differ in how: PostgreSQL refuses a NUL character in ``text``/``jsonb``, a string longer than
its ``varchar`` and an integer beyond 32 bits (a server error), where SQLite stores all of
them silently. :func:`transcript_check` refuses them on both, before anything is written, so
that an import writes the same rows, or none, on either backend, and names the field at fault.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from providers.formats._common import json_depth
from providers.types import INSIGHT_TYPES, Transcript

from ..models import Conversation, Insight, Member, Message

#: Deepest nesting of arrays and objects kept in an insight's ``phrases``/``entities``.
MAX_JSON_DEPTH = 32
#: The range of a 32-bit ``integer`` column (PostgreSQL), e.g. ``Message.channel``.
INT_RANGE = (-(2**31), 2**31 - 1)


class ImportRejected(ValueError):
    """The transcript is consistent JSON/text but cannot be imported; names the field."""


def _limit(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def parse_time(value: str | None, where: str) -> datetime | None:
    """Return the ISO 8601 ``value`` (``Z`` allowed; naive means UTC) as an aware datetime,
    ``None`` for an empty or unrecognised value. Raises :class:`ImportRejected` naming
    ``where`` for a value shaped like a date that is not one (``2024-13-45T00:00:00``)."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace("Z", "+00:00"))
    except ValueError as err:
        reason = f"{value[:40]!r} is not a valid date and time ({err})"
        raise ImportRejected(f"{where}: {reason}") from None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def _text_fault(value: str) -> str | None:
    """Why the string ``value`` cannot be stored, or None."""
    if "\x00" in value:
        return "contains a NUL character (U+0000), which cannot be stored"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            return f"holds an unpaired surrogate (U+{ord(value[err.start]):04X}), not valid text"
    return None


def json_fault(value, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why the JSON value (dicts, lists, scalars) cannot be stored in a ``JSONField`` on both
    backends (PostgreSQL's ``jsonb`` refuses NUL characters and NaN), or None: a string with
    a NUL or an unpaired surrogate, a NaN or infinite number, nesting deeper than
    ``max_depth``."""
    if json_depth(value, max_depth) > max_depth:
        return f"nests arrays or objects more than {max_depth} levels deep"
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            fault = _text_fault(item)
            if fault:
                return fault
        elif isinstance(item, float) and not math.isfinite(item):
            return f"holds {item!r}, which JSON cannot store"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def _check_strings(where: str, pairs: Iterable[tuple[str, str | None, int | None]]) -> None:
    for name, value, limit in pairs:
        if value is None:
            continue
        fault = _text_fault(value)
        if fault is None and limit is not None and len(value) > limit:
            fault = f"is {len(value)} characters long, at most {limit} are allowed"
        if fault:
            raise ImportRejected(f"{where}: {name} {fault}")


def _check_int(where: str, name: str, value: int) -> None:
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise ImportRejected(f"{where}: {name} {value} is out of range")


def _check_number(where: str, name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ImportRejected(f"{where}: {name} must be a finite number, not {value!r}")


def transcript_check(transcript: Transcript) -> None:
    """Raise :class:`ImportRejected` naming the first field of ``transcript`` that cannot be
    stored, on either backend, as the import service would write it:

    * any string holding a NUL character or an unpaired surrogate;
    * a string longer than its column: speaker ``label``/``name`` (200), ``email`` (254),
      utterance and insight ``external_id`` (200), ``title`` (200), ``language`` (16);
    * an insight ``type`` other than :data:`~providers.types.INSIGHT_TYPES`;
    * a ``channel`` outside 32 bits; a ``start``, ``end`` or ``score`` that is NaN or infinite;
    * ``phrases``/``entities`` nested deeper than :data:`MAX_JSON_DEPTH` or holding NaN;
    * a ``started_at``/``due_by`` shaped like a date that is not one.

    Messages read ``"speaker 3: email is 300 characters long, at most 254 are allowed"``
    (0-based positions in the transcript). Runs in time linear in the transcript's size.
    """
    _check_strings(
        "transcript",
        (
            ("title", transcript.title, _limit(Conversation, "title")),
            ("language", transcript.language, _limit(Conversation, "language")),
            ("started_at", transcript.started_at, None),
        ),
    )
    parse_time(transcript.started_at, "transcript: started_at")
    label_limit, name_limit = _limit(Member, "vendor_label"), _limit(Member, "name")
    email_limit = _limit(Member, "email")
    for index, speaker in enumerate(transcript.speakers):
        where = f"speaker {index}"
        _check_strings(
            where,
            (
                ("label", speaker.label, label_limit),
                ("name", speaker.name, name_limit),
                ("email", speaker.email, email_limit),
            ),
        )
        _check_int(where, "channel", speaker.channel)
    id_limit = _limit(Message, "external_id")
    low, high = INT_RANGE
    isfinite = math.isfinite
    for index, utt in enumerate(transcript.utterances):
        # The common case in one expression (a 2,000,000-line file passes here in seconds);
        # anything unusual is looked at field by field below, which names the fault. The
        # speaker label is not checked here: it must be one of the speakers' (checked above)
        # or the import refuses it as unknown.
        text, ext = utt.text, utt.external_id
        if (
            (not text or (text.isascii() and "\x00" not in text))
            and (ext is None or (len(ext) <= id_limit and ext.isascii() and "\x00" not in ext))
            and low <= utt.channel <= high
            and isfinite(utt.start)
            and isfinite(utt.end)
        ):
            continue
        where = f"utterance {index}"
        _check_strings(where, (("text", text, None), ("external_id", ext, id_limit)))
        _check_int(where, "channel", utt.channel)
        _check_number(where, "start", utt.start)
        _check_number(where, "end", utt.end)
    insight_id_limit = _limit(Insight, "external_id")
    for index, item in enumerate(transcript.insights):
        where = f"insight {index}"
        if item.type not in INSIGHT_TYPES:
            raise ImportRejected(f"{where}: type {item.type[:40]!r} is not one of {INSIGHT_TYPES}")
        _check_strings(
            where,
            (
                ("text", item.text, None),
                ("external_id", item.external_id, insight_id_limit),
                ("from_label", item.from_label, label_limit),
                ("assignee_label", item.assignee_label, label_limit),
                ("due_by", item.due_by, None),
                *(("message_ids", m, None) for m in item.message_ids),
            ),
        )
        _check_number(where, "score", item.score)
        for name in ("phrases", "entities"):
            fault = json_fault(getattr(item, name))
            if fault:
                raise ImportRejected(f"{where}: {name} {fault}")
        parse_time(item.due_by, f"{where}: due_by")
