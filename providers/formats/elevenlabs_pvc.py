"""ElevenLabs Professional Voice Clone speaker separation status.

``GET /v1/voices/pvc/{voice_id}/samples/{sample_id}/speakers`` (vendor-apis.md section 2.1;
ElevenLabs API reference "Get speaker separation status" and the
``SpeakerSeparationResponseModel`` of elevenlabs-python); times are float seconds::

    {"voice_id": "VxQ1abc", "sample_id": "smp_77", "status": "completed",
     "speakers": {"spk_a": {"speaker_id": "spk_a", "duration_secs": 41.2,
                            "utterances": [{"start": 0.4, "end": 6.9}]},
                  "spk_b": {"speaker_id": "spk_b", "duration_secs": 17.8,
                            "utterances": [{"start": 7.1, "end": 11.8}]}},
     "selected_speaker_ids": ["spk_a"]}

``status`` is ``not_started``, ``pending``, ``completed`` or ``failed`` (other values are
tolerated). ``speakers`` and its values may be null.
"""

from __future__ import annotations

from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import SpeakerTable, by_start
from providers.types import ParseError, Transcript, Utterance


def parse(text: str | bytes) -> Transcript:
    """Parse the PVC ``…/speakers`` JSON text; invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn a decoded PVC speaker separation status into a Transcript (``source="pvc"``).

    One :class:`~providers.types.Speaker` per non-null ``speakers`` entry, in map order,
    labelled with its ``speaker_id`` (else the map key) and listed even without utterances;
    each of its ``utterances`` becomes an utterance with ``start``/``end`` in seconds and
    ``text=""``. A null ``speakers`` map (separation not finished) gives an empty transcript;
    null entries are skipped. ``global_speaker_ids`` is False. Sorted by start.

    Raises :class:`~providers.types.ParseError` at ``"status"`` when the separation
    ``failed``, and at a JSON path such as ``"speakers.spk_a.utterances[1].end"`` for a
    missing, non-numeric or negative time, an end before the start or a value of the wrong
    JSON type.
    """
    data = v.root(data, 'a PVC speaker separation status ("speakers")')
    status = v.string(data, "status", "")
    if status == "failed":
        sample = v.string(data, "sample_id", "") or "?"
        raise ParseError(
            f"speaker separation of sample {sample} failed; start it again", location="status"
        )
    raw_speakers = data.get("speakers")
    if raw_speakers is None:
        raw_speakers = {}
    speakers_map = v.obj(raw_speakers, "speakers")
    speakers = SpeakerTable()
    utterances = []
    for key, raw in speakers_map.items():
        path = v.join("speakers", str(key))
        if raw is None:
            continue
        entry = v.obj(raw, path)
        label = v.label(entry, "speaker_id", path) or str(key)
        speakers.add(label)
        utt_path = v.join(path, "utterances")
        for i, raw_utt in enumerate(v.array(entry, "utterances", path)):
            where = v.join(utt_path, i)
            start, end = v.span(v.obj(raw_utt, where), "start", "end", where)
            utterances.append(Utterance(label, start, end, text=""))
    return Transcript(
        source="pvc",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        global_speaker_ids=False,
    )
