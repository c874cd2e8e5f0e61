"""ElevenLabs Speech-to-Text (Scribe) results, ``POST /v1/speech-to-text`` with ``diarize``.

Shape (vendor-apis.md section 2.2; ElevenLabs API reference "Create transcript" and the
``SpeechToTextChunkResponseModel`` of elevenlabs-python; times are float seconds)::

    {"language_code": "eng", "language_probability": 0.98, "text": "Hi team. Morning!",
     "words": [
       {"text": "Hi", "start": 0.12, "end": 0.30, "type": "word", "speaker_id": "speaker_0"},
       {"text": " ", "start": 0.30, "end": 0.31, "type": "spacing", "speaker_id": "speaker_0"},
       {"text": "(laughs)", "start": 0.4, "end": 0.9, "type": "audio_event"},
       {"text": "Morning!", "start": 1.10, "end": 1.62, "type": "word",
        "speaker_id": "speaker_1"}],
     "transcription_id": "tr_9f2c", "audio_duration_secs": 1.7}

Multichannel ``separate`` output wraps one such object per channel:
``{"transcripts": [{..., "channel_index": 0}, ...], "transcription_id": ...}``. The STT
webhook body ``{"type": "speech_to_text_transcription", "data": {"transcription": {...}}}``
is unwrapped too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import UNKNOWN_LABEL, SpeakerTable, by_start, squash
from providers.types import ParseError, Transcript, Utterance

WEBHOOK_TYPE = "speech_to_text_transcription"


def parse(text: str | bytes) -> Transcript:
    """Parse ElevenLabs STT JSON text; invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn a decoded ElevenLabs STT result into a Transcript (``source="elevenlabs"``).

    * Tokens of ``type`` ``word`` (also a token without ``type``) start a new utterance
      when their ``speaker_id`` differs from the current one; ``spacing`` tokens belong to the
      current utterance whatever their ``speaker_id``; ``audio_event`` tokens (and unknown
      types) are skipped. An utterance runs from its first word's ``start`` to its last
      word's ``end``; its text is the word and spacing texts concatenated, with runs of
      whitespace (two spacings around a skipped event) collapsed to one space.
    * The label is the raw ``speaker_id`` (``"speaker_0"``); a word without one gets
      ``"unknown"``. In multichannel output each transcript's ``channel_index`` (else its
      position) is the channel of its speakers and utterances.
    * Speakers are keyed by ``(speaker_id, channel)`` in order of first appearance with
      ``name=None``; ``global_speaker_ids`` is False; ``language`` is the (first)
      ``language_code``. Utterances are sorted by start.

    Raises :class:`~providers.types.ParseError` at a JSON path such as
    ``"transcripts[1].words[4].start"`` for a word without ``start``/``end`` (a request with
    ``timestamps_granularity=none``), a non-numeric or negative time, an end before the
    start, a bad ``speaker_id`` or ``text``, and at ``"words"`` when neither ``words`` nor
    ``transcripts`` is present (such as the early ``{"message", "request_id"}`` reply of a
    webhook request).
    """
    data = v.root(data, "an ElevenLabs speech-to-text result")
    prefix = ""
    if data.get("type") == WEBHOOK_TYPE and isinstance(data.get("data"), Mapping):
        prefix = "data.transcription"
        data = v.child(v.child(data, "data", ""), "transcription", "data")
    if data.get("transcripts") is not None:
        parts_path = v.join(prefix, "transcripts")
        parts = [
            (v.obj(part, v.join(parts_path, i)), v.join(parts_path, i), i)
            for i, part in enumerate(v.array(data, "transcripts", prefix))
        ]
    elif data.get("words") is not None:
        parts = [(data, prefix, 0)]
    else:
        keys = ", ".join(list(data)[:8]) or "none"
        raise ParseError(
            f'no "words" or "transcripts" array (keys: {keys}); not a finished transcription',
            location=v.join(prefix, "words"),
        )
    utterances: list[Utterance] = []
    language = None
    for part, path, position in parts:
        chan = v.channel(part, "channel_index", path, default=position)
        utterances.extend(_utterances(part, path, chan))
        language = language or v.string(part, "language_code", path)
    speakers = SpeakerTable()
    for utterance in utterances:
        speakers.add(utterance.speaker_label, channel=utterance.channel)
    return Transcript(
        source="elevenlabs",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        language=language,
        global_speaker_ids=False,
    )


def _utterances(part: Mapping[str, Any], path: str, channel: int) -> list[Utterance]:
    utterances: list[Utterance] = []
    label: str | None = None
    texts: list[str] = []
    start = end = 0.0

    def close() -> None:
        if label is not None:
            text = squash("".join(texts))
            utterances.append(Utterance(label, start, end, text=text, channel=channel))

    words_path = v.join(path, "words")
    for i, raw in enumerate(v.array(part, "words", path)):
        where = v.join(words_path, i)
        token = v.obj(raw, where)
        kind = v.string(token, "type", where) or "word"
        text = v.string(token, "text", where) or ""
        if kind == "spacing":
            if label is not None:
                texts.append(text)
            continue
        if kind != "word":
            continue
        word_label = v.label(token, "speaker_id", where) or UNKNOWN_LABEL
        word_start, word_end = v.span(token, "start", "end", where)
        if word_label != label:
            close()
            label, texts, start, end = word_label, [], word_start, word_end
        texts.append(text)
        end = max(end, word_end)
    close()
    return utterances
