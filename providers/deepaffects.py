"""DeepAffects async speaker diarization (vendor-apis.md section 4).

There is no polling endpoint: submit with our own ``request_id`` and a webhook URL, then read
the webhook POST with :func:`webhook_to_transcript`. Auth is the ``apikey`` query parameter; it
(and the webhook URL, which carries a per-job token) is redacted from every message. Error
bodies are undocumented: 5xx, timeouts and connection errors are retryable, 4xx terminal.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

import requests

from providers.formats._common import SpeakerTable, by_start
from providers.http import VendorSession, json, vendor_session
from providers.types import ParseError, Transcript, Utterance

BASE_URL = "https://proxy.api.deepaffects.com"
DIARIZE_PATH = "/audio/generic/api/v2/async/diarize"
AUDIO_TYPES = ("callcenter", "meeting")
#: Upload timeout: (connect, read) seconds; base64 content can be large.
UPLOAD_TIMEOUT = (5, 120)


class DeepAffectsClient:
    """Client for the DeepAffects diarization API with one ``api_key``.

    ``session`` is a VendorSession or a requests.Session to wrap.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = BASE_URL,
        session: VendorSession | requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = vendor_session("DeepAffects", session)
        self.http.add_secret(api_key)
        self._api_key = api_key

    def diarize_async(
        self,
        *,
        request_id: str,
        webhook_url: str,
        url: str | None = None,
        content: bytes | None = None,
        encoding: str,
        sample_rate: int,
        speakers: int = -1,
        audio_type: str = "meeting",
        language: str = "en-US",
        speaker_ids: list[str] | None = None,
        vad: bool | None = None,
    ) -> str:
        """``POST /audio/generic/api/v2/async/diarize?apikey=&webhook=&request_id=`` (4.1).

        JSON body: ``encoding`` (``FLAC``, ``Wave``, ``MP3``...), ``sampleRate`` (Hz),
        ``languageCode``, ``speakers`` (-1 = unknown), ``audioType`` (``callcenter`` or
        ``meeting``), optional ``speakerIds``, and the audio as a public ``url`` or
        ``content`` bytes (sent base64). ``vad`` sets both ``doVad`` and ``vad`` (which one
        the server reads is unconfirmed). ``request_id`` is ours (a UUID persisted before the
        call): the only correlation and idempotency handle. Returns the request id the
        server acknowledged (ours when it echoes none). Raises ValueError for bad arguments,
        ProviderError for HTTP errors.
        """
        if (url is None) == (content is None):
            raise ValueError("give exactly one of url or content")
        if not request_id or not webhook_url:
            raise ValueError("request_id and webhook_url are required")
        if audio_type not in AUDIO_TYPES:
            raise ValueError(f"audio_type must be one of {AUDIO_TYPES}, got {audio_type!r}")
        body: dict[str, Any] = {
            "encoding": encoding,
            "sampleRate": int(sample_rate),
            "languageCode": language,
            "speakers": int(speakers),
            "audioType": audio_type,
        }
        if speaker_ids:
            body["speakerIds"] = [str(s) for s in speaker_ids]
        if vad is not None:
            body["doVad"] = body["vad"] = bool(vad)
        if url is not None:
            body["url"] = url
        else:
            body["content"] = base64.b64encode(content).decode("ascii")
        response = self.http.request(
            "POST",
            f"{self.base_url}{DIARIZE_PATH}",
            params={"apikey": self._api_key, "webhook": webhook_url, "request_id": request_id},
            json=body,
            timeout=UPLOAD_TIMEOUT,
        )
        reply = json(response) if response.content else {}
        echoed = reply.get("request_id")
        return str(echoed) if echoed else request_id


def webhook_to_transcript(body: Mapping[str, Any]) -> tuple[str, Transcript]:
    """Read the diarization webhook POST (4.1) into ``(request_id, Transcript)``.

    ``{"request_id", "response": {"num_speakers", "segments": [{speaker_id, start, end}]}}``.
    A speaker id may be a string (``"speaker1"``) or an integer, under ``speaker_id`` or
    ``speakerId`` (4.2); it is normalised to a string label, in order of first appearance.
    Times are seconds; utterances have no text. ``response`` may also be the segment list
    itself. Match ``request_id`` against our own ids before storing anything. Raises
    :class:`~providers.types.ParseError` with a JSON path for a missing ``request_id`` or
    ``response``, a missing/ill-typed speaker id, non-numeric or negative times, end < start.
    """
    if not isinstance(body, Mapping):
        raise ParseError("expected a JSON object")
    request_id = body.get("request_id")
    if isinstance(request_id, bool) or not isinstance(request_id, str | int) or request_id == "":
        raise ParseError("missing request_id", location="request_id")
    response = body.get("response")
    if isinstance(response, list):
        segments, path = response, "response"
    elif isinstance(response, Mapping):
        segments, path = response.get("segments"), "response.segments"
        segments = [] if segments is None else segments
    else:
        raise ParseError("missing response object", location="response")
    if not isinstance(segments, list):
        raise ParseError("expected an array", location=path)
    table, utterances = SpeakerTable(), []
    for i, segment in enumerate(segments):
        where = f"{path}[{i}]"
        if not isinstance(segment, Mapping):
            raise ParseError("expected an object", location=where)
        key = "speaker_id" if segment.get("speaker_id") is not None else "speakerId"
        speaker = segment.get(key)
        if isinstance(speaker, bool) or not isinstance(speaker, str | int) or speaker == "":
            raise ParseError("expected a speaker id (string or integer)", location=f"{where}.{key}")
        start, end = _seconds(segment, "start", where), _seconds(segment, "end", where)
        if end < start:
            raise ParseError(f"end before start ({end:g} s < {start:g} s)", location=f"{where}.end")
        label = str(speaker)
        table.add(label)
        utterances.append(Utterance(label, start, end))
    transcript = Transcript(
        source="deepaffects", speakers=table.as_list(), utterances=by_start(utterances)
    )
    return str(request_id), transcript


def _seconds(segment: Mapping[str, Any], key: str, where: str) -> float:
    value = segment.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParseError(f"expected seconds, got {value!r}", location=f"{where}.{key}")
    if value < 0:
        raise ParseError(f"negative time {value!r}", location=f"{where}.{key}")
    return float(value)
