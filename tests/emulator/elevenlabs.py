"""Emulated ElevenLabs (vendor-apis.md section 2): Speech-to-Text with diarization (sync, or
async with a signed webhook), stored transcripts, PVC speaker separation, speaker audio, the
selected speakers of a sample, and Speech Engine reads.

An async transcription is ``processing`` until ready (``GET …/transcripts/{id}`` answers 404
meanwhile), then ``completed``; a PVC sample is ``not_started`` until ``separate-speakers``,
then ``pending → completed`` (or ``failed`` with an outcome fault). Both move per poll or per
time (``advance``). Results come from :class:`~tests.emulator.datasets.Datasets`:
``stt_words`` for transcripts (labels ``speaker_<n>``), ``pvc`` for separated speakers.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import struct
import time
import uuid
from dataclasses import dataclass, field

from .base import BadRequest, Request, Response, VendorState, is_int
from .datasets import Recording, Word
from .progress import Progress

MODELS = ("scribe_v1", "scribe_v2")
SPEECH_ENGINE = {
    "speech_engine_id": "se_123",
    "name": "Support line",
    "language": "en",
    "tags": ["prod"],
    "speech_engine": {"ws_url": "wss://example.org/upstream", "request_headers": {}},
    "asr": {
        "quality": "high",
        "provider": "scribe_realtime",
        "user_input_audio_format": "pcm_16000",
        "keywords": ["refund", "invoice"],
    },
    "tts": {},
    "turn": {},
    "conversation": {},
    "privacy": {
        "record_voice": True,
        "retention_days": -1,
        "delete_transcript_and_pii": False,
        "delete_audio": False,
        "apply_to_existing_conversations": False,
        "zero_retention_mode": False,
        "conversation_history_redaction": [],
    },
    "overrides": {},
    "call_limits": {"agent_concurrency_limit": 5, "daily_limit": 1000, "bursting_enabled": False},
    "metadata": {"created_at_unix_secs": 1709550000, "updated_at_unix_secs": 1709553600},
    "access_info": {"role": "admin"},
}


def stt_body(words: tuple[Word, ...], transcription_id: str) -> dict:
    """A single-channel Scribe result: one ``word`` token per word and a ``spacing`` token
    between words (both with the word's speaker as ``speaker_<n>``), seconds."""
    tokens = []
    for i, word in enumerate(words):
        speaker = f"speaker_{word.speaker}"
        if i:
            gap_start = words[i - 1].end
            tokens.append(
                {
                    "text": " ",
                    "start": gap_start,
                    "end": max(gap_start, word.start),
                    "type": "spacing",
                    "speaker_id": speaker,
                    "logprob": 0.0,
                }
            )
        tokens.append(
            {
                "text": word.text,
                "start": word.start,
                "end": word.end,
                "type": "word",
                "speaker_id": speaker,
                "logprob": -0.05,
            }
        )
    return {
        "language_code": "eng",
        "language_probability": 0.98,
        "text": " ".join(w.text for w in words),
        "words": tokens,
        "transcription_id": transcription_id,
        "audio_duration_secs": max((w.end for w in words), default=0.0),
    }


def turns_of_words(words: tuple[Word, ...]) -> list[tuple[str, float, float]]:
    """``(speaker label, start, end)`` of each run of consecutive words of one speaker: the
    speaker turns a transcript of ``words`` holds."""
    turns: list[list] = []
    for word in words:
        label = f"speaker_{word.speaker}"
        if turns and turns[-1][0] == label:
            turns[-1][2] = max(turns[-1][2], word.end)
        else:
            turns.append([label, word.start, word.end])
    return [tuple(t) for t in turns]


@dataclass(eq=False)
class Transcription:
    """An async transcription: ids, ``progress`` (processing → completed), the form fields
    received and the result body."""

    request_id: str
    transcription_id: str
    progress: Progress
    fields: dict[str, str]
    result: dict


@dataclass(eq=False)
class Sample:
    """A PVC voice sample: separation ``progress`` (``None`` until started), the separated
    ``recording``, the current selection and every full list of selected ids received."""

    voice_id: str
    sample_id: str
    recording: Recording
    progress: Progress | None = None
    starts: int = 0
    selected: list[str] | None = None
    selections: list[list[str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "not_started" if self.progress is None else self.progress.state


class ElevenLabs(VendorState):
    """ElevenLabs state and settings.

    ``api_key``: the ``xi-api-key`` accepted (``None``: any non-empty key). ``webhook``:
    ``(url, secret)`` to POST signed ``speech_to_text_transcription`` events to when an
    async transcription completes (``None``: no webhook). ``words``: the recognised words.
    :meth:`add_sample` registers PVC samples; ``VxQ1abc``/``smp_77`` exists from the start.
    """

    name = "elevenlabs"

    def __init__(self, emulator) -> None:
        super().__init__(emulator)
        self.api_key: str | None = None
        self.webhook: tuple[str, str] | None = None
        self.words = emulator.datasets.stt_words
        self.transcriptions: dict[str, Transcription] = {}
        self.samples: dict[tuple[str, str], Sample] = {}
        self.speech_engines = {SPEECH_ENGINE["speech_engine_id"]: copy.deepcopy(SPEECH_ENGINE)}
        self._ids = itertools.count(1)
        self.add_sample("VxQ1abc", "smp_77", emulator.datasets.pvc)
        pvc = r"/v1/voices/pvc/(?P<voice_id>[^/]+)/samples/(?P<sample_id>[^/]+)"
        self.route("POST", r"/v1/speech-to-text", self._transcribe)
        self.route("GET", r"/v1/speech-to-text/transcripts/(?P<tid>[^/]+)", self._transcript)
        self.route("DELETE", r"/v1/speech-to-text/transcripts/(?P<tid>[^/]+)", self._forget)
        self.route("POST", pvc + r"/separate-speakers", self._separate)
        self.route("GET", pvc + r"/speakers", self._speakers)
        self.route("GET", pvc + r"/speakers/(?P<speaker_id>[^/]+)/audio", self._audio)
        self.route("POST", pvc, self._select)
        self.route("GET", r"/v1/speech-engine/(?P<engine_id>[^/]+)", self._engine)

    def add_sample(self, voice_id: str, sample_id: str, recording: Recording) -> Sample:
        """Register a PVC sample whose separation finds the speakers of ``recording``."""
        with self.lock:
            sample = Sample(voice_id, sample_id, recording)
            self.samples[(voice_id, sample_id)] = sample
            return sample

    def add_speech_engine(self, engine_id: str, **blocks) -> dict:
        """Register (or replace) Speech Engine ``engine_id``: :data:`SPEECH_ENGINE` with its
        id, and each keyword replacing a top-level key, the ``asr``, ``privacy`` and
        ``call_limits`` blocks merged key by key (``privacy={"record_voice": False}``).
        Returns the body ``GET /v1/speech-engine/{id}`` answers from now on."""
        engine = copy.deepcopy(SPEECH_ENGINE)
        engine["speech_engine_id"] = engine_id
        for key, value in blocks.items():
            if key in ("asr", "privacy", "call_limits") and isinstance(value, dict):
                engine[key].update(value)
            else:
                engine[key] = value
        with self.lock:
            self.speech_engines[engine_id] = engine
        return engine

    def sample(self, voice_id: str, sample_id: str) -> Sample:
        """The registered sample (KeyError when unknown)."""
        return self.samples[(voice_id, sample_id)]

    def error(self, status, message, *, retry_after=None, detail=None) -> Response:
        if status == 422 and detail is not None:
            body = {"detail": detail}
        else:
            code = {401: "invalid_api_key", 404: "not_found", 429: "rate_limit_exceeded"}.get(
                status, "invalid_parameters" if status < 500 else "internal_error"
            )
            body = {"detail": {"type": "error", "code": code, "message": message, "status": code}}
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        return Response(status, body, headers)

    def _authorise(self, request: Request) -> None:
        key = request.header("xi-api-key")
        if not key or (self.api_key is not None and key != self.api_key):
            raise BadRequest(401, "Invalid API key")

    def tick(self, now: float) -> None:
        for item in [*self.transcriptions.values(), *self.samples.values()]:
            if item.progress is not None:
                item.progress.tick(now)

    # -- Speech-to-Text (2.2) ---------------------------------------------------------------

    def _transcribe(self, request: Request) -> Response:
        self._authorise(request)
        try:
            parts = request.form()
        except ValueError as err:
            raise BadRequest(422, str(err), detail=_invalid(["body"], str(err))) from None
        fields = {k: p.text for k, p in parts.items() if p.filename is None}
        if fields.get("model_id") not in MODELS:
            raise BadRequest(
                422, "model_id", detail=_invalid(["body", "model_id"], "unknown model")
            )
        sources = [k for k in ("file", "source_url", "cloud_storage_url") if k in parts]
        if len(sources) != 1:
            message = "give exactly one of file, source_url or cloud_storage_url"
            raise BadRequest(422, message, detail=_invalid(["body", "file"], message))
        count = fields.get("num_speakers")
        if count is not None and not (count.isdigit() and 1 <= int(count) <= 32):
            message = "num_speakers must be 1-32"
            raise BadRequest(422, message, detail=_invalid(["body", "num_speakers"], message))
        metadata = fields.get("webhook_metadata")
        if metadata is not None:
            try:
                if not isinstance(json.loads(metadata), dict) or len(metadata) > 16384:
                    raise ValueError
            except ValueError:
                message = "webhook_metadata must be a JSON object of at most 16 KB"
                raise BadRequest(
                    422, message, detail=_invalid(["body", "webhook_metadata"], message)
                ) from None
        transcription_id = f"tr_{next(self._ids):04d}"
        result = stt_body(self.words, transcription_id)
        if fields.get("webhook") != "true":
            return Response(200, result)
        item = Transcription(
            request_id=f"req_{uuid.uuid4().hex[:12]}",
            transcription_id=transcription_id,
            progress=Progress(("processing", "completed"), self.advance),
            fields=fields,
            result=result,
        )
        item.progress.on_enter = lambda state, item=item: self._completed(item)
        item.progress.start(time.monotonic())
        self.transcriptions[transcription_id] = item
        return Response(
            200,
            {
                "message": "Request accepted. The transcription will be sent to the webhook.",
                "request_id": item.request_id,
                "transcription_id": transcription_id,
            },
        )

    def _completed(self, item: Transcription) -> None:
        if self.webhook is None:
            return
        url, secret = self.webhook
        metadata = json.loads(item.fields.get("webhook_metadata") or "{}")
        event = {
            "type": "speech_to_text_transcription",
            "event_timestamp": int(time.time()),
            "data": {
                "request_id": item.request_id,
                "transcription": item.result,
                "webhook_metadata": metadata,
            },
        }
        raw = json.dumps(event).encode()
        stamp = str(int(time.time()))
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256)
        signature = f"t={stamp},v0={digest.hexdigest()}"
        self.emulator.deliver(self.name, url, raw, {"ElevenLabs-Signature": signature})

    def _transcript(self, request: Request, tid: str) -> Response:
        self._authorise(request)
        item = self.transcriptions.get(tid)
        if item is None or item.progress.read() != "completed":
            raise BadRequest(404, f"Transcript {tid} was not found")
        return Response(200, item.result)

    def _forget(self, request: Request, tid: str) -> Response:
        self._authorise(request)
        if self.transcriptions.pop(tid, None) is None:
            raise BadRequest(404, f"Transcript {tid} was not found")
        return Response(200, {"message": "deleted"})

    # -- PVC speaker separation (2.1) -------------------------------------------------------

    def _sample(self, request: Request, voice_id: str, sample_id: str) -> Sample:
        self._authorise(request)
        sample = self.samples.get((voice_id, sample_id))
        if sample is None:
            raise BadRequest(404, f"A voice with the voice_id {voice_id} was not found.")
        return sample

    def _separate(self, request: Request, voice_id: str, sample_id: str) -> Response:
        sample = self._sample(request, voice_id, sample_id)
        sample.starts += 1
        if sample.status in ("not_started", "failed"):
            sample.progress = Progress(("pending", "completed"), self.advance)
            if request.outcome:
                sample.progress.finish(request.outcome)
            sample.progress.start(time.monotonic())
        return Response(200, {"status": "ok"})

    def _speakers(self, request: Request, voice_id: str, sample_id: str) -> Response:
        sample = self._sample(request, voice_id, sample_id)
        status = sample.progress.read() if sample.progress is not None else "not_started"
        speakers = None
        if status == "completed":
            speakers = {}
            for label in sample.recording.speakers:
                turns = [t for t in sample.recording.turns if t.speaker == label]
                speakers[label] = {
                    "speaker_id": label,
                    "duration_secs": round(sum(t.end - t.start for t in turns), 3),
                    "utterances": [{"start": t.start, "end": t.end} for t in turns],
                }
        return Response(
            200,
            {
                "voice_id": voice_id,
                "sample_id": sample_id,
                "status": status,
                "speakers": speakers,
                "selected_speaker_ids": sample.selected,
            },
        )

    def _audio(self, request: Request, voice_id: str, sample_id: str, speaker_id: str) -> Response:
        sample = self._sample(request, voice_id, sample_id)
        if sample.status != "completed" or speaker_id not in sample.recording.speakers:
            raise BadRequest(404, f"speaker {speaker_id} was not found")
        seconds = sum(t.end - t.start for t in sample.recording.turns if t.speaker == speaker_id)
        return Response(
            200,
            {
                "audio_base_64": base64.b64encode(_silent_wav(0.25)).decode(),
                "media_type": "audio/wav",
                "duration_secs": round(seconds, 3),
            },
        )

    def _select(self, request: Request, voice_id: str, sample_id: str) -> Response:
        sample = self._sample(request, voice_id, sample_id)
        body = self.json_body(request)
        ids = body.get("selected_speaker_ids")
        if "selected_speaker_ids" in body:
            if not isinstance(ids, list):
                message = "selected_speaker_ids must be a list"
                raise BadRequest(
                    422, message, detail=_invalid(["body", "selected_speaker_ids"], message)
                )
            for i, speaker in enumerate(ids):
                if not isinstance(speaker, str) or speaker not in sample.recording.speakers:
                    message = f"unknown speaker id {speaker!r}"
                    raise BadRequest(
                        422, message, detail=_invalid(["body", "selected_speaker_ids", i], message)
                    )
            sample.selections.append(list(ids))
            sample.selected = list(ids)  # replaces the previous selection
        for key in ("trim_start_time", "trim_end_time"):
            if key in body and not is_int(body[key]):
                message = f"{key} must be an integer (ms)"
                raise BadRequest(422, message, detail=_invalid(["body", key], message))
        return Response(200, {"voice_id": voice_id})

    # -- Speech Engine (2.3) ----------------------------------------------------------------

    def _engine(self, request: Request, engine_id: str) -> Response:
        self._authorise(request)
        with self.lock:
            engine = copy.deepcopy(self.speech_engines.get(engine_id))
        if engine is None:
            raise BadRequest(404, f"speech engine {engine_id} was not found")
        return Response(200, engine)


def _invalid(loc: list, message: str) -> list[dict]:
    """A 422 ``HTTPValidationError`` detail list: one item at ``loc`` (strings and list
    indices) with ``message``."""
    return [{"loc": loc, "msg": message, "type": "value_error"}]


def _silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV of ``seconds`` of silence."""
    frames = b"\x00\x00" * int(rate * seconds)
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(frames),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        rate,
        rate * 2,
        2,
        16,
        b"data",
        len(frames),
    )
    return header + frames
