"""Emulated Symbl.ai (vendor-apis.md section 1): token, Async API submit/append, Job API,
webhooks and the Conversation API with member updates (merge by email).

Jobs go ``scheduled → in_progress → completed`` (or ``failed`` with an outcome fault), per poll,
per time or by hand (``advance``, :meth:`Symbl.move_on`); jobs of one conversation run one after
the other. A job's messages, members and insights appear in the conversation when it completes:
a processed recording brings :attr:`~tests.emulator.datasets.Datasets.symbl_process`, an append
:attr:`~tests.emulator.datasets.Datasets.symbl_append` (set :attr:`Symbl.recordings` to change
them). Each recording's speakers become new members "Speaker N", as diarization does on append.
Questions are the turns ending in "?"; action items the turns where someone commits to do
something ("I'll", "we should"...), assigned to the speaker.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from .base import BadRequest, Request, Response, VendorState
from .progress import Progress
from .symbl_data import Conversation, Job, insight_json, materialise

STATES = ("scheduled", "in_progress", "completed")
NOT_FOUND = "The conversationId is either invalid or does not exist."
BAD_TOKEN = "Token validation failed for provided token."


class Symbl(VendorState):
    """Symbl state and settings.

    ``credentials``: ``{app_id: app_secret}`` accepted by the token endpoint (``None``: any
    non-empty pair). ``token_lifetime`` seconds. ``max_concurrent_jobs``: unfinished jobs
    allowed before a submit gets Symbl's concurrency 429 (``None``: no limit).
    ``recordings``: what a ``"process"`` and an ``"append"`` job bring.
    """

    name = "symbl"

    def __init__(self, emulator) -> None:
        super().__init__(emulator)
        self.credentials: dict[str, str] | None = None
        self.token_lifetime = 86400
        self.max_concurrent_jobs: int | None = None
        self.recordings = {
            "process": emulator.datasets.symbl_process,
            "append": emulator.datasets.symbl_append,
        }
        self.conversations: dict[str, Conversation] = {}
        self.jobs: dict[str, Job] = {}
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self._app_tokens: dict[str, str] = {}
        self._ids = itertools.count(6412283618000896)
        self._conversation_ids = itertools.count(5120334411530240)
        self.route("POST", r"/oauth2/token:generate", self._token)
        self.route("POST", r"/v1/process/(?P<media>audio|video)/url", self._submit)
        self.route("POST", r"/v1/process/(?P<media>audio|video)", self._submit)
        self.route("PUT", r"/v1/process/(?P<media>audio|video)/url/(?P<cid>[^/]+)", self._submit)
        self.route("PUT", r"/v1/process/(?P<media>audio|video)/(?P<cid>[^/]+)", self._submit)
        self.route("GET", r"/v1/job/(?P<job_id>[^/]+)", self._job)
        self.route("GET", r"/v1/conversations/(?P<cid>[^/]+)", self._conversation)
        self.route("DELETE", r"/v1/conversations/(?P<cid>[^/]+)", self._delete)
        self.route("GET", r"/v1/conversations/(?P<cid>[^/]+)/members", self._members)
        self.route(
            "PUT", r"/v1/conversations/(?P<cid>[^/]+)/members/(?P<member_id>[^/]+)", self._put
        )
        self.route("GET", r"/v1/conversations/(?P<cid>[^/]+)/messages", self._messages)
        self.route(
            "GET",
            r"/v1/conversations/(?P<cid>[^/]+)/(?P<kind>insights|action-items|questions|follow-ups)",
            self._insights,
        )

    # -- state for tests --------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> Conversation:
        """The conversation ``conversation_id`` (KeyError when unknown)."""
        return self.conversations[conversation_id]

    def move_on(self, job_id: str) -> str:
        """Move job ``job_id`` one state on, by hand (:meth:`Advance.by_hand
        <tests.emulator.progress.Advance.by_hand>`), as the clock would: entering
        ``completed`` materialises the recording, and a job with a webhook URL gets its
        webhook. Returns the new state; KeyError for an unknown job, RuntimeError for a job
        not started or already finished (:meth:`Progress.step
        <tests.emulator.progress.Progress.step>`)."""
        with self.lock:
            job = self.jobs[job_id]
            self._start_runnable(time.monotonic())
            return job.progress.step()

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now: the next call with one gets 401."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = time.monotonic() - 1

    # -- auth (1.1) -------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        body = self.json_body(request)
        app_id, secret = body.get("appId"), body.get("appSecret")
        if body.get("type") != "application" or not app_id or not secret:
            raise BadRequest(400, "type, appId and appSecret are required")
        if self.credentials is not None and self.credentials.get(app_id) != secret:
            raise BadRequest(401, "Invalid appId or appSecret")
        now = time.monotonic()
        token = self._app_tokens.get(app_id)
        if token is None or self.tokens.get(token, 0) <= now:  # the server caches tokens
            token = f"emu-{uuid.uuid4().hex}"
            self.tokens[token] = now + self.token_lifetime
            self._app_tokens[app_id] = token
        return Response(200, {"accessToken": token, "expiresIn": int(self.tokens[token] - now)})

    def _authorise(self, request: Request) -> None:
        auth = request.header("Authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else request.header("x-api-key")
        if not token or self.tokens.get(token, 0) <= time.monotonic():
            raise BadRequest(401, BAD_TOKEN)

    def error(self, status, message, *, retry_after=None, detail=None) -> Response:
        body = {"statusCode": status, "message": message} if status == 429 else {"message": message}
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return Response(status, body, headers)

    # -- Async API (1.2) and Job API (1.3) --------------------------------------------------

    def _submit(self, request: Request, media: str, cid: str | None = None) -> Response:
        self._authorise(request)
        by_url = request.path.rstrip("/").endswith("/url") or "/url/" in request.path
        options = {k: v[0] for k, v in request.query.items()}
        if by_url:
            body = self.json_body(request)
            url = body.get("url")
            if not isinstance(url, str) or not re.match(r"https?://", url):
                raise BadRequest(400, "url must be a public http(s) URL")
            options.update({k: v for k, v in body.items() if k != "url"}, url=url)
        elif not request.body:
            raise BadRequest(400, "the request has no media (Content-Length is required)")
        else:
            options["bytes"] = len(request.body)
        if options.get("enableSpeakerDiarization", "true") not in ("true", "false"):
            raise BadRequest(400, "enableSpeakerDiarization must be true or false")
        count = options.get("diarizationSpeakerCount")
        if count is not None and not (str(count).isdigit() and int(count) >= 1):
            raise BadRequest(400, "diarizationSpeakerCount must be a positive integer")
        active = [j for j in self.jobs.values() if not j.progress.finished]
        if self.max_concurrent_jobs is not None and len(active) >= self.max_concurrent_jobs:
            raise BadRequest(
                429,
                f"This API has a limit of maximum of {self.max_concurrent_jobs} number of "
                "concurrent jobs per account.",
            )
        if cid is None:
            number = next(self._conversation_ids)
            started = datetime(2024, 3, 4, 10, 0, tzinfo=UTC) + timedelta(hours=number % 1000)
            cid = str(number)
            name = options.get("name") or cid
            self.conversations[cid] = Conversation(cid, name, started)
            kind = "process"
        elif cid not in self.conversations or self.conversations[cid].deleted:
            raise BadRequest(404, NOT_FOUND)
        else:
            kind = "append"
        job = Job(
            id=str(uuid.uuid4()),
            conversation_id=cid,
            kind=kind,
            progress=Progress(STATES, self.advance),
            recording=self.recordings[kind],
            options=options,
            webhook_url=options.get("webhookUrl"),
        )
        job.progress.on_enter = lambda state, job=job: self._entered(job, state)
        if request.outcome:
            job.progress.finish(request.outcome)
        self.jobs[job.id] = job
        self._start_runnable(time.monotonic())
        return Response(201, {"conversationId": cid, "jobId": job.id})

    def _start_runnable(self, now: float) -> None:
        busy: set[str] = set()
        for job in self.jobs.values():  # insertion order = submission order
            if job.conversation_id in busy:
                continue
            if not job.progress.finished:
                job.progress.start(now)
                busy.add(job.conversation_id)

    def tick(self, now: float) -> None:
        self._start_runnable(now)
        for job in list(self.jobs.values()):
            job.progress.tick(now)

    def _entered(self, job: Job, state: str) -> None:
        if state == "completed":
            self._materialise(job)
        if job.webhook_url:
            self.emulator.deliver(self.name, job.webhook_url, {"jobId": job.id, "status": state})

    def _job(self, request: Request, job_id: str) -> Response:
        self._authorise(request)
        job = self.jobs.get(job_id)
        if job is None:
            raise BadRequest(404, f"Job {job_id} not found")
        self._start_runnable(time.monotonic())
        status = job.progress.read()
        body = {"id": job.id, "status": status}
        if status == "failed":
            body["message"] = "The media could not be processed."
        return Response(200, body)

    def _materialise(self, job: Job) -> None:
        materialise(self.conversations[job.conversation_id], job, self._ids)

    # -- Conversation API (1.5) -------------------------------------------------------------

    def _find(self, request: Request, cid: str) -> Conversation:
        self._authorise(request)
        conversation = self.conversations.get(cid)
        if conversation is None or conversation.deleted:
            raise BadRequest(404, NOT_FOUND)
        return conversation

    def _conversation(self, request: Request, cid: str) -> Response:
        conversation = self._find(request, cid)
        return Response(
            200,
            {
                "id": conversation.id,
                "type": "meeting",
                "name": conversation.name,
                "startTime": conversation.iso(0),
                "endTime": conversation.iso(conversation.end()),
                "members": [m.person() for m in conversation.members.values()],
                "metadata": {},
            },
        )

    def _delete(self, request: Request, cid: str) -> Response:
        self._find(request, cid).deleted = True
        return Response(200, {"message": "successfully deleted the conversation"})

    def _members(self, request: Request, cid: str) -> Response:
        conversation = self._find(request, cid)
        return Response(200, {"members": [m.person() for m in conversation.members.values()]})

    def _messages(self, request: Request, cid: str) -> Response:
        conversation = self._find(request, cid)
        return Response(
            200,
            {
                "messages": [
                    {
                        "id": m.id,
                        "text": m.text,
                        "from": conversation.members[m.member_id].person(),
                        "startTime": conversation.iso(m.offset),
                        "endTime": conversation.iso(m.offset + m.duration),
                        "timeOffset": m.offset,
                        "duration": m.duration,
                        "conversationId": conversation.id,
                        "phrases": [],
                    }
                    for m in conversation.messages
                ]
            },
        )

    def _insights(self, request: Request, cid: str, kind: str) -> Response:
        conversation = self._find(request, cid)
        wanted = {"action-items": "action_item", "questions": "question", "follow-ups": "x"}
        key = {"action-items": "actionItems", "follow-ups": "followUps"}.get(kind, kind)
        items = [
            insight_json(conversation, i)
            for i in conversation.insights
            if kind == "insights" or i.type == wanted[kind]
        ]
        return Response(200, {key: items})

    def _put(self, request: Request, cid: str, member_id: str) -> Response:
        conversation = self._find(request, cid)
        body = self.json_body(request)
        if body.get("id") != member_id:
            raise BadRequest(400, "id in the body must be the member id of the URL")
        name, email = body.get("name"), body.get("email") or ""
        if not isinstance(name, str) or not name.strip() or not isinstance(email, str):
            raise BadRequest(400, "name is required")
        member = conversation.members.get(member_id)
        if member is None:
            raise BadRequest(404, f"Member with id: {member_id} does not exist")
        survivor = next(
            (
                m
                for m in conversation.members.values()
                if email and m.id != member_id and m.email.lower() == email.lower()
            ),
            None,
        )
        if survivor is None:
            member.name, member.email = name, email or member.email
        else:  # merge by email: the member in the URL disappears into the survivor (1.5)
            for message in conversation.messages:
                if message.member_id == member_id:
                    message.member_id = survivor.id
            for insight in conversation.insights:
                if insight.from_id == member_id:
                    insight.from_id = survivor.id
                if insight.assignee_id == member_id:
                    insight.assignee_id = survivor.id
            del conversation.members[member_id]
        return Response(
            200,
            {
                "message": f"Member with id: {member_id} for conversationId: {cid} updated "
                "successfully! The update should be reflected in all messages and insights "
                "along with this conversation"
            },
        )
