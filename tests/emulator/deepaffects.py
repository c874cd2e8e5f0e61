"""Emulated DeepAffects async diarization (vendor-apis.md section 4).

``POST /audio/generic/api/v2/async/diarize?apikey=&webhook=&request_id=`` with a JSON body
answers ``{"request_id", "api": "diarize"}`` at once; ``delay`` seconds later the emulator POSTs
``{"request_id", "response": {"num_speakers", "segments"}}`` to the webhook (``num_speakers``
only when ``speakers`` was -1). Segments are the turns of
:attr:`~tests.emulator.datasets.Datasets.deepaffects`, speakers named ``speaker1``,
``speaker2``… in order of first appearance. An outcome fault ``"silent"`` never calls back.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from dataclasses import dataclass

from .base import BadRequest, Request, Response, VendorState, is_int
from .datasets import Recording

PATH = "/audio/generic/api/v2/async/diarize"


@dataclass(eq=False)
class Diarization:
    """One accepted request: ids, webhook, body received, when the result is due, whether it
    was sent (``delivery``) and the ``payload`` sent."""

    request_id: str
    webhook: str
    body: dict
    due: float
    silent: bool = False
    payload: dict | None = None
    delivery: object = None


class DeepAffects(VendorState):
    """DeepAffects state and settings: ``api_key`` accepted (``None``: any non-empty key),
    ``delay`` seconds before the webhook, ``recording`` diarized."""

    name = "deepaffects"

    def __init__(self, emulator) -> None:
        super().__init__(emulator)
        self.api_key: str | None = None
        self.delay = 0.3
        self.recording: Recording = emulator.datasets.deepaffects
        self.requests: dict[str, Diarization] = {}
        self.route("POST", PATH, self._diarize)

    def segments(self) -> list[dict]:
        """The webhook's segments: ``{speaker_id, start, end}`` (seconds)."""
        names = {label: f"speaker{i + 1}" for i, label in enumerate(self.recording.speakers)}
        return [
            {"speaker_id": names[t.speaker], "start": t.start, "end": t.end}
            for t in self.recording.turns
        ]

    def _diarize(self, request: Request) -> Response:
        key = request.arg("apikey")
        if not key or (self.api_key is not None and key != self.api_key):
            raise BadRequest(401, "Invalid API key")
        webhook = request.arg("webhook")
        if not webhook:
            raise BadRequest(400, "webhook is required")
        body = self.json_body(request)
        if not body.get("encoding") or not (is_int(body.get("sampleRate")) and body["sampleRate"]):
            raise BadRequest(400, "encoding and sampleRate are required")
        if ("content" in body) == ("url" in body):
            raise BadRequest(400, "give the audio as content or url")
        if "content" in body:
            try:
                base64.b64decode(body["content"], validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise BadRequest(400, "content is not base64") from None
        request_id = request.arg("request_id") or str(uuid.uuid4())
        self.requests[request_id] = Diarization(
            request_id=request_id,
            webhook=webhook,
            body=body,
            due=time.monotonic() + self.delay,
            silent=request.outcome == "silent",
        )
        return Response(200, {"request_id": request_id, "api": "diarize"})

    def tick(self, now: float) -> None:
        for item in self.requests.values():
            if item.silent or item.payload is not None or now < item.due:
                continue
            segments = self.segments()
            response: dict = {"segments": segments}
            if item.body.get("speakers", -1) == -1:
                response = {"num_speakers": len(self.recording.speakers), **response}
            item.payload = {"request_id": item.request_id, "response": response}
            item.delivery = self.emulator.deliver(self.name, item.webhook, item.payload)
