"""providers.egress and the session's use of it: vendor requests go to public hosts only.

Base URLs are checked when typed (:func:`base_url_problem`); each connection checks the
addresses its host resolves to and connects to one it checked (:class:`PeerCheckingAdapter`),
so a name that resolves to an internal address, or stops resolving to a public one between the
check and the connect (DNS rebinding), never reaches the portal's network. Redirects leave the
host only by failing.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses

from providers.egress import address_problem, base_url_problem
from providers.http import VendorSession
from providers.types import ProviderError

SYMBL_HOSTS = ["api.symbl.ai"]


class _Internal(BaseHTTPRequestHandler):
    """An internal service: answers every GET with a page that must never leave it."""

    hits: list[str]

    def do_GET(self):
        self.server.hits.append(self.path)
        body = b"<html>internal admin: root password hunter2</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def internal():
    """An HTTP server on 127.0.0.1 standing for a service of the portal's own network."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Internal)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# --- addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("[::1]", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "public"),  # shared address space (carrier-grade NAT)
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ],
)
def test_internal_addresses_are_refused_with_their_range(address, kind):
    problem = address_problem(address)
    assert problem is not None and kind in problem


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address):
    assert address_problem(address) is None


# --- base URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.symbl.ai",
        "https://API.Symbl.AI/",
        "https://api.symbl.ai:443/v1",
        "http://127.0.0.1:8765/symbl",
        "http://LOCALHOST:1/x",
    ],
)
def test_vendor_hosts_over_https_and_extra_hosts_are_allowed(url):
    extra = ["127.0.0.1", "localhost"]
    assert base_url_problem(url, vendor_hosts=SYMBL_HOSTS, extra_hosts=extra) is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://api.symbl.ai", "https:// only"),
        ("https://api.symbl.ai:8443", "port"),
        ("https://api.symbl.ai.attacker.example", "not a host of this vendor"),
        ("https://evil.example", "VENDOR_EXTRA_HOSTS"),
        ("https://127.0.0.1", "loopback"),
        ("http://127.0.0.1:8000", "loopback"),
        ("http://localhost:8000", "not a host of this vendor"),
        ("http://[::1]:8000", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://[::ffff:169.254.169.254]/", "metadata"),
        ("https://10.0.0.5", "private"),
        ("https://user:pw@api.symbl.ai", "user name"),
        ("https://api.symbl.ai/?x=1", "query"),
        ("ftp://api.symbl.ai", "https://"),
        ("https://", "https://"),
        ("https://[::1", "valid URL"),
    ],
)
def test_other_base_urls_are_refused_with_the_reason(url, says):
    problem = base_url_problem(url, vendor_hosts=SYMBL_HOSTS)
    assert problem is not None and says in problem


# --- connect time --------------------------------------------------------------------------


def test_a_loopback_host_is_refused_before_any_byte_is_sent(internal):
    port = internal.server_address[1]
    session = VendorSession("Acme")
    for url in (f"http://127.0.0.1:{port}/x", f"http://localhost:{port}/x"):
        with pytest.raises(ProviderError) as info:
            session.request("GET", url)
        assert info.value.error_type == "address_refused" and not info.value.retryable
        assert "127.0.0.1" in info.value.message and "loopback" in info.value.message
    assert internal.hits == []


def test_hosts_the_deployment_lists_are_reached(internal):
    port = internal.server_address[1]
    session = VendorSession("Acme", extra_hosts=["127.0.0.1"])
    assert session.request("GET", f"http://127.0.0.1:{port}/ok").status_code == 200
    assert internal.hits == ["/ok"]


def test_one_internal_answer_among_public_ones_is_enough_to_refuse(internal, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "mixed.example":
            public = real("8.8.8.8", port, *args, **kwargs)
            return public + real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ProviderError) as info:
        VendorSession("Acme").request("GET", f"http://mixed.example:{internal.server_address[1]}/")
    assert info.value.error_type == "address_refused"
    assert internal.hits == []


def test_the_connection_goes_to_the_address_that_was_checked(internal, monkeypatch):
    """DNS rebinding: the first answer is public, later ones point inside. The socket must
    connect to the checked public address (which the test network guard blocks), never ask
    again and land on 127.0.0.1."""
    real = socket.getaddrinfo
    answers = []

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            answers.append(host)
            first = len(answers) == 1
            return real("8.8.8.8" if first else "127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://rebind.example:{internal.server_address[1]}/"
    with pytest.raises(ProviderError) as info:
        VendorSession("Acme", timeout=2).request("GET", url)
    assert info.value.error_type == "connection"  # 8.8.8.8 is unreachable from the tests
    assert answers == ["rebind.example"]
    assert internal.hits == []


# --- redirects -----------------------------------------------------------------------------


@responses.activate
def test_a_redirect_to_another_host_is_not_followed():
    responses.get("https://api.symbl.ai/v1/job/1", status=302, headers={
        "Location": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    })  # fmt: skip
    meta = responses.get("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    with pytest.raises(ProviderError) as info:
        VendorSession("Symbl").request("GET", "https://api.symbl.ai/v1/job/1")
    assert info.value.error_type == "redirect_refused" and not info.value.retryable
    assert "169.254.169.254" in info.value.message
    assert meta.call_count == 0


@responses.activate
def test_a_redirect_on_the_same_host_is_followed_for_get_only():
    responses.get("https://api.symbl.ai/a", status=301, headers={"Location": "/b?page=2"})
    responses.get("https://api.symbl.ai/b?page=2", json={"ok": True})
    responses.post("https://api.symbl.ai/c", status=307, headers={"Location": "/d"})
    session = VendorSession("Symbl")
    assert session.request("GET", "https://api.symbl.ai/a", params={"x": 1}).json() == {"ok": True}
    with pytest.raises(ProviderError) as info:
        session.request("POST", "https://api.symbl.ai/c", json={})
    assert info.value.error_type == "redirect_refused"


@responses.activate
def test_a_long_vendor_message_is_truncated():
    responses.get("https://api.symbl.ai/x", status=400, json={"message": "m" * 5000})
    with pytest.raises(ProviderError) as info:
        VendorSession("Symbl").request("GET", "https://api.symbl.ai/x")
    assert info.value.message.endswith("m…") and len(info.value.message) < 400
