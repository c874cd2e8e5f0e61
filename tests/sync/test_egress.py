"""Vendor calls of the sync services go only where they belong, and what a foreign server
answers never lands in a job's error (which viewers read in the job panel and the API).

A loopback HTTP server stands for a service of the portal's own network. It is reachable only
where the deployment allows it (``VENDOR_EXTRA_HOSTS``, the tests list ``127.0.0.1``).
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from diarization_portal.conversations.models import JobState
from diarization_portal.sync import services
from diarization_portal.sync.models import ProviderAccount

from .conftest import SECRETS
from .symbl_mocks import MEDIA_URL

pytestmark = pytest.mark.django_db(transaction=True)

INTERNAL_PAGE = b"<html><body>internal admin: root password hunter2</body></html>"


class _Handler(BaseHTTPRequestHandler):
    def _answer(self):
        self.server.hits.append(f"{self.command} {self.path}")
        status, headers, body = self.server.routes.get(
            self.path.split("?")[0], (200, {"Content-Type": "text/html"}, INTERNAL_PAGE)
        )
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A loopback server answering ``routes`` (path → (status, headers, body)), HTML else."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.hits, httpd.routes = [], {}
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _symbl_account(workspace, base_url: str) -> ProviderAccount:
    """A Symbl account saved as it is, without validation: a row saved before the rules, or
    one whose host resolves elsewhere today."""
    account = ProviderAccount(workspace=workspace, vendor="symbl", label="S", base_url=base_url)
    account.set_secrets(app_id=SECRETS["app_id"], app_secret=SECRETS["app_secret"])
    account.save()
    return account


def _submit(account, tasks):
    job = services.job_create(account=account, source_url=MEDIA_URL, title="Weekly")
    tasks.take()
    return services.job_submit(job_id=job.pk)


def test_a_stored_base_url_on_an_internal_host_is_never_called(workspace, tasks, server, settings):
    settings.VENDOR_EXTRA_HOSTS = []
    port = server.server_address[1]
    for url in (server.url, f"http://localhost:{port}", f"http://[::ffff:127.0.0.1]:{port}"):
        job = _submit(_symbl_account(workspace, url), tasks)
        assert job.state == JobState.FAILED and job.error_type == "endpoint_refused"
        assert "loopback" in job.error_message or "not a host of this vendor" in job.error_message
        ProviderAccount.objects.all().delete()
    assert server.hits == []


def test_a_vendor_host_that_resolves_inside_is_refused_at_connect_time(
    workspace, tasks, monkeypatch
):
    real = socket.getaddrinfo

    def poisoned(host, port, *args, **kwargs):
        if host == "api.symbl.ai":
            return real("169.254.169.254", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", poisoned)
    job = _submit(_symbl_account(workspace, ""), tasks)
    assert job.state == JobState.FAILED and job.error_type == "address_refused"
    assert "169.254.169.254" in job.error_message and "metadata" in job.error_message
    assert SECRETS["app_secret"] not in job.error_message


def test_a_redirect_to_another_host_is_not_followed_and_nothing_of_it_is_stored(
    workspace, tasks, server
):
    port = server.server_address[1]
    server.routes["/oauth2/token:generate"] = (
        302,
        {"Location": f"http://localhost:{port}/internal/admin"},
        b"",
    )
    job = _submit(_symbl_account(workspace, server.url), tasks)
    assert server.hits == ["POST /oauth2/token:generate"]
    assert job.state == JobState.FAILED and job.error_type == "redirect_refused"
    assert "hunter2" not in job.error_message


def test_an_html_error_page_is_described_never_stored(workspace, tasks, server):
    server.routes["/oauth2/token:generate"] = (403, {"Content-Type": "text/html"}, INTERNAL_PAGE)
    job = _submit(_symbl_account(workspace, server.url), tasks)
    assert job.state == JobState.FAILED and job.error_type == "http_403"
    assert "HTTP 403: Forbidden (text/html body" in job.error_message
    assert "hunter2" not in job.error_message and "<html" not in job.error_message


def test_the_vendor_json_message_is_kept_with_the_status_and_truncated(workspace, tasks, server):
    body = json.dumps({"message": "Invalid appId " + "x" * 3000}).encode()
    server.routes["/oauth2/token:generate"] = (401, {"Content-Type": "application/json"}, body)
    job = _submit(_symbl_account(workspace, server.url), tasks)
    assert job.error_type == "http_401"
    assert "HTTP 401: Invalid appId xxx" in job.error_message
    assert job.error_message.endswith("x…") and len(job.error_message) < 500
