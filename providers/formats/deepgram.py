"""Deepgram pre-recorded transcription responses (``POST /v1/listen`` with ``diarize=true``).

Shape (Deepgram docs, "Pre-recorded audio" and "Diarization"; times are float seconds)::

    {"metadata": {"request_id": "...", "duration": 169.8, "channels": 1, ...},
     "results": {
       "channels": [{"alternatives": [{"transcript": "...", "words": [
           {"word": "jessica", "punctuated_word": "Jessica,", "start": 4.64, "end": 5.14,
            "speaker": 0, "speaker_confidence": 0.89, "confidence": 0.82}]}],
         "detected_language": "en"}],
       "utterances": [{"id": "b1c1...", "start": 3.04, "end": 3.54, "channel": 0,
                       "speaker": 0, "transcript": "And,", "words": [...]}]}}

``results.utterances`` only exists when the request had ``utterances=true``; without it the
words of ``results.channels[c].alternatives[0]`` are grouped here. With ``multichannel=true``
there is one ``channels`` entry per audio channel and speaker ids restart in each channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import UNKNOWN_LABEL, SpeakerTable, by_start
from providers.types import Transcript, Utterance


def parse(text: str | bytes) -> Transcript:
    """Parse Deepgram response JSON text; invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn a decoded Deepgram response into a Transcript (``source="deepgram"``).

    * When ``results.utterances`` is a non-empty array, each entry is one utterance:
      ``speaker`` (an integer, kept as text: ``"0"``), ``start``/``end`` in seconds,
      ``transcript`` as text, ``channel`` (default 0) and ``id`` as ``external_id``.
    * Otherwise the words of ``results.channels[c].alternatives[0].words`` are read
      (``punctuated_word``, else ``word``) and consecutive words of one speaker become one
      utterance on channel ``c``, from the first word's start to the last word's end.
    * A missing ``speaker`` (a request without ``diarize``) gives the label ``"unknown"``.
      Speakers are keyed by ``(speaker, channel)`` in order of first appearance, with
      ``name=None``; ``global_speaker_ids`` is False. ``language`` is the first channel's
      ``detected_language`` when there is one. Utterances are sorted by start.

    Raises :class:`~providers.types.ParseError` at a JSON path such as
    ``"results.utterances[3].start"`` for a missing ``results`` object, a missing,
    non-numeric or negative time, an end before the start, a speaker that is neither an
    integer nor a string, text that is not a string or an array of the wrong type.
    """
    data = v.root(data, 'a Deepgram response with "results"')
    results = v.child(data, "results", "")
    channels = v.array(results, "channels", "results")
    utterances_raw = v.array(results, "utterances", "results")
    if utterances_raw:
        utterances = [
            _utterance(u, v.join("results.utterances", i)) for i, u in enumerate(utterances_raw)
        ]
    else:
        words: list[v.Word] = []
        for c, chan in enumerate(channels):
            words.extend(_channel_words(chan, v.join("results.channels", c), c))
        utterances = v.group_words(words)
    speakers = SpeakerTable()
    for utterance in utterances:
        speakers.add(utterance.speaker_label, channel=utterance.channel)
    language = None
    if channels and isinstance(channels[0], Mapping):
        language = v.string(channels[0], "detected_language", "results.channels[0]")
    return Transcript(
        source="deepgram",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        language=language,
        global_speaker_ids=False,
    )


def _utterance(raw: Any, path: str) -> Utterance:
    item = v.obj(raw, path)
    start, end = v.span(item, "start", "end", path)
    return Utterance(
        speaker_label=v.label(item, "speaker", path) or UNKNOWN_LABEL,
        start=start,
        end=end,
        text=(v.string(item, "transcript", path) or "").strip(),
        channel=v.channel(item, "channel", path),
        external_id=v.label(item, "id", path),
    )


def _channel_words(raw: Any, path: str, channel: int) -> list[v.Word]:
    chan = v.obj(raw, path)
    alternatives = v.array(chan, "alternatives", path)
    if not alternatives:
        return []
    alt_path = v.join(v.join(path, "alternatives"), 0)
    alternative = v.obj(alternatives[0], alt_path)
    words_path = v.join(alt_path, "words")
    words = []
    for i, raw_word in enumerate(v.array(alternative, "words", alt_path)):
        where = v.join(words_path, i)
        word = v.obj(raw_word, where)
        start, end = v.span(word, "start", "end", where)
        text = v.string(word, "punctuated_word", where) or v.string(word, "word", where) or ""
        words.append(
            v.Word(
                label=v.label(word, "speaker", where) or UNKNOWN_LABEL,
                start=start,
                end=end,
                text=text,
                channel=channel,
            )
        )
    return words
