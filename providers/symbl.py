"""Symbl.ai client: Async API submit/append, Job API polling and Conversation API reads and
member updates (vendor-apis.md section 1).

Every call goes through :class:`providers.http.VendorSession` and raises
:class:`~providers.types.ProviderError` (retryable for 408/429/5xx, timeouts and connection
errors; terminal for other 4xx, ``error_type="http_<status>"``). A 401 on a data call refreshes
the access token and replays the call once (section 1.7).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from providers.formats.symbl import parse_data
from providers.http import VendorSession, json, quote_path_part, vendor_session
from providers.jobs import DONE, FAILED, PROCESSING, SUBMITTED, JobStatus
from providers.types import ParseError, ProviderError, Transcript

BASE_URL = "https://api.symbl.ai"
#: Refresh the access token this many seconds before it expires (capped at half its lifetime).
REFRESH_MARGIN = 300.0
#: Symbl job ``status`` -> our job state (section 1.3). Unknown values count as processing.
JOB_STATES = {
    "scheduled": SUBMITTED,
    "in_progress": PROCESSING,
    "completed": DONE,
    "failed": FAILED,
}
#: ``Content-Type`` values Symbl accepts for raw audio; others are sent without one (1.2).
AUDIO_CONTENT_TYPES = frozenset({"audio/wav", "audio/mpeg", "audio/mp3", "audio/wave"})
#: Conversation API arrays fetched by :meth:`SymblClient.fetch_transcript` (path, bundle key).
INSIGHT_ENDPOINTS = (
    ("insights", "insights"),
    ("action-items", "actionItems"),
    ("questions", "questions"),
    ("follow-ups", "followUps"),
)


@dataclass(frozen=True)
class SubmitResult:
    """Ids returned by a Symbl submit or append (201, section 1.2). Persist both at once."""

    conversation_id: str
    job_id: str


class SymblClient:
    """Client for one Symbl app (``app_id``/``app_secret``), vendor-apis.md section 1.

    ``session`` is a :class:`~providers.http.VendorSession` or a :class:`requests.Session`
    to wrap (tests, connection pooling). ``clock`` (monotonic seconds) times the token cache:
    a token is reused until ``REFRESH_MARGIN`` seconds (at most half its lifetime) before
    ``expiresIn`` runs out. The client is thread-safe.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = BASE_URL,
        session: VendorSession | requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self.base_url = base_url.rstrip("/")
        self.http = vendor_session("Symbl", session)
        self.http.add_secret(app_secret)
        self._app_secret = app_secret
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    # -- auth (1.1) -------------------------------------------------------------------------

    def access_token(self, *, stale: str | None = None) -> str:
        """Return a valid access token, fetching one from ``POST /oauth2/token:generate``
        when none is cached, it is about to expire, or it equals ``stale`` (a token the
        server just refused). Raises ProviderError (``http_401`` for bad credentials,
        ``malformed_body`` when the reply lacks ``accessToken``/``expiresIn``)."""
        with self._lock:
            cached = self._token is not None and self._clock() < self._expires_at
            if cached and self._token != stale:
                return self._token
            response = self.http.request(
                "POST",
                f"{self.base_url}/oauth2/token:generate",
                json={"type": "application", "appId": self.app_id, "appSecret": self._app_secret},
            )
            body = json(response)
            token, expires_in = body.get("accessToken"), body.get("expiresIn")
            valid_expiry = isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            if not isinstance(token, str) or not token or not valid_expiry or expires_in <= 0:
                raise ProviderError(
                    "Symbl token reply lacks accessToken or a positive expiresIn",
                    retryable=True,
                    error_type="malformed_body",
                    status=response.status_code,
                )
            self.http.add_secret(token)
            self._token = token
            self._expires_at = self._clock() + expires_in - min(REFRESH_MARGIN, expires_in / 2)
            return token

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Authorised call; on 401 refresh the token and replay exactly once."""
        url = f"{self.base_url}{path}"
        headers = kwargs.pop("headers", None) or {}
        token = self.access_token()
        try:
            return self.http.request(method, url, headers=_bearer(token, headers), **kwargs)
        except ProviderError as err:
            if err.status != 401:
                raise
        token = self.access_token(stale=token)
        return self.http.request(method, url, headers=_bearer(token, headers), **kwargs)

    # -- Async API (1.2) --------------------------------------------------------------------

    def submit_url(
        self,
        url: str,
        *,
        name: str,
        speaker_count: int | None = None,
        language: str | None = None,
        webhook_url: str | None = None,
        diarize: bool = True,
    ) -> SubmitResult:
        """``POST /v1/process/audio/url``: process the public, direct media ``url``.

        ``name`` should be our conversation UUID (duplicate detection, section 1.7).
        ``diarize`` sends ``enableSpeakerDiarization=true`` and ``speaker_count`` the exact
        ``diarizationSpeakerCount``, both as query parameters; ``language`` is
        ``languageCode``. Raises ValueError for a bad ``speaker_count``, ProviderError
        otherwise (429 = plan concurrency limit, retryable).
        """
        body = {"url": url, **_options(name, language, webhook_url)}
        response = self._request(
            "POST",
            "/v1/process/audio/url",
            params=_diarization(diarize, speaker_count),
            json=body,
        )
        return _submit_result(response)

    def submit_file(
        self,
        data: bytes,
        content_type: str | None,
        *,
        name: str,
        speaker_count: int | None = None,
        language: str | None = None,
        webhook_url: str | None = None,
        diarize: bool = True,
    ) -> SubmitResult:
        """``POST /v1/process/audio`` (or ``/video`` for ``video/*``) with raw bytes.

        Options go in the query string; ``Content-Length`` is always sent and
        ``Content-Type`` only for the audio types Symbl lists (``AUDIO_CONTENT_TYPES``) or
        ``video/mp4``. Same options and errors as :meth:`submit_url`.
        """
        path, headers = _file_target(data, content_type)
        response = self._request(
            "POST",
            path,
            params={
                **_options(name, language, webhook_url),
                **_diarization(diarize, speaker_count),
            },
            data=data,
            headers=headers,
        )
        return _submit_result(response)

    def append_url(
        self,
        conversation_id: str,
        url: str,
        *,
        name: str | None = None,
        speaker_count: int | None = None,
        language: str | None = None,
        webhook_url: str | None = None,
        diarize: bool = True,
    ) -> SubmitResult:
        """``PUT /v1/process/audio/url/{conversationId}``: append media to a conversation.

        Jobs of one conversation run in order. New diarized speakers may duplicate existing
        members; merge them with :meth:`update_member` (section 1.5). Same errors as
        :meth:`submit_url`.
        """
        body = {"url": url, **_options(name, language, webhook_url)}
        response = self._request(
            "PUT",
            f"/v1/process/audio/url/{quote_path_part(conversation_id)}",
            params=_diarization(diarize, speaker_count),
            json=body,
        )
        return _submit_result(response)

    def append_file(
        self,
        conversation_id: str,
        data: bytes,
        content_type: str | None,
        *,
        name: str | None = None,
        speaker_count: int | None = None,
        language: str | None = None,
        webhook_url: str | None = None,
        diarize: bool = True,
    ) -> SubmitResult:
        """``PUT /v1/process/audio/{conversationId}`` (``/video/...`` for ``video/*``) with raw
        bytes; see :meth:`submit_file` and :meth:`append_url`."""
        path, headers = _file_target(data, content_type)
        response = self._request(
            "PUT",
            f"{path}/{quote_path_part(conversation_id)}",
            params={
                **_options(name, language, webhook_url),
                **_diarization(diarize, speaker_count),
            },
            data=data,
            headers=headers,
        )
        return _submit_result(response)

    # -- Job API (1.3) ----------------------------------------------------------------------

    def job_status(self, job_id: str) -> JobStatus:
        """``GET /v1/job/{jobId}`` as a :class:`~providers.jobs.JobStatus`.

        ``scheduled`` -> submitted, ``in_progress`` -> processing, ``completed`` -> done,
        ``failed`` -> failed (terminal). An unknown status counts as processing (keep
        polling; the poller's attempt limit ends it). Raises ProviderError (404 = unknown job).
        """
        body = json(self._request("GET", f"/v1/job/{quote_path_part(job_id)}"))
        vendor_state = body.get("status")
        if not isinstance(vendor_state, str):
            raise ProviderError(
                f"Symbl job {job_id}: reply has no status",
                retryable=True,
                error_type="malformed_body",
                status=200,
            )
        state = JOB_STATES.get(vendor_state, PROCESSING)
        error = None
        if state == FAILED:
            error = body.get("message") if isinstance(body.get("message"), str) else None
            error = error or "Symbl reported the job as failed"
        return JobStatus(state=state, vendor_state=vendor_state, error=error)

    # -- Conversation API (1.5) -------------------------------------------------------------

    def fetch_transcript(self, conversation_id: str) -> Transcript:
        """Read a completed conversation into a :class:`~providers.types.Transcript`.

        GETs ``/v1/conversations/{id}``, ``/members``, ``/messages``, ``/insights``,
        ``/action-items``, ``/questions`` and ``/follow-ups``, builds the bundle dict
        described in :mod:`providers.formats.symbl` and parses it (labels = member ids,
        times in seconds from ``timeOffset``). An insight endpoint answering 404 counts as
        empty (the conversation itself was found). Raises ProviderError: HTTP errors as
        usual, ``malformed_body`` when an array is missing, ``parse_error`` (terminal) when
        the data cannot be parsed.
        """
        base = f"/v1/conversations/{quote_path_part(conversation_id)}"
        bundle: dict[str, Any] = {
            "conversation": json(self._request("GET", base)),
            "members": self._array(f"{base}/members", "members", required=False),
            "messages": self._array(f"{base}/messages", "messages", required=True),
        }
        for path, key in INSIGHT_ENDPOINTS:
            try:
                bundle[key] = self._array(f"{base}/{path}", key, required=False)
            except ProviderError as err:
                if err.status != 404:
                    raise
                bundle[key] = []
        try:
            return parse_data(bundle)
        except ParseError as err:
            raise ProviderError(
                f"Symbl conversation {conversation_id}: unreadable result: {err}",
                error_type="parse_error",
            ) from err

    def update_member(
        self, conversation_id: str, member_id: str, *, name: str, email: str | None = None
    ) -> str:
        """``PUT /v1/conversations/{id}/members/{memberId}`` with ``{id, name, email?}``.

        Renames the member everywhere in the conversation. When ``email`` matches another
        member, Symbl merges this member into that one, which keeps its own id (section 1.5).
        Returns Symbl's confirmation message. Raises ProviderError (404 = unknown
        conversation or member).
        """
        body = {"id": member_id, "name": name}
        if email:
            body["email"] = email
        conversation, member = quote_path_part(conversation_id), quote_path_part(member_id)
        path = f"/v1/conversations/{conversation}/members/{member}"
        return _message(self._request("PUT", path, json=body))

    def delete_conversation(self, conversation_id: str) -> str:
        """``DELETE /v1/conversations/{id}``: permanent, cascades to messages and insights.
        Returns Symbl's message. Raises ProviderError."""
        path = f"/v1/conversations/{quote_path_part(conversation_id)}"
        return _message(self._request("DELETE", path))

    def _array(self, path: str, key: str, *, required: bool) -> list:
        body = json(self._request("GET", path))
        value = body.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise ProviderError(
                f"Symbl GET {path}: expected a {key!r} array",
                retryable=True,
                error_type="malformed_body",
                status=200,
            )
        return value


def _bearer(token: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Authorization": f"Bearer {token}"}


def _options(name: str | None, language: str | None, webhook_url: str | None) -> dict[str, str]:
    options = {"name": name, "languageCode": language, "webhookUrl": webhook_url}
    return {k: v for k, v in options.items() if v}


def _query(
    name: str | None,
    language: str | None,
    webhook_url: str | None,
    diarize: bool,
    speaker_count: int | None,
) -> dict[str, str]:
    return {**_options(name, language, webhook_url), **_diarization(diarize, speaker_count)}


def _diarization(diarize: bool, speaker_count: int | None) -> dict[str, str]:
    if speaker_count is not None and (
        not isinstance(speaker_count, int) or isinstance(speaker_count, bool) or speaker_count < 1
    ):
        raise ValueError(f"speaker_count must be a positive integer, got {speaker_count!r}")
    if not diarize:
        return {}
    params = {"enableSpeakerDiarization": "true"}
    if speaker_count is not None:
        params["diarizationSpeakerCount"] = str(speaker_count)
    return params


def _file_target(data: bytes, content_type: str | None) -> tuple[str, dict[str, str]]:
    if not isinstance(data, bytes | bytearray):
        raise TypeError("data must be bytes")
    kind = (content_type or "").split(";")[0].strip().lower()
    headers = {"Content-Length": str(len(data))}
    if kind.startswith("video/"):
        return "/v1/process/video", {**headers, "Content-Type": "video/mp4"}
    if kind in AUDIO_CONTENT_TYPES:
        headers["Content-Type"] = kind
    return "/v1/process/audio", headers


def _submit_result(response: requests.Response) -> SubmitResult:
    body = json(response)
    conversation_id, job_id = body.get("conversationId"), body.get("jobId")
    if conversation_id in (None, "") or job_id in (None, ""):
        raise ProviderError(
            "Symbl submit reply lacks conversationId or jobId",
            retryable=True,
            error_type="malformed_body",
            status=response.status_code,
        )
    return SubmitResult(conversation_id=str(conversation_id), job_id=str(job_id))


def _message(response: requests.Response) -> str:
    if not response.content:
        return ""
    body = json(response)
    message = body.get("message")
    return message if isinstance(message, str) else ""
