"""DeepAffects diarization webhook bodies (async v2 ``/audio/generic/api/v2/async/diarize``).

Shape (vendor-apis.md section 4.1; SEERNET/Multi-Speaker-Diarization README and the
deepaffects-python ``DiarizeSegment`` model); times are float seconds::

    {"request_id": "8c0a7f52-91d4-4c1e-b1b3-0d6a5c2e9f10",
     "response": {"num_speakers": 2,
                  "segments": [{"speaker_id": "speaker1", "start": 0.0, "end": 4.2},
                               {"speaker_id": "speaker2", "start": 4.2, "end": 9.7}]}}

The speaker id type is inconsistent across DeepAffects' docs: a string (``"speaker1"``) or
a number, under ``speaker_id`` or (SDK model) ``speakerId``. ``num_speakers`` is only filled
in when the request asked for ``speakers: -1``.
"""

from __future__ import annotations

from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import SpeakerTable, by_start
from providers.types import ParseError, Transcript, Utterance

SPEAKER_KEYS = ("speaker_id", "speakerId")


def parse(text: str | bytes) -> Transcript:
    """Parse a DeepAffects webhook body; invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn a decoded DeepAffects body into a Transcript (``source="deepaffects"``).

    Reads ``response.segments`` (or top-level ``segments`` when the body has no
    ``response``). Each segment becomes an utterance with ``text=""``, ``start``/``end`` in
    seconds and channel 0; its speaker id (``speaker_id`` else ``speakerId``) is normalised
    to text (``1`` → ``"1"``). Speakers are in order of first appearance with ``name=None``;
    ``global_speaker_ids`` is False. Utterances are sorted by start. ``num_speakers`` is not
    checked (it counts speakers the service found, some may have no segment here).

    Raises :class:`~providers.types.ParseError` at a JSON path such as
    ``"response.segments[2].start"`` for a missing ``response``/``segments``, a missing
    speaker id, a missing, non-numeric or negative time, an end before the start or a value
    of the wrong JSON type.
    """
    data = v.root(data, 'a DeepAffects webhook body ("request_id", "response")')
    if data.get("response") is None and data.get("segments") is not None:
        body, path = data, ""
    else:
        body, path = v.child(data, "response", ""), "response"
    seg_path = v.join(path, "segments")
    speakers = SpeakerTable()
    utterances = []
    for i, raw in enumerate(v.array(body, "segments", path, required=True)):
        where = v.join(seg_path, i)
        seg = v.obj(raw, where)
        label = None
        for key in SPEAKER_KEYS:
            label = v.label(seg, key, where)
            if label is not None:
                break
        if label is None:
            raise ParseError(
                "missing speaker_id (or speakerId)", location=v.join(where, "speaker_id")
            )
        start, end = v.span(seg, "start", "end", where)
        speakers.add(label)
        utterances.append(Utterance(label, start, end, text=""))
    return Transcript(
        source="deepaffects",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        global_speaker_ids=False,
    )
