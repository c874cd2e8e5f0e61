"""The live portal as people and integrations reach it over HTTP: an editor's dashboard session
(the "New conversation" and "Send a recording" forms) and a REST API key (Symbl's Async API
paths). Each call is a real request to pytest-django's live server; a call may come from any
thread (each one uses a session of its own)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import requests

from diarization_portal.api.services import api_key_create

PASSWORD = "pw-test-123"  # tests.factories.user's password
_CONVERSATION = re.compile(r"/c/(\d+)/$")


class Dashboard:
    """The dashboard of the live server at ``base_url``, logged in as ``username``."""

    def __init__(self, base_url: str, username: str, password: str = PASSWORD) -> None:
        self.base_url = base_url
        session = requests.Session()
        session.get(f"{base_url}/login/", timeout=30).raise_for_status()
        answer = session.post(
            f"{base_url}/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise AssertionError(f"login as {username} failed: {answer.status_code}")
        self.cookies = session.cookies.get_dict()  # the session and the rotated CSRF token
        session.close()

    def send(self, path: str, **fields) -> int:
        """Post the recording form at ``path`` (``/w/<slug>/new/`` for a new conversation,
        ``/c/<id>/send/`` to append) with ``fields`` (``account``: the provider account's
        id, ``source_url``, ``title``, vendor options...), as the browser does; return the
        conversation the portal redirected to. Raises AssertionError when the form is
        refused (the page's text in the message)."""
        with requests.Session() as session:
            session.cookies.update(self.cookies)
            answer = session.post(
                f"{self.base_url}{path}",
                data={**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]},
                allow_redirects=False,
                timeout=30,
            )
        found = _CONVERSATION.search(answer.headers.get("Location", ""))
        if answer.status_code != 302 or found is None:
            raise AssertionError(f"{path} answered {answer.status_code}: {answer.text[:2000]}")
        return int(found.group(1))


@dataclass(frozen=True)
class Submitted:
    """The API's answer to a submit: ``{conversationId, jobId}``."""

    conversation_id: int
    job_id: int


class Api:
    """The REST API of the live server at ``base_url`` with a new API key of ``user``."""

    def __init__(self, base_url: str, user) -> None:
        self.base_url = f"{base_url}/api/v1"
        _key, raw = api_key_create(user=user, name="end-to-end")
        self.headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}

    def submit(self, body: dict, conversation_id: int | None = None) -> Submitted:
        """``POST /process/audio/url`` (a new conversation) or, with ``conversation_id``,
        ``PUT /process/audio/url/{id}`` (an append) with the JSON ``body``. Raises
        AssertionError unless the answer is 201."""
        path = "/process/audio/url" + (f"/{conversation_id}" if conversation_id else "")
        call = requests.put if conversation_id else requests.post
        answer = call(
            f"{self.base_url}{path}", data=json.dumps(body), headers=self.headers, timeout=30
        )
        if answer.status_code != 201:
            raise AssertionError(f"{path} answered {answer.status_code}: {answer.text[:2000]}")
        reply = answer.json()
        return Submitted(int(reply["conversationId"]), int(reply["jobId"]))
