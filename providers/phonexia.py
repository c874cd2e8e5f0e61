"""Phonexia Speech Platform 4 speaker diarization over REST (vendor-apis.md section 3).

Diarization only: results become utterances without text. Speaker ids are unique only within a
channel, so a speaker is ``Speaker(label=str(speaker_id), channel=channel_number)``.
HTTP failures raise :class:`~providers.types.ProviderError` via
:class:`providers.http.VendorSession`: 429 (``retry-after``/``x-ratelimit-reset``), 507
(storage full) and 5xx are retryable; 400, 403, 404, 413 and 422 are terminal (a 404 on a known
task means resubmit, section 3.3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from providers.formats._common import SpeakerTable, by_start
from providers.http import VendorSession, dumps, error_detail, json, quote_path_part, vendor_session
from providers.jobs import DONE, FAILED, PROCESSING, REJECTED, SUBMITTED, JobStatus
from providers.types import ParseError, ProviderError, Transcript, Utterance

DIARIZATION_PATH = "/api/technology/speaker-diarization"
#: Phonexia task ``state`` -> our job state (section 3.2). Unknown values count as processing.
TASK_STATES = {
    "pending": SUBMITTED,
    "running": PROCESSING,
    "done": DONE,
    "rejected": REJECTED,
    "failed": FAILED,
}
CHANNEL_MODES = ("split", "mix")
#: Upload timeout: (connect, read) seconds.
UPLOAD_TIMEOUT = (5, 120)


@dataclass(frozen=True)
class PhonexiaTask:
    """One poll of a diarization task (``GET …/speaker-diarization/{task_id}``).

    ``state``: raw vendor state (``pending``, ``running``, ``done``, ``rejected``, ``failed``).
    ``transcript``: set when ``done``. ``error_type``/``error_message``: the ``error`` object
    when ``rejected`` (bad input, do not resubmit) or ``failed`` (system side, may succeed
    later); the message includes ``error.detail`` items as ``"0.file: reason"``.
    """

    state: str
    transcript: Transcript | None = None
    error_type: str | None = None
    error_message: str | None = None
    task_id: str | None = None

    @property
    def job_status(self) -> JobStatus:
        """The task as a :class:`~providers.jobs.JobStatus` (``TASK_STATES``)."""
        state = TASK_STATES.get(self.state, PROCESSING)
        error = None
        if state in (FAILED, REJECTED):
            error = self.error_message or f"Phonexia task {self.state}"
            if self.error_type:
                error = f"{self.error_type}: {error}"
        return JobStatus(state=state, vendor_state=self.state, error=error)


class PhonexiaClient:
    """Client for one Phonexia Speech Platform 4 server at ``base_url`` (``https://host:port``).

    ``api_key``, when given, is sent as ``Authorization: Bearer <key>`` (the auth scheme is
    unconfirmed, section 3) and redacted from messages.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        session: VendorSession | requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = vendor_session("Phonexia", session)
        self.http.add_secret(api_key)
        self._auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**(kwargs.pop("headers", None) or {}), **self._auth}
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    def start_diarization(
        self,
        data: bytes,
        filename: str,
        *,
        max_speakers: int | None = None,
        total_speakers: int | None = None,
        channel_mode: str = "split",
        channels: list[int] | None = None,
        range_from: float | None = None,
        range_to: float | None = None,
        correlation_id: str | None = None,
    ) -> str:
        """``POST /api/technology/speaker-diarization``: upload media and start a task.

        Multipart ``file`` plus a ``config`` JSON part holding ``max_speakers`` (upper bound)
        or ``total_speakers`` (exact count). Query: ``channel_mode`` (``split``/``mix``),
        ``channels`` (0-based), ``range_from``/``range_to`` (seconds). ``correlation_id`` (our
        sync-job UUID) goes in ``X-Correlation-Id``. Returns the task id from the
        ``X-Location`` header, else from the body (``task.task_id`` or ``task_id``); persist
        it at once. Raises ValueError for both speaker keys or bad values, ProviderError for
        HTTP errors or a 202 without a task id (``malformed_body``).
        """
        if max_speakers is not None and total_speakers is not None:
            raise ValueError("max_speakers and total_speakers are mutually exclusive")
        config = {}
        for key, value in (("max_speakers", max_speakers), ("total_speakers", total_speakers)):
            if value is not None:
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(f"{key} must be a positive integer, got {value!r}")
                config[key] = value
        if channel_mode not in CHANNEL_MODES:
            raise ValueError(f"channel_mode must be one of {CHANNEL_MODES}, got {channel_mode!r}")
        params: dict[str, str] = {"channel_mode": channel_mode}
        if channels:
            params["channels"] = ",".join(str(int(c)) for c in channels)
        for key, value in (("range_from", range_from), ("range_to", range_to)):
            if value is not None:
                params[key] = f"{float(value):g}"
        parts: list[tuple[str, tuple]] = [("file", (filename, data))]
        if config:
            parts.append(("config", (None, dumps(config))))
        headers = {"X-Correlation-Id": correlation_id} if correlation_id else {}
        response = self._request(
            "POST",
            DIARIZATION_PATH,
            params=params,
            files=parts,
            headers=headers,
            timeout=UPLOAD_TIMEOUT,
        )
        location = response.headers.get("X-Location")
        if location:
            task_id = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
            if task_id:
                return task_id
        body = json(response) if response.content else {}
        task = body.get("task") if isinstance(body.get("task"), Mapping) else body
        task_id = task.get("task_id")
        if not task_id:
            raise ProviderError(
                "Phonexia accepted the upload but sent no X-Location or task_id",
                retryable=True,
                error_type="malformed_body",
                status=response.status_code,
            )
        return str(task_id)

    def task(self, task_id: str) -> PhonexiaTask:
        """``GET /api/technology/speaker-diarization/{task_id}`` as a :class:`PhonexiaTask`;
        a ``done`` result is parsed by :func:`result_to_transcript`. Raises ProviderError
        (404 = unknown task: resubmit; ``parse_error`` for an unreadable result)."""
        path = f"{DIARIZATION_PATH}/{quote_path_part(task_id)}"
        body = json(self._request("GET", path))
        task = body.get("task")
        state = task.get("state") if isinstance(task, Mapping) else None
        if not isinstance(state, str):
            raise ProviderError(
                f"Phonexia task {task_id}: reply has no task.state",
                retryable=True,
                error_type="malformed_body",
                status=200,
            )
        transcript = error_type = error_message = None
        if state == "done":
            try:
                transcript = result_to_transcript(body)
            except ParseError as err:
                raise ProviderError(
                    f"Phonexia task {task_id}: unreadable result: {err}", error_type="parse_error"
                ) from err
        error = body.get("error")
        if isinstance(error, Mapping):
            error_type = error.get("type") if isinstance(error.get("type"), str) else None
            error_message = error_detail(
                {"error": {"message": error.get("message"), "detail": error.get("detail")}}
            )
        return PhonexiaTask(state, transcript, error_type, error_message, task_id=str(task_id))


