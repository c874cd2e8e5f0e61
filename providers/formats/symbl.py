"""Symbl.ai Conversation API JSON (``/v1/conversations``), see vendor-apis.md section 1.5.

Two shapes are read:

* the plain ``GET /{id}/messages`` body: ``{"messages": [...]}``;
* a bundle of several calls: ``{"conversation"?: {id, name, startTime, ...}, "members": [...],
  "messages": [...], "insights"?: [...], "actionItems"?: [...], "questions"?: [...],
  "followUps"?: [...]}``. The ``GET /{id}`` fields (``name``, ``startTime``, ``members``) may
  also sit at the top level instead of under ``"conversation"``.

A person object (message ``from``, insight ``from``/``assignee``, a member) comes as
``{id, name}``, ``{id, name, email}``, ``{name, userId}`` (userId is an email) or ``{}``.

``providers/formats/<format>.py`` reads and writes its format: :func:`parse` reads Symbl JSON,
:func:`write` and :func:`write_lines` write the bundle shape (plain Python, no Django).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.formats._common import UNKNOWN_LABEL, SpeakerTable, by_start, load_json, to_text
from providers.types import (
    INSIGHT_TYPES,
    InsightData,
    ParseError,
    Speaker,
    Transcript,
    Utterance,
)

#: Bundle keys holding insights, with the insight type their items have.
INSIGHT_ARRAYS = (
    ("insights", None),
    ("actionItems", "action_item"),
    ("questions", "question"),
    ("followUps", "follow_up"),
)


def parse(text: str | bytes) -> Transcript:
    """Parse Symbl Conversation API JSON text (either shape above) into a Transcript.

    Invalid JSON raises :class:`~providers.types.ParseError` at ``"line L column C"``; the
    rest is :func:`parse_data`.
    """
    return parse_data(load_json(to_text(text)))


def parse_data(data: Mapping[str, Any]) -> Transcript:
    """Turn decoded Symbl JSON (a dict of either shape) into a Transcript (``source="symbl"``).

    * Speaker label: ``from.id``, else ``from.userId``/``from.email``, else ``from.name``. A
      person without an id whose email (or, failing that, unique name) matches a speaker
      already seen is that speaker. ``from: {}`` or no ``from`` gives label ``"unknown"``
      with ``name=None``. ``Speaker.name`` is the name as given (``"Speaker 1"`` too);
      ``email`` is ``email``, or ``userId`` when it contains ``@``. Members come first, in
      listed order, even when they never speak; people first named by a message or insight
      follow. ``global_speaker_ids`` is True (labels are Symbl member ids).
    * Utterance times, in seconds from the conversation start: ``start = timeOffset``, else
      ``startTime`` minus the conversation ``startTime`` (or minus the earliest message
      ``startTime`` when the conversation has none); ``end = start + duration``, else from
      ``endTime``. ``external_id`` is the message ``id``. Sorted by start (stable).
    * Insights: ``insights`` (each with ``type``) then ``actionItems``, ``questions`` and
      ``followUps``; duplicates by ``id`` are dropped, types outside ``INSIGHT_TYPES``
      skipped. ``from``/``assignee`` use the label rule, ``{}`` gives None.
    * ``title`` is the conversation ``name``; ``started_at`` its ``startTime`` string.

    Raises :class:`~providers.types.ParseError` whose location is a JSON path such as
    ``"messages[3].timeOffset"`` for a missing ``messages`` array, a missing or non-string
    text, a non-numeric or negative time, an unreadable ISO 8601 time, an end before the
    start or a value of the wrong JSON type.
    """
    if not isinstance(data, Mapping):
        raise ParseError(f'expected a JSON object with "messages", got {_kind(data)}')
    conv, conv_path = data, ""
    if data.get("conversation") is not None:
        conv, conv_path = _object(data["conversation"], "conversation"), "conversation"
    title = _string(conv, "name", conv_path)
    started_at = _string(conv, "startTime", conv_path)
    base = _time(started_at, _join(conv_path, "startTime")) if started_at else None

    messages = data.get("messages")
    if not isinstance(messages, list):
        got = "missing" if messages is None else f"got {_kind(messages)}"
        raise ParseError(f'expected a "messages" array ({got})', location="messages")

    people = _People()
    members, members_path = data.get("members"), "members"
    if members is None and conv is not data:
        members, members_path = conv.get("members"), "conversation.members"
    for i, member in enumerate(_array(members, members_path)):
        path = f"{members_path}[{i}]"
        if people.label(_object(member, path), path, anonymous=None) is None:
            raise ParseError("member has no id, userId, email or name", location=path)

    if base is None:
        stamps = [
            _time(_string(m, "startTime", f"messages[{i}]"), f"messages[{i}].startTime")
            for i, m in enumerate(messages)
            if isinstance(m, Mapping) and m.get("startTime") is not None
        ]
        base = min(stamps, default=None)

    utterances = [_utterance(m, f"messages[{i}]", base, people) for i, m in enumerate(messages)]
    insights = _insights(data, people)  # may add speakers: before listing them
    return Transcript(
        source="symbl",
        speakers=people.table.as_list(),
        utterances=by_start(utterances),
        insights=insights,
        title=title,
        started_at=started_at,
        global_speaker_ids=True,
    )


class _People:
    """Resolves Symbl person objects to speaker labels, registering new speakers."""

    def __init__(self) -> None:
        self.table = SpeakerTable()

    def label(self, person: Any, path: str, *, anonymous: str | None) -> str | None:
        if person is None:
            return self._anonymous(anonymous)
        person = _object(person, path)
        ident = _ident(person, "id", path)
        name = _string(person, "name", path) or None
        user_id = _ident(person, "userId", path)
        email = _string(person, "email", path) or (user_id if user_id and "@" in user_id else None)
        if ident:
            label = ident
        else:
            known = self.table.find(email=email, name=None if (user_id or email) else name)
            label = known.label if known else (user_id or email or name)
        if not label:
            return self._anonymous(anonymous)
        self.table.add(label, name=name, email=email)
        return label

    def _anonymous(self, anonymous: str | None) -> str | None:
        if anonymous is not None:
            self.table.add(anonymous)
        return anonymous


def _utterance(msg: Any, path: str, base: datetime | None, people: _People) -> Utterance:
    msg = _object(msg, path)
    text = msg.get("text")
    if text is None:
        raise ParseError("missing text", location=f"{path}.text")
    if not isinstance(text, str):
        raise ParseError(f"text must be a string, got {_kind(text)}", location=f"{path}.text")
    label = people.label(msg.get("from"), f"{path}.from", anonymous=UNKNOWN_LABEL)
    offset = _number(msg, "timeOffset", path)
    duration = _number(msg, "duration", path)
    if offset is not None and duration is not None:
        # timeOffset + duration say it all; the ISO stamps are only type-checked.
        _string(msg, "startTime", path)
        _string(msg, "endTime", path)
        return Utterance(
            speaker_label=label or UNKNOWN_LABEL,
            start=offset,
            end=offset + duration,
            text=text,
            external_id=_ident(msg, "id", path) or None,
        )
    start_stamp = _time(_string(msg, "startTime", path), f"{path}.startTime")
    end_stamp = _time(_string(msg, "endTime", path), f"{path}.endTime")
    if offset is not None:
        start = offset
    elif start_stamp is not None and base is not None:
        start = (start_stamp - base).total_seconds()
        if start < 0:
            raise ParseError(
                f"startTime is {-start:g} s before the conversation startTime",
                location=f"{path}.startTime",
            )
    else:
        raise ParseError("message has neither timeOffset nor startTime", location=path)
    if duration is not None:
        end = start + duration
    elif end_stamp is not None and (start_stamp is not None or base is not None):
        end = (
            start + (end_stamp - start_stamp).total_seconds()
            if start_stamp is not None
            else (end_stamp - base).total_seconds()
        )
        if end < start:
            raise ParseError(
                f"end before start (end {end:g} s < start {start:g} s)",
                location=f"{path}.endTime",
            )
    else:
        raise ParseError("message has neither duration nor a usable endTime", location=path)
    ident = _ident(msg, "id", path)
    return Utterance(
        speaker_label=label or UNKNOWN_LABEL,
        start=start,
        end=end,
        text=text,
        external_id=ident or None,
    )


def _insights(data: Mapping[str, Any], people: _People) -> list[InsightData]:
    insights: list[InsightData] = []
    seen: set[str] = set()
    for key, array_type in INSIGHT_ARRAYS:
        for i, item in enumerate(_array(data.get(key), key)):
            path = f"{key}[{i}]"
            item = _object(item, path)
            kind = _string(item, "type", path) or array_type
            if kind is None:
                raise ParseError("missing insight type", location=f"{path}.type")
            if kind not in INSIGHT_TYPES:
                continue
            ident = _ident(item, "id", path)
            if ident:
                if ident in seen:
                    continue
                seen.add(ident)
            text = item.get("text")
            if not isinstance(text, str):
                reason = "missing text" if text is None else f"text must be a string, not {text!r}"
                raise ParseError(reason, location=f"{path}.text")
            definitive = item.get("definitive")
            if definitive is not None and not isinstance(definitive, bool):
                raise ParseError("expected true or false", location=f"{path}.definitive")
            message_ids = _array(item.get("messageIds"), f"{path}.messageIds")
            insights.append(
                InsightData(
                    type=kind,
                    text=text,
                    external_id=ident or None,
                    score=_number(item, "score", path),
                    from_label=people.label(item.get("from"), f"{path}.from", anonymous=None),
                    assignee_label=people.label(
                        item.get("assignee"), f"{path}.assignee", anonymous=None
                    ),
                    message_ids=tuple(str(m) for m in message_ids),
                    phrases=list(_array(item.get("phrases"), f"{path}.phrases")),
                    entities=list(_array(item.get("entities"), f"{path}.entities")),
                    definitive=definitive,
                    due_by=_string(item, "dueBy", path),
                )
            )
    return insights


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"expected an object, got {_kind(value)}", location=path)
    return value


def _array(value: Any, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"expected an array, got {_kind(value)}", location=path)
    return value


def _string(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ParseError(f"expected a string, got {_kind(value)}", location=_join(path, key))
    return value


def _ident(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """An id field: a string or an integer (Symbl ids are numeric strings), as text."""
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _string(obj, key, path)


def _number(obj: Mapping[str, Any], key: str, path: str) -> float | None:
    value, where = obj.get(key), _join(path, key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(f"non-numeric {key}: {value!r}", location=where)
    try:
        number = float(value)
    except ValueError:
        raise ParseError(f"non-numeric {key}: {value!r}", location=where) from None
    if not math.isfinite(number) or number < 0:
        raise ParseError(f"{key} must be a finite number >= 0, got {value!r}", location=where)
    return number


def _time(value: str | None, path: str) -> datetime | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        raise ParseError(f"not an ISO 8601 time: {value!r}", location=path) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def iso_time(value: datetime) -> str:
    """An aware datetime as Symbl writes it, in UTC: ``2024-03-04T10:00:01.120Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_lines(
    *,
    conversation_id: str,
    title: str,
    started_at: datetime | None,
    members: Sequence[Speaker],
    utterances: Iterable[Utterance],
    insights: Iterable[InsightData],
    speakers: Mapping[str, Speaker],
) -> Iterator[str]:
    """The Symbl bundle (vendor-apis.md 1.5) that :func:`parse` reads, yielded in pieces.

    ``{"conversation": {id, type: "meeting", name, startTime?}, "members": [person],
    "messages": [{id, text, from: person, startTime?, endTime?, timeOffset, duration,
    conversationId}], "insights": [{id, type, text, score, messageIds, phrases, entities,
    from, assignee, definitive?, dueBy?}]}``, compact, one message or insight per line.

    A person is ``{id: label, name, email?}`` of the :class:`~providers.types.Speaker` that
    ``speakers`` holds for an utterance's ``speaker_label`` or an insight's
    ``from_label``/``assignee_label`` (``{}`` for no label); ``members`` lists the people of
    the ``members`` array. ``speakers`` is read as the pieces are made, so a lazily filled
    mapping works as long as each label is there when its utterance or insight comes up.
    ``timeOffset`` is ``Utterance.start`` and ``duration`` ``end - start`` (never below 0),
    float seconds as given; ``startTime``/``endTime`` (:func:`iso_time`) only with
    ``started_at`` (an aware datetime). ``InsightData.due_by`` is written as given (ISO 8601).
    Lazy: ``utterances`` and then ``insights`` are consumed as the pieces are.
    """
    head: dict[str, Any] = {"id": conversation_id, "type": "meeting", "name": title}
    if started_at is not None:
        head["startTime"] = iso_time(started_at)
    people: dict[str, dict] = {}

    def person(label: str | None) -> dict:
        if label is None:
            return {}
        if label not in people:
            people[label] = _person(speakers[label])
        return people[label]

    yield (
        f'{{"conversation":{_dumps(head)},\n'
        f'"members":{_dumps([_person(m) for m in members])},\n"messages":['
    )
    for index, utterance in enumerate(utterances):
        start, end = utterance.start, utterance.end
        message: dict[str, Any] = {
            "id": utterance.external_id,
            "text": utterance.text,
            "from": person(utterance.speaker_label),
        }
        if started_at is not None:
            message["startTime"] = iso_time(started_at + timedelta(seconds=start))
            message["endTime"] = iso_time(started_at + timedelta(seconds=end))
        message.update(
            timeOffset=start, duration=max(end - start, 0.0), conversationId=conversation_id
        )
        yield ("\n" if index == 0 else ",\n") + _dumps(message)
    yield "],\n" + '"insights":['
    for index, insight in enumerate(insights):
        item: dict[str, Any] = {
            "id": insight.external_id,
            "type": insight.type,
            "text": insight.text,
            "score": insight.score,
            "messageIds": list(insight.message_ids),
            "phrases": insight.phrases,
            "entities": insight.entities,
            "from": person(insight.from_label),
            "assignee": person(insight.assignee_label),
        }
        if insight.definitive is not None:
            item["definitive"] = insight.definitive
        if insight.due_by is not None:
            item["dueBy"] = insight.due_by
        yield ("\n" if index == 0 else ",\n") + _dumps(item)
    yield "]}\n"


def write(**fields: Any) -> str:
    """The whole Symbl bundle of :func:`write_lines` (same keyword arguments) as one string."""
    return "".join(write_lines(**fields))


def _person(speaker: Speaker) -> dict:
    person = {"id": speaker.label, "name": speaker.name or ""}
    if speaker.email:
        person["email"] = speaker.email
    return person


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
