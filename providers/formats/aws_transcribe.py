"""Amazon Transcribe output JSON: classic batch jobs and Call Analytics jobs.

(a) Classic ``StartTranscriptionJob`` with ``ShowSpeakerLabels`` (Amazon Transcribe developer
guide, "Partitioning speakers (diarization)"); times are **strings** of seconds::

    {"jobName": "demo", "accountId": "...", "status": "COMPLETED",
     "results": {
       "transcripts": [{"transcript": "Hello, this is Ana. Hi Ana."}],
       "speaker_labels": {"speakers": 2, "segments": [
           {"speaker_label": "spk_0", "start_time": "0.44", "end_time": "2.1",
            "items": [{"speaker_label": "spk_0", "start_time": "0.44", "end_time": "0.8"}]}]},
       "items": [
           {"type": "pronunciation", "start_time": "0.44", "end_time": "0.8",
            "alternatives": [{"confidence": "0.99", "content": "Hello"}]},
           {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": ","}]}]}}

(b) Call Analytics (``StartCallAnalyticsJob``; developer guide, "Call Analytics output");
times are integer **milliseconds**::

    {"JobName": "example-call.wav", "LanguageCode": "en-US", "JobStatus": "COMPLETED",
     "Participants": [{"ParticipantRole": "AGENT"}, {"ParticipantRole": "CUSTOMER"}],
     "Transcript": [{"Id": "29b7...", "ParticipantRole": "CUSTOMER",
                     "BeginOffsetMillis": 6310, "EndOffsetMillis": 10450,
                     "Content": "Hi um Okay so I was at fisherman's terminal.",
                     "Sentiment": "NEUTRAL", "Items": [...]}],
     "Categories": {...}, "ConversationCharacteristics": {...}}
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import SpeakerTable, by_start
from providers.types import ParseError, Transcript, Utterance

MS_PER_SECOND = 1000


def parse(text: str | bytes) -> Transcript:
    """Parse Amazon Transcribe output JSON text (either shape); invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn decoded Amazon Transcribe output into a Transcript (``source="aws"``).

    * Call Analytics (a top-level ``Transcript`` array): each turn is one utterance with
      ``ParticipantRole`` (``"AGENT"``, ``"CUSTOMER"``) as the label, ``BeginOffsetMillis``/
      ``EndOffsetMillis`` converted to seconds, ``Content`` as text and ``Id`` as
      ``external_id``. ``language`` is ``LanguageCode``, ``title`` is ``JobName``.
    * Classic (``results.speaker_labels``): each speaker segment is one utterance with
      ``speaker_label`` (``"spk_0"``) and ``start_time``/``end_time``. Its text is built from
      ``results.items``: every ``pronunciation`` item goes to the last segment starting at or
      before the word's ``start_time`` (the first segment for earlier words); a
      ``punctuation`` item is glued to the word before it. ``language`` is
      ``results.language_code``, ``title`` is ``jobName``.

    Speakers are in order of first appearance, channel 0, ``name=None``;
    ``global_speaker_ids`` is False. Utterances are sorted by start.

    Raises :class:`~providers.types.ParseError` at a JSON path such as
    ``"Transcript[4].BeginOffsetMillis"`` or ``"results.speaker_labels.segments[2].end_time"``
    for a missing, non-numeric or negative time, an end before the start, a missing speaker
    label or role, an item without ``alternatives[0].content`` or a value of the wrong JSON
    type; at ``"results.speaker_labels"`` when a classic job ran without speaker
    identification; at ``"results"`` when neither shape is present.
    """
    data = v.root(data, 'Amazon Transcribe output ("results" or "Transcript")')
    if "Transcript" in data:
        return _call_analytics(data)
    if "results" in data:
        return _classic(data)
    keys = ", ".join(list(data)[:8]) or "none"
    raise ParseError(
        f'neither classic "results" nor Call Analytics "Transcript" (keys: {keys})',
        location="results",
    )


def _call_analytics(data: Mapping[str, Any]) -> Transcript:
    speakers = SpeakerTable()
    utterances = []
    for i, raw in enumerate(v.array(data, "Transcript", "", required=True)):
        path = v.join("Transcript", i)
        turn = v.obj(raw, path)
        role = v.string(turn, "ParticipantRole", path, required=True)
        start, end = v.span(
            turn, "BeginOffsetMillis", "EndOffsetMillis", path, per_second=MS_PER_SECOND
        )
        speakers.add(role)
        utterances.append(
            Utterance(
                speaker_label=role,
                start=start,
                end=end,
                text=(v.string(turn, "Content", path) or "").strip(),
                external_id=v.string(turn, "Id", path),
            )
        )
    return Transcript(
        source="aws",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        title=v.string(data, "JobName", ""),
        language=v.string(data, "LanguageCode", ""),
        global_speaker_ids=False,
    )


def _classic(data: Mapping[str, Any]) -> Transcript:
    results = v.child(data, "results", "")
    if results.get("speaker_labels") is None:
        raise ParseError(
            "no speaker labels: the job ran without ShowSpeakerLabels (speaker partitioning)",
            location="results.speaker_labels",
        )
    labels = v.child(results, "speaker_labels", "results")
    seg_path = "results.speaker_labels.segments"
    segments = []
    for i, raw in enumerate(v.array(labels, "segments", "results.speaker_labels")):
        path = v.join(seg_path, i)
        seg = v.obj(raw, path)
        label = v.string(seg, "speaker_label", path, required=True)
        start, end = v.span(seg, "start_time", "end_time", path)
        segments.append((start, end, label))
    order = sorted(range(len(segments)), key=lambda k: segments[k][0])
    starts = [segments[k][0] for k in order]
    texts: list[list[str]] = [[] for _ in segments]
    last: int | None = None  # segment of the previous word, for punctuation
    for i, raw in enumerate(v.array(results, "items", "results")):
        path = v.join("results.items", i)
        item = v.obj(raw, path)
        kind = v.string(item, "type", path)
        content = _content(item, path)
        if kind == "punctuation":
            if last is not None and texts[last]:
                texts[last][-1] += content
            continue
        if not segments:
            continue
        word_start = v.number(item, "start_time", path)
        at = bisect.bisect_right(starts, word_start) - 1
        last = order[max(at, 0)]
        texts[last].append(content)
    speakers = SpeakerTable()
    utterances = []
    for (start, end, label), words in zip(segments, texts, strict=True):
        speakers.add(label)
        utterances.append(
            Utterance(speaker_label=label, start=start, end=end, text=" ".join(words))
        )
    return Transcript(
        source="aws",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        title=v.string(data, "jobName", ""),
        language=v.string(results, "language_code", "results"),
        global_speaker_ids=False,
    )


def _content(item: Mapping[str, Any], path: str) -> str:
    alternatives = v.array(item, "alternatives", path, required=True)
    where = v.join(v.join(path, "alternatives"), 0)
    if not alternatives:
        raise ParseError("empty alternatives array", location=v.join(path, "alternatives"))
    return v.string(v.obj(alternatives[0], where), "content", where, required=True)
