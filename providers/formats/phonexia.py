"""Phonexia Speech Platform 4 speaker diarization results.

``GET /api/technology/speaker-diarization/{task_id}`` (vendor-apis.md section 3.2; Phonexia
"Speaker Diarization Result" REST reference); times are float seconds::

    {"task": {"task_id": "0b8f6a52-...", "state": "done"},
     "result": {"channels": [{"channel_number": 0, "speakers_count": 2,
       "segments": [{"speaker_id": 0, "start_time": 1.25, "end_time": 6.8},
                    {"speaker_id": 1, "start_time": 7.02, "end_time": 12.4}]}]}}

``state`` is ``pending``, ``running``, ``rejected``, ``failed`` or ``done``; a rejected or
failed task carries ``{"error": {"type": "task.validation-error", "message": "...",
"detail": [{"location": [0, "file"], "message": "...", "type": "..."}]}}`` instead of a
result. Speaker ids are integers unique only within one channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import SpeakerTable, by_start
from providers.types import ParseError, Transcript, Utterance

PENDING_STATES = ("pending", "running")
ERROR_STATES = ("rejected", "failed")


def parse(text: str | bytes) -> Transcript:
    """Parse Phonexia result JSON text; invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn a decoded Phonexia diarization result into a Transcript (``source="phonexia"``).

    Diarization only: every segment of ``result.channels[c].segments`` becomes an utterance
    with ``text=""``, ``start_time``/``end_time`` in seconds, the speaker id as text
    (``0`` → ``"0"``) and ``channel = channel_number``. Speakers are keyed by
    ``(channel_number, speaker_id)`` (``Speaker(label="0", channel=1)``) in order of first
    appearance with ``name=None``; ``global_speaker_ids`` is False. A channel with empty
    ``segments`` adds nothing. Utterances are sorted by start.

    Raises :class:`~providers.types.ParseError`:

    * at ``"error"`` for a ``rejected`` or ``failed`` task, quoting Phonexia's error
      ``type``, ``message`` and first ``detail`` message;
    * at ``"task.state"`` for a task still ``pending`` or ``running``;
    * at ``"result"`` when a finished task has no result;
    * at a JSON path such as ``"result.channels[0].segments[3].end_time"`` for a missing,
      non-numeric or negative time, an end before the start, a missing speaker id or channel
      number, or a value of the wrong JSON type.
    """
    data = v.root(data, 'a Phonexia task result ("task" and "result")')
    task = v.obj(data["task"], "task") if data.get("task") is not None else {}
    state = v.string(task, "state", "task")
    task_id = v.string(task, "task_id", "task") or "?"
    if state in ERROR_STATES:
        raise ParseError(_error_text(data, task_id, state), location="error")
    if state in PENDING_STATES:
        raise ParseError(f"task {task_id} is still {state}; no result yet", location="task.state")
    result = v.child(data, "result", "")
    speakers = SpeakerTable()
    utterances = []
    for c, raw in enumerate(v.array(result, "channels", "result", required=True)):
        path = v.join("result.channels", c)
        chan = v.obj(raw, path)
        if chan.get("channel_number") is None:
            raise ParseError("missing channel_number", location=v.join(path, "channel_number"))
        number = v.channel(chan, "channel_number", path)
        seg_path = v.join(path, "segments")
        for i, seg_raw in enumerate(v.array(chan, "segments", path)):
            where = v.join(seg_path, i)
            seg = v.obj(seg_raw, where)
            label = v.label(seg, "speaker_id", where)
            if label is None:
                raise ParseError("missing speaker_id", location=v.join(where, "speaker_id"))
            start, end = v.span(seg, "start_time", "end_time", where)
            speakers.add(label, channel=number)
            utterances.append(Utterance(label, start, end, text="", channel=number))
    return Transcript(
        source="phonexia",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        global_speaker_ids=False,
    )


def _error_text(data: Mapping[str, Any], task_id: str, state: str) -> str:
    error = data.get("error")
    if not isinstance(error, Mapping):
        return f"Phonexia task {task_id} {state} without an error description"
    kind = error.get("type") or "unknown error"
    message = error.get("message") or "no message"
    text = f"Phonexia task {task_id} {state}: {kind}: {message}"
    detail = error.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], Mapping):
        first = detail[0]
        where = first.get("location")
        where_text = f" at {where}" if where else ""
        text += f" ({first.get('message') or first.get('type')}{where_text})"
    if state == "rejected":
        text += "; the input does not meet the requirements, do not resubmit it unchanged"
    else:
        text += "; a system-side failure, the same task may succeed later"
    return text
