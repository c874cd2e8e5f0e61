"""Emulated Phonexia Speech Platform 4 speaker diarization (vendor-apis.md section 3).

``POST /api/technology/speaker-diarization`` (multipart ``file`` + optional ``config`` JSON,
query ``channel_mode``/``channels``) answers 202 with ``X-Location``; the task goes
``pending → running → done`` per poll or per time, or ends ``rejected``/``failed`` with an
outcome fault. A ``done`` task holds one result channel per recording channel of
:attr:`~tests.emulator.datasets.Datasets.phonexia` (speaker ids are ints unique per channel,
in order of first appearance); ``channel_mode=mix`` gives one channel with every speaker.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from .base import BadRequest, Request, Response, VendorState, is_int
from .datasets import Recording
from .progress import Progress

PATH = "/api/technology/speaker-diarization"
STATES = ("pending", "running", "done")
ERRORS = {
    "rejected": {
        "type": "task.validation-error",
        "message": "Input validation failed.",
        "detail": [
            {
                "location": [0, "file"],
                "message": "Audio could not be decoded.",
                "type": "value_error",
                "context": {},
            }
        ],
    },
    "failed": {"type": "internal", "message": "Technology worker terminated unexpectedly."},
}


@dataclass(eq=False)
class Task:
    """A diarization task: ``progress``, the upload's ``filename``/``size``, ``config`` and
    query received, the ``correlation_id`` header and the result ``channels``."""

    task_id: str
    progress: Progress
    filename: str
    size: int
    config: dict
    query: dict[str, str]
    correlation_id: str | None
    channels: list[dict]
    message: str = ""

    def segments(self) -> list[tuple[int, int, float, float]]:
        """``(channel_number, speaker_id, start, end)`` of every result segment."""
        return [
            (c["channel_number"], s["speaker_id"], s["start_time"], s["end_time"])
            for c in self.channels
            for s in c["segments"]
        ]


class Phonexia(VendorState):
    """Phonexia state and settings. ``api_key``: when set, requests need
    ``Authorization: Bearer <api_key>`` (else 403). ``channels``: channel number → recording."""

    name = "phonexia"

    def __init__(self, emulator) -> None:
        super().__init__(emulator)
        self.api_key: str | None = None
        self.channels: dict[int, Recording] = emulator.datasets.phonexia
        self.tasks: dict[str, Task] = {}
        self.route("POST", PATH, self._start)
        self.route("GET", PATH + r"/(?P<task_id>[^/]+)", self._task)

    def error(self, status, message, *, retry_after=None, detail=None) -> Response:
        kind = {403: "request.forbidden", 404: "request.not-found", 429: "request.rate-limit"}
        error = {"type": kind.get(status, "request.validation-error"), "message": message}
        if status >= 500:
            error["type"] = "internal"
        if detail is not None:
            error["detail"] = detail
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        return Response(status, {"error": error}, headers)

    def _authorise(self, request: Request) -> None:
        if self.api_key is not None and request.header("Authorization") != f"Bearer {self.api_key}":
            raise BadRequest(403, "Forbidden.")

    def tick(self, now: float) -> None:
        for task in self.tasks.values():
            task.progress.tick(now)

    def _start(self, request: Request) -> Response:
        self._authorise(request)
        try:
            parts = request.form()
        except ValueError as err:
            raise BadRequest(400, f"Request body could not be parsed: {err}") from None
        upload = parts.get("file")
        if upload is None or not upload.content:
            raise BadRequest(422, "Request validation failed.", _detail(["body", "file"], "empty"))
        config = {}
        if "config" in parts:
            try:
                config = json.loads(parts["config"].text)
            except ValueError:
                config = None
            if not isinstance(config, dict):
                detail = _detail(["body", "config"], "config must be a JSON object")
                raise BadRequest(422, "Request validation failed.", detail)
        if "max_speakers" in config and "total_speakers" in config:
            detail = _detail(
                ["body", "config"], "max_speakers and total_speakers exclude each other"
            )
            raise BadRequest(422, "Request validation failed.", detail)
        for key in ("max_speakers", "total_speakers"):
            if key in config and not (is_int(config[key]) and config[key] >= 1):
                detail = _detail(["body", "config", key], "Input should be a positive integer")
                raise BadRequest(422, "Request validation failed.", detail)
        query = {k: v[0] for k, v in request.query.items()}
        mode = query.get("channel_mode", "split")
        if mode not in ("split", "mix"):
            detail = _detail(["query", "channel_mode"], "Input should be 'split' or 'mix'")
            raise BadRequest(422, "Request validation failed.", detail)
        task = Task(
            task_id=str(uuid.uuid4()),
            progress=Progress(STATES, self.advance),
            filename=upload.filename or "",
            size=len(upload.content),
            config=config,
            query=query,
            correlation_id=request.header("X-Correlation-Id"),
            channels=self._result(mode, query.get("channels")),
        )
        if request.outcome:
            task.progress.finish(request.outcome)
        task.progress.start(time.monotonic())
        self.tasks[task.task_id] = task
        location = f"/{self.name}{PATH}/{task.task_id}"
        return Response(
            202,
            {"task": {"task_id": task.task_id, "state": "pending"}},
            {"X-Location": location, "X-Request-Id": uuid.uuid4().hex},
        )

    def _result(self, mode: str, wanted: str | None) -> list[dict]:
        picked = sorted(self.channels)
        if wanted:
            picked = [c for c in picked if str(c) in wanted.split(",")]
        groups = [(c, [self.channels[c]]) for c in picked]
        if mode == "mix":
            groups = [(0, [self.channels[c] for c in picked])]
        channels = []
        for number, recordings in groups:
            ids: dict[tuple[int, str], int] = {}
            segments = []
            turns = sorted(
                ((i, t) for i, rec in enumerate(recordings) for t in rec.turns),
                key=lambda item: (item[1].start, item[1].end),
            )
            for source, turn in turns:
                speaker = ids.setdefault((source, turn.speaker), len(ids))
                segments.append(
                    {"speaker_id": speaker, "start_time": turn.start, "end_time": turn.end}
                )
            channels.append(
                {"channel_number": number, "speakers_count": len(ids), "segments": segments}
            )
        return channels

    def _task(self, request: Request, task_id: str) -> Response:
        self._authorise(request)
        task = self.tasks.get(task_id)
        if task is None:
            raise BadRequest(404, f"Task {task_id} not found.")
        state = task.progress.read()
        body: dict = {"task": {"task_id": task.task_id, "state": state}}
        if state == "done":
            body["result"] = {"channels": task.channels}
        elif state in ERRORS:
            body["error"] = ERRORS[state]
        return Response(200, body)


def _detail(location: list, message: str) -> list[dict]:
    """A Phonexia validation ``detail`` list with one item."""
    return [{"location": location, "message": message, "type": "value_error", "context": {}}]
