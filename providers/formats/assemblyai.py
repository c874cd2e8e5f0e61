"""AssemblyAI transcripts (``GET /v2/transcript/{id}`` with ``speaker_labels: true``).

Shape (AssemblyAI API reference, "Get transcript"; times are integer **milliseconds**)::

    {"id": "6a9z...", "status": "completed", "audio_url": "https://...",
     "language_code": "en", "speaker_labels": true, "confidence": 0.95, "text": "...",
     "utterances": [{"speaker": "A", "start": 170, "end": 25140, "text": "Yeah. As much ...",
                     "confidence": 0.95, "words": [...]}],
     "words": [{"text": "Yeah.", "start": 170, "end": 718, "confidence": 0.99,
                "speaker": "A"}]}

``status`` is ``queued``, ``processing``, ``completed`` or ``error`` (with an ``error``
message). ``utterances`` is null without ``speaker_labels``; ``words`` then carry
``speaker: null``. With ``multichannel: true`` words and utterances also carry ``channel``
(``"1"``, ``"2"``...).
"""

from __future__ import annotations

from typing import Any

from providers.formats import _vendor as v
from providers.formats._common import UNKNOWN_LABEL, SpeakerTable, by_start
from providers.types import ParseError, Transcript, Utterance

MS_PER_SECOND = 1000


def parse(text: str | bytes) -> Transcript:
    """Parse AssemblyAI transcript JSON text; invalid JSON raises
    :class:`~providers.types.ParseError` at ``"line L column C"``, the rest is
    :func:`parse_data`."""
    return parse_data(v.load(text))


def parse_data(data: Any) -> Transcript:
    """Turn a decoded AssemblyAI transcript into a Transcript (``source="assemblyai"``).

    * When ``utterances`` is a non-empty array, each entry is one utterance: ``speaker``
      letter as the label (``"A"``), ``start``/``end`` converted from milliseconds to seconds
      (``170`` → ``0.17``), ``text`` and ``channel`` (default 0).
    * Otherwise consecutive ``words`` of one speaker (and channel) are joined with spaces
      into one utterance, from the first word's start to the last word's end.
    * A null ``speaker`` gives the label ``"unknown"``. Speakers are keyed by
      ``(speaker, channel)`` in order of first appearance with ``name=None``;
      ``global_speaker_ids`` is False; ``language`` is ``language_code``. Sorted by start.

    Raises :class:`~providers.types.ParseError` at ``"status"`` for a transcript that is
    still ``queued``/``processing`` or ended in ``error`` (the reason quotes AssemblyAI's
    ``error`` message), and at a JSON path such as ``"utterances[2].start"`` for a missing,
    non-numeric or negative time, an end before the start, a bad speaker or text, or an
    array of the wrong type.
    """
    data = v.root(data, "an AssemblyAI transcript")
    status = v.string(data, "status", "")
    if status in ("queued", "processing"):
        raise ParseError(f"transcript is still {status}; no words yet", location="status")
    if status == "error":
        message = data.get("error") or "no error message given"
        raise ParseError(f"AssemblyAI transcription failed: {message}", location="status")
    utterances_raw = v.array(data, "utterances", "")
    if utterances_raw:
        utterances = [_utterance(u, v.join("utterances", i)) for i, u in enumerate(utterances_raw)]
    else:
        words = [_word(w, v.join("words", i)) for i, w in enumerate(v.array(data, "words", ""))]
        utterances = v.group_words(words)
    speakers = SpeakerTable()
    for utterance in utterances:
        speakers.add(utterance.speaker_label, channel=utterance.channel)
    return Transcript(
        source="assemblyai",
        speakers=speakers.as_list(),
        utterances=by_start(utterances),
        language=v.string(data, "language_code", ""),
        global_speaker_ids=False,
    )


def _utterance(raw: Any, path: str) -> Utterance:
    item = v.obj(raw, path)
    start, end = v.span(item, "start", "end", path, per_second=MS_PER_SECOND)
    return Utterance(
        speaker_label=v.label(item, "speaker", path) or UNKNOWN_LABEL,
        start=start,
        end=end,
        text=(v.string(item, "text", path) or "").strip(),
        channel=v.channel(item, "channel", path),
    )


def _word(raw: Any, path: str) -> v.Word:
    item = v.obj(raw, path)
    start, end = v.span(item, "start", "end", path, per_second=MS_PER_SECOND)
    return v.Word(
        label=v.label(item, "speaker", path) or UNKNOWN_LABEL,
        start=start,
        end=end,
        text=v.string(item, "text", path) or "",
        channel=v.channel(item, "channel", path),
    )
