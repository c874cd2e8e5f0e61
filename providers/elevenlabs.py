"""ElevenLabs client: PVC speaker separation, Speech-to-Text (Scribe) with diarization, the
signed STT webhook and Speech Engine reads (vendor-apis.md section 2).

Auth is the ``xi-api-key`` header; the key is redacted from every message. HTTP failures raise
:class:`~providers.types.ProviderError` through :class:`providers.http.VendorSession`: 401
``invalid_api_key``/``quota_exceeded`` and 422 validation errors are terminal, 408/429/5xx are
retryable with ``retry_after`` from ``retry-after-ms``/``retry-after``/``x-ratelimit-reset``
(section 2.4).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json as _json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

from providers.formats._common import UNKNOWN_LABEL, SpeakerTable, by_start
from providers.http import VendorSession, dumps, json, quote_path_part, vendor_session
from providers.jobs import DONE, FAILED, PROCESSING, SUBMITTED, JobStatus
from providers.types import ParseError, ProviderError, Transcript, Utterance

#: Base URL per SDK environment (section 2). ``base_url`` may be one of these keys or a URL.
REGIONS = {
    "default": "https://api.elevenlabs.io",
    "us": "https://api.us.elevenlabs.io",
    "eu-residency": "https://api.eu.residency.elevenlabs.io",
    "in-residency": "https://api.in.residency.elevenlabs.io",
    "sg-residency": "https://api.sg.residency.elevenlabs.io",
}
PVC_JOB_STATES = {
    "not_started": SUBMITTED,
    "pending": PROCESSING,
    "completed": DONE,
    "failed": FAILED,
}
SIGNATURE_HEADER = "ElevenLabs-Signature"
MAX_SPEAKERS = 32
MAX_WEBHOOK_METADATA = 16 * 1024
#: Read timeout for a synchronous transcription: the reply comes after the whole file is done.
TRANSCRIBE_TIMEOUT = (5, 600)


@dataclass(frozen=True)
class PvcSpeaker:
    """One speaker found by PVC separation. ``duration_secs`` is ``None`` when the vendor
    sent a null entry; ``utterances`` are ``(start, end)`` seconds."""

    speaker_id: str
    duration_secs: float | None = None
    utterances: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class PvcSeparation:
    """``GET …/speakers`` (section 2.1). ``status`` is the raw vendor value (``not_started``,
    ``pending``, ``completed``, ``failed`` or anything newer)."""

    status: str
    speakers: list[PvcSpeaker] = field(default_factory=list)
    selected_speaker_ids: list[str] = field(default_factory=list)

    @property
    def job_status(self) -> JobStatus:
        """``not_started`` -> submitted (call :meth:`ElevenLabsClient.start_separation`),
        ``pending`` -> processing, ``completed`` -> done, ``failed`` -> failed; unknown
        values count as processing."""
        state = PVC_JOB_STATES.get(self.status, PROCESSING)
        error = "ElevenLabs speaker separation failed" if state == FAILED else None
        return JobStatus(state=state, vendor_state=self.status, error=error)


@dataclass(frozen=True)
class AsyncAccepted:
    """Early reply of ``POST /v1/speech-to-text`` with ``webhook=true``: the result arrives by
    webhook; key it on ``request_id``/``transcription_id`` (section 2.2)."""

    request_id: str
    transcription_id: str | None = None


class ElevenLabsClient:
    """Client for one ElevenLabs account: ``api_key`` and a ``base_url`` (a :data:`REGIONS`
    key or URL). ``session`` is a VendorSession or a requests.Session to wrap."""

    def __init__(
        self,
        api_key: str,
        base_url: str = REGIONS["default"],
        session: VendorSession | requests.Session | None = None,
    ) -> None:
        self.base_url = REGIONS.get(base_url, base_url).rstrip("/")
        self.http = vendor_session("ElevenLabs", session)
        self.http.add_secret(api_key)
        self._auth = {"xi-api-key": api_key}

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**(kwargs.pop("headers", None) or {}), **self._auth}
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    # -- PVC speaker separation (2.1) -------------------------------------------------------

    def start_separation(self, voice_id: str, sample_id: str) -> str:
        """``POST /v1/voices/pvc/{voice_id}/samples/{sample_id}/separate-speakers``.
        Call only when the status is ``not_started``. Returns the reply ``status``
        (``"ok"``). A failed start is an HTTP 500 (retryable ProviderError)."""
        body = json(self._request("POST", f"{_pvc(voice_id, sample_id)}/separate-speakers"))
        return str(body.get("status") or "")

    def separation_status(self, voice_id: str, sample_id: str) -> PvcSeparation:
        """``GET …/samples/{sample_id}/speakers`` as a :class:`PvcSeparation`.

        Tolerates a null ``speakers`` map or ``selected_speaker_ids``, null map values (kept
        as speakers without duration) and unknown statuses. Times are seconds. Raises
        ProviderError (``malformed_body`` for a reply without ``status``).
        """
        body = json(self._request("GET", f"{_pvc(voice_id, sample_id)}/speakers"))
        status = body.get("status")
        if not isinstance(status, str):
            raise _malformed("PVC speakers reply has no status")
        raw = body.get("speakers") if isinstance(body.get("speakers"), Mapping) else {}
        speakers = [_pvc_speaker(key, value) for key, value in raw.items()]
        selected = [str(s) for s in body.get("selected_speaker_ids") or [] if s is not None]
        return PvcSeparation(status=status, speakers=speakers, selected_speaker_ids=selected)

    def speaker_audio(
        self, voice_id: str, sample_id: str, speaker_id: str
    ) -> tuple[bytes, str, float | None]:
        """``GET …/speakers/{speaker_id}/audio``: JSON with base64 audio, decoded to
        ``(audio bytes, media_type, duration_secs)``. Raises ProviderError
        (``malformed_body`` when ``audio_base_64`` is missing or not base64)."""
        path = f"{_pvc(voice_id, sample_id)}/speakers/{quote_path_part(speaker_id)}/audio"
        body = json(self._request("GET", path))
        encoded = body.get("audio_base_64")
        if not isinstance(encoded, str):
            raise _malformed("speaker audio reply has no audio_base_64")
        try:
            audio = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise _malformed("speaker audio is not valid base64") from None
        duration = body.get("duration_secs")
        media_type = body.get("media_type") if isinstance(body.get("media_type"), str) else ""
        return audio, media_type, float(duration) if _is_number(duration) else None

    def select_speakers(self, voice_id: str, sample_id: str, speaker_ids: list[str]) -> str:
        """``POST /v1/voices/pvc/{voice_id}/samples/{sample_id}`` with
        ``{"selected_speaker_ids": [...]}``. The list **replaces** the previous selection, so
        pass every speaker to keep. Returns the ``voice_id`` echoed back. Raises TypeError for
        a bare string, ProviderError (422 lists the offending item) otherwise."""
        if isinstance(speaker_ids, str | bytes):
            raise TypeError("speaker_ids must be a list of ids, not a string")
        payload = {"selected_speaker_ids": [str(s) for s in speaker_ids]}
        body = json(self._request("POST", _pvc(voice_id, sample_id), json=payload))
        return str(body.get("voice_id") or voice_id)

    # -- Speech-to-Text (2.2) ---------------------------------------------------------------

    def transcribe(
        self,
        file: bytes | None = None,
        *,
        source_url: str | None = None,
        filename: str = "audio",
        model_id: str = "scribe_v1",
        num_speakers: int | None = None,
        diarize: bool = True,
        language: str | None = None,
        webhook: bool = False,
        webhook_metadata: Mapping[str, Any] | str | None = None,
        timeout: tuple[float, float] = TRANSCRIBE_TIMEOUT,
    ) -> Transcript | AsyncAccepted:
        """``POST /v1/speech-to-text`` (multipart) with ``file`` bytes or a ``source_url``.

        ``num_speakers`` is the maximum (1-32, None = model maximum); ``language`` is
        ``language_code`` (None = auto-detect). With ``webhook=True`` returns
        :class:`AsyncAccepted`; put our job id in ``webhook_metadata`` (dict or JSON text,
        at most 16 KB). Otherwise returns the parsed :class:`Transcript`. Raises ValueError
        for bad arguments, ProviderError for HTTP errors and ``parse_error`` results.
        """
        if (file is None) == (source_url is None):
            raise ValueError("give exactly one of file or source_url")
        if num_speakers is not None and not 1 <= num_speakers <= MAX_SPEAKERS:
            raise ValueError(f"num_speakers must be 1-{MAX_SPEAKERS}, got {num_speakers!r}")
        fields = {"model_id": model_id, "diarize": "true" if diarize else "false"}
        if num_speakers is not None:
            fields["num_speakers"] = str(num_speakers)
        if language:
            fields["language_code"] = language
        if source_url is not None:
            fields["source_url"] = source_url
        if webhook:
            fields["webhook"] = "true"
        if webhook_metadata is not None:
            text = (
                webhook_metadata if isinstance(webhook_metadata, str) else dumps(webhook_metadata)
            )
            if len(text.encode()) > MAX_WEBHOOK_METADATA:
                raise ValueError("webhook_metadata is larger than 16 KB")
            fields["webhook_metadata"] = text
        parts: list[tuple[str, tuple]] = [(k, (None, v)) for k, v in fields.items()]
        if file is not None:
            parts.append(("file", (filename, file)))
        response = self._request("POST", "/v1/speech-to-text", files=parts, timeout=timeout)
        body = json(response)
        if webhook:
            request_id = body.get("request_id")
            if not isinstance(request_id, str) or not request_id:
                raise _malformed("webhook transcription reply has no request_id")
            transcription_id = body.get("transcription_id")
            return AsyncAccepted(request_id, str(transcription_id) if transcription_id else None)
        return _parsed(body)

    def get_transcript(self, transcription_id: str) -> Transcript:
        """``GET /v1/speech-to-text/transcripts/{transcription_id}`` parsed by
        :func:`stt_to_transcript`. Raises ProviderError (404 = unknown or deleted)."""
        path = f"/v1/speech-to-text/transcripts/{quote_path_part(transcription_id)}"
        return _parsed(json(self._request("GET", path)))

    # -- Speech Engine (2.3) ----------------------------------------------------------------

    def get_speech_engine(self, speech_engine_id: str) -> SpeechEngine:
        """``GET /v1/speech-engine/{id}`` (ids start ``seng_`` or ``agent_``) as a
        :class:`SpeechEngine`. Raises ProviderError: ``http_404`` for an unknown engine,
        ``http_401`` for a bad key (terminal), ``malformed_body`` for a reply that is not an
        engine (no ``speech_engine_id``)."""
        body = json(self._request("GET", f"/v1/speech-engine/{quote_path_part(speech_engine_id)}"))
        try:
            return parse_speech_engine(body)
        except ParseError as err:
            raise _malformed(f"speech engine reply unreadable: {err}") from err


#: Documented defaults of the Speech Engine schema (vendor-apis.md 2.3).
ASR_PROVIDER_DEFAULT = "scribe_realtime"
ASR_INPUT_FORMAT_DEFAULT = "pcm_16000"
DAILY_LIMIT_DEFAULT = 100000


@dataclass(frozen=True)
class SpeechEngineAsr:
    """``asr`` of a Speech Engine: ``provider`` (``elevenlabs`` | ``scribe_realtime``),
    ``quality`` (``high``; ``None`` when not sent), ``user_input_audio_format``
    (``pcm_8000`` … ``pcm_48000``, ``ulaw_8000``) and the boosted ``keywords``."""

    provider: str = ASR_PROVIDER_DEFAULT
    quality: str | None = None
    user_input_audio_format: str = ASR_INPUT_FORMAT_DEFAULT
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpeechEnginePrivacy:
    """``privacy`` of a Speech Engine, with the schema's defaults for missing keys:
    ``record_voice`` (True), ``retention_days`` (-1 = no limit), ``delete_transcript_and_pii``,
    ``delete_audio``, ``apply_to_existing_conversations``, ``zero_retention_mode`` (False)
    and ``conversation_history_redaction`` (entity names such as ``name``,
    ``email_address``, ``name.full_name``)."""

    record_voice: bool = True
    retention_days: int = -1
    delete_transcript_and_pii: bool = False
    delete_audio: bool = False
    apply_to_existing_conversations: bool = False
    zero_retention_mode: bool = False
    conversation_history_redaction: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpeechEngineCallLimits:
    """``call_limits``: ``agent_concurrency_limit`` (-1 = none; ``None`` when not sent),
    ``daily_limit`` (default 100000) and ``bursting_enabled``."""

    agent_concurrency_limit: int | None = None
    daily_limit: int = DAILY_LIMIT_DEFAULT
    bursting_enabled: bool = False


@dataclass(frozen=True)
class SpeechEngine:
    """``GET /v1/speech-engine/{id}`` (vendor-apis.md 2.3): what the portal shows of an
    engine. Times are Unix seconds (``None`` when not sent); ``role`` is the caller's
    ``access_info.role`` (``admin`` | ``editor`` | ``commenter`` | ``viewer``) or ``None``.
    :meth:`as_dict` / :meth:`from_dict` round-trip it through JSON."""

    speech_engine_id: str
    name: str = ""
    language: str = ""
    tags: tuple[str, ...] = ()
    asr: SpeechEngineAsr = field(default_factory=SpeechEngineAsr)
    privacy: SpeechEnginePrivacy = field(default_factory=SpeechEnginePrivacy)
    call_limits: SpeechEngineCallLimits = field(default_factory=SpeechEngineCallLimits)
    created_at_unix_secs: int | None = None
    updated_at_unix_secs: int | None = None
    role: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (tuples become lists); :meth:`from_dict` reads it back."""
        return _json.loads(_json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpeechEngine:
        """The engine :meth:`as_dict` produced (raises ParseError like
        :func:`parse_speech_engine`)."""
        body = dict(data)
        body["access_info"] = {"role": body.pop("role", None)}
        body["metadata"] = {
            "created_at_unix_secs": body.pop("created_at_unix_secs", None),
            "updated_at_unix_secs": body.pop("updated_at_unix_secs", None),
        }
        return parse_speech_engine(body)


def parse_speech_engine(body: Mapping[str, Any]) -> SpeechEngine:
    """Read a Speech Engine body (vendor-apis.md 2.3) into a :class:`SpeechEngine`.

    Missing blocks and keys take the schema's defaults; unknown keys are ignored. Raises
    :class:`~providers.types.ParseError` with the JSON path when ``speech_engine_id`` is
    missing or a known key has the wrong type.
    """
    if not isinstance(body, Mapping):
        raise ParseError("expected a JSON object")
    engine_id = body.get("speech_engine_id")
    if not isinstance(engine_id, str) or not engine_id:
        raise ParseError("expected a non-empty string", location="speech_engine_id")
    asr = _block(body, "asr")
    privacy = _block(body, "privacy")
    limits = _block(body, "call_limits")
    metadata = _block(body, "metadata")
    access = body.get("access_info") if isinstance(body.get("access_info"), Mapping) else {}
    redaction = privacy.get("conversation_history_redaction")
    if isinstance(redaction, Mapping):  # tolerate {"enabled":…, "entities": [...]}
        redaction = redaction.get("entities") if redaction.get("enabled", True) else []
    return SpeechEngine(
        speech_engine_id=engine_id,
        name=_opt(body, "name", str, "") or "",
        language=_opt(body, "language", str, "") or "",
        tags=_strings(body.get("tags"), "tags"),
        asr=SpeechEngineAsr(
            provider=_opt(asr, "provider", str, ASR_PROVIDER_DEFAULT, "asr."),
            quality=_opt(asr, "quality", str, None, "asr."),
            user_input_audio_format=_opt(
                asr, "user_input_audio_format", str, ASR_INPUT_FORMAT_DEFAULT, "asr."
            ),
            keywords=_strings(asr.get("keywords"), "asr.keywords"),
        ),
        privacy=SpeechEnginePrivacy(
            record_voice=_opt(privacy, "record_voice", bool, True, "privacy."),
            retention_days=_opt(privacy, "retention_days", int, -1, "privacy."),
            delete_transcript_and_pii=_opt(
                privacy, "delete_transcript_and_pii", bool, False, "privacy."
            ),
            delete_audio=_opt(privacy, "delete_audio", bool, False, "privacy."),
            apply_to_existing_conversations=_opt(
                privacy, "apply_to_existing_conversations", bool, False, "privacy."
            ),
            zero_retention_mode=_opt(privacy, "zero_retention_mode", bool, False, "privacy."),
            conversation_history_redaction=_strings(
                redaction, "privacy.conversation_history_redaction"
            ),
        ),
        call_limits=SpeechEngineCallLimits(
            agent_concurrency_limit=_opt(
                limits, "agent_concurrency_limit", int, None, "call_limits."
            ),
            daily_limit=_opt(limits, "daily_limit", int, DAILY_LIMIT_DEFAULT, "call_limits."),
            bursting_enabled=_opt(limits, "bursting_enabled", bool, False, "call_limits."),
        ),
        created_at_unix_secs=_opt(metadata, "created_at_unix_secs", int, None, "metadata."),
        updated_at_unix_secs=_opt(metadata, "updated_at_unix_secs", int, None, "metadata."),
        role=_opt(access, "role", str, None, "access_info."),
    )


def _block(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParseError("expected an object", location=key)
    return value


def _opt(block: Mapping[str, Any], key: str, kind: type, default: Any, path: str = "") -> Any:
    """``block[key]`` checked against ``kind`` (bool is not an int), ``default`` when missing
    or null. Raises ParseError at ``path + key``."""
    value = block.get(key)
    if value is None:
        return default
    wrong_bool = kind is int and isinstance(value, bool)
    if not isinstance(value, kind) or wrong_bool:
        raise ParseError(f"expected {kind.__name__}, got {value!r}", location=f"{path}{key}")
    return value


def _strings(value: Any, location: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError("expected an array of strings", location=location)
    return tuple(value)


def stt_to_transcript(body: Mapping[str, Any]) -> Transcript:
    """Turn a Scribe result (section 2.2) into a Transcript (``source="elevenlabs"``).

    Accepts the single-channel body (``words``), the multichannel ``separate`` body
    (``transcripts`` list, each ``channel_index`` -> :attr:`Utterance.channel`) and the webhook
    event (``data.transcription``). Consecutive ``word``/``spacing`` tokens of one
    ``speaker_id`` form one utterance (text joined and trimmed, start/end in seconds from its
    words); ``audio_event`` tokens are skipped; a word without ``speaker_id`` is labelled
    ``"unknown"``. Speaker labels are the raw ids (``"speaker_0"``) in order of first
    appearance. Raises :class:`~providers.types.ParseError` with a JSON path for wrong types.
    """
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        body = body["data"].get("transcription", body)
    if not isinstance(body, Mapping):
        raise ParseError("expected a JSON object with words or transcripts")
    transcripts = body.get("transcripts")
    if transcripts is None:
        parts = [(body, "", _channel(body, 0, ""))]
    elif isinstance(transcripts, list):
        parts = []
        for i, part in enumerate(transcripts):
            if not isinstance(part, Mapping):
                raise ParseError("expected an object", location=f"transcripts[{i}]")
            parts.append((part, f"transcripts[{i}].", _channel(part, i, f"transcripts[{i}].")))
    else:
        raise ParseError("expected an array", location="transcripts")
    table, utterances = SpeakerTable(), []
    for part, path, channel in parts:
        utterances.extend(_utterances(part, path, channel, table))
    language = body.get("language_code") or next(
        (p.get("language_code") for p, _, _ in parts if p.get("language_code")), None
    )
    return Transcript(
        source="elevenlabs",
        speakers=table.as_list(),
        utterances=by_start(utterances),
        language=language if isinstance(language, str) else None,
    )


def verify_webhook(
    raw_body: bytes,
    signature_header: str | None,
    secret: str,
    now: float | None = None,
    tolerance: float = 1800,
) -> dict[str, Any]:
    """Check the ``ElevenLabs-Signature: t=<unix>,v0=<hex>`` header of an STT webhook against
    the raw request body and return the decoded JSON event (section 2.2).

    The signature is HMAC-SHA256(``secret``, ``f"{t}.{raw_body}"``) in hex, compared in
    constant time. Timestamps more than ``tolerance`` seconds (30 min, as the SDK) before or
    after ``now`` (epoch seconds, default the current time) are refused: a signature dated
    ahead would otherwise stay replayable for as long. Raises
    ``ProviderError(error_type="bad_signature")`` for a missing/garbled header, a missing
    secret, a stale timestamp or a mismatch, and ``error_type="malformed_body"`` when a
    correctly signed body is not a JSON object. Neither the secret nor the signature is
    quoted in messages.
    """
    if not secret:
        raise _bad_signature("no webhook secret is configured")
    if not signature_header:
        raise _bad_signature(f"missing {SIGNATURE_HEADER} header")
    timestamp, signatures = None, []
    for item in signature_header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamp = value.strip()
        elif key == "v0":
            signatures.append(value.strip().lower())
    if not timestamp or not signatures:
        raise _bad_signature("signature header lacks t= or v0=")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise _bad_signature("signature timestamp is not a number") from None
    now = time.time() if now is None else now
    if sent_at < now - tolerance:
        raise _bad_signature(f"signature timestamp is more than {tolerance:g} s old")
    if sent_at > now + tolerance:
        raise _bad_signature(f"signature timestamp is more than {tolerance:g} s ahead")
    raw = raw_body.encode() if isinstance(raw_body, str) else bytes(raw_body)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    digest = expected.hexdigest().encode()
    if not any(hmac.compare_digest(digest, s.encode()) for s in signatures):
        raise _bad_signature("signature does not match the body")
    try:
        event = _json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested too deeply
        event = None
    if not isinstance(event, dict):
        raise ProviderError(
            "ElevenLabs webhook body is not a JSON object", error_type="malformed_body"
        )
    return event


def _utterances(part: Mapping, path: str, channel: int, table: SpeakerTable) -> list[Utterance]:
    words = part.get("words")
    if words is None:
        words = []
    if not isinstance(words, list):
        raise ParseError("expected an array", location=f"{path}words")
    out: list[Utterance] = []
    turn: dict[str, Any] | None = None
    clock = 0.0
    for i, word in enumerate(words):
        where = f"{path}words[{i}]"
        if not isinstance(word, Mapping):
            raise ParseError("expected an object", location=where)
        kind = word.get("type") or "word"
        if kind == "audio_event":
            continue
        text = word.get("text") or ""
        if not isinstance(text, str):
            raise ParseError("text must be a string", location=f"{where}.text")
        start = _time(word, "start", where, default=clock)
        end = max(_time(word, "end", where, default=start), start)
        if kind == "spacing":
            if turn is not None:
                turn["parts"].append(text)
            continue
        clock = end
        label = word.get("speaker_id")
        label = str(label) if label not in (None, "") else UNKNOWN_LABEL
        if turn is None or turn["label"] != label:
            _close(turn, channel, table, out)
            turn = {"label": label, "start": start, "end": end, "parts": [text]}
        else:
            turn["parts"].append(text)
            turn["end"] = max(turn["end"], end)
    _close(turn, channel, table, out)
    return out


def _pvc_speaker(key: str, value: Any) -> PvcSpeaker:
    value = value if isinstance(value, Mapping) else {}
    spans = [
        (float(u["start"]), float(u["end"]))
        for u in value.get("utterances") or []
        if isinstance(u, Mapping) and _is_number(u.get("start"), u.get("end"))
    ]
    duration = value.get("duration_secs")
    duration = float(duration) if _is_number(duration) else None
    return PvcSpeaker(str(value.get("speaker_id") or key), duration, spans)


def _close(turn: dict | None, channel: int, table: SpeakerTable, out: list[Utterance]) -> None:
    if turn is None:
        return
    table.add(turn["label"], channel=channel)
    text = "".join(turn["parts"]).strip()
    out.append(Utterance(turn["label"], turn["start"], turn["end"], text, channel=channel))


def _channel(part: Mapping, default: int, path: str) -> int:
    value = part.get("channel_index", default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError("expected an integer >= 0", location=f"{path}channel_index")
    return value


def _time(word: Mapping, key: str, where: str, *, default: float) -> float:
    value = word.get(key)
    if value is None:
        return default
    if not _is_number(value) or value < 0:
        raise ParseError(f"expected seconds >= 0, got {value!r}", location=f"{where}.{key}")
    return float(value)


def _is_number(*values: Any) -> bool:
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


def _parsed(body: Mapping[str, Any]) -> Transcript:
    try:
        return stt_to_transcript(body)
    except ParseError as err:
        raise ProviderError(
            f"ElevenLabs transcript unreadable: {err}", error_type="parse_error"
        ) from err


def _pvc(voice_id: str, sample_id: str) -> str:
    return f"/v1/voices/pvc/{quote_path_part(voice_id)}/samples/{quote_path_part(sample_id)}"


def _malformed(reason: str) -> ProviderError:
    return ProviderError(f"ElevenLabs: {reason}", retryable=True, error_type="malformed_body")


def _bad_signature(reason: str) -> ProviderError:
    return ProviderError(f"ElevenLabs webhook rejected: {reason}", error_type="bad_signature")