def result_to_transcript(body: Mapping[str, Any]) -> Transcript:
    """Turn a diarization result into a Transcript (``source="phonexia"``).

    ``body`` is the task reply (``{"task", "result": {"channels": [...]}}``) or the ``result``
    object alone. Each channel's segments ``{speaker_id, start_time, end_time}`` (seconds)
    become text-less utterances on ``channel_number``; speakers are
    ``Speaker(label=str(speaker_id), channel=channel_number)`` in order of first appearance.
    Empty ``segments`` are fine. Raises :class:`~providers.types.ParseError` with a JSON path
    for a missing ``channels`` array, bad ids, non-numeric/negative times or end < start.
    """
    if not isinstance(body, Mapping):
        raise ParseError("expected a JSON object")
    result = body.get("result", body) if "channels" not in body else body
    if not isinstance(result, Mapping) or not isinstance(result.get("channels"), list):
        raise ParseError('expected a "channels" array', location="result.channels")
    table, utterances = SpeakerTable(), []
    for c, channel in enumerate(result["channels"]):
        path = f"result.channels[{c}]"
        if not isinstance(channel, Mapping):
            raise ParseError("expected an object", location=path)
        number = channel.get("channel_number", c)
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ParseError("expected an integer >= 0", location=f"{path}.channel_number")
        segments = channel.get("segments")
        segments = [] if segments is None else segments
        if not isinstance(segments, list):
            raise ParseError("expected an array", location=f"{path}.segments")
        for s, item in enumerate(segments):
            where = f"{path}.segments[{s}]"
            if not isinstance(item, Mapping):
                raise ParseError("expected an object", location=where)
            speaker = item.get("speaker_id")
            if isinstance(speaker, bool) or not isinstance(speaker, int | str) or speaker == "":
                raise ParseError("expected an integer id", location=f"{where}.speaker_id")
            start = _seconds(item, "start_time", where)
            end = _seconds(item, "end_time", where)
            if end < start:
                raise ParseError(
                    f"end before start ({end:g} s < {start:g} s)", location=f"{where}.end_time"
                )
            label = str(speaker)
            table.add(label, channel=number)
            utterances.append(Utterance(label, start, end, channel=number))
    return Transcript(source="phonexia", speakers=table.as_list(), utterances=by_start(utterances))


def _seconds(item: Mapping[str, Any], key: str, where: str) -> float:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParseError(f"expected seconds, got {value!r}", location=f"{where}.{key}")
    if value < 0:
        raise ParseError(f"negative time {value!r}", location=f"{where}.{key}")
    return float(value)
