"""Login limits: failed logins per account and per address lock logging in (portal and admin)
for a cool-off, the right password included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-123"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return settings


def login(client, username, password, *, addr="198.51.100.7", url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=addr,
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client):
    factories.user(username="alice")
    for _ in range(30):
        assert not logged_in(login(client, "alice", "wrong"))
    response = login(client, "alice", PASSWORD)
    assert not logged_in(response)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_the_portals_login_page_with_a_message(client):
    factories.user(username="alice")
    statuses = [login(client, "alice", "wrong").status_code for _ in range(5)]
    # The fifth failure reaches the limit: it already gets the lockout page.
    assert statuses == [200, 200, 200, 200, 429]
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed login attempts" in page
    assert "blocked for 15 minutes" in page
    assert 'name="password"' in page and "Diarization Portal" in page


def test_below_the_limit_the_right_password_logs_in(client):
    factories.user(username="alice")
    for _ in range(4):
        login(client, "alice", "wrong")
    assert logged_in(login(client, "alice", PASSWORD))


def test_an_account_is_locked_from_every_address(client):
    factories.user(username="alice")
    for n in range(5):
        login(client, "alice", "wrong", addr=f"198.51.100.{n + 1}")
    assert login(client, "alice", PASSWORD, addr="203.0.113.9").status_code == 429


def test_an_address_is_locked_across_usernames(client):
    factories.user(username="alice")
    for n in range(5):
        login(client, f"guess{n}", "wrong", addr="198.51.100.7")
    assert login(client, "alice", PASSWORD, addr="198.51.100.7").status_code == 429
    # Another address still logs alice in: the lock was the address's, not hers.
    assert logged_in(login(client, "alice", PASSWORD, addr="203.0.113.9"))


def test_the_cool_off_expires(client):
    factories.user(username="alice")
    for _ in range(6):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 429
    # Sixteen minutes pass since the last failure.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert logged_in(login(client, "alice", PASSWORD))


def test_the_admin_login_is_limited_too_and_says_so(client):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    url = reverse("admin:login")
    statuses = [login(client, "root", "wrong", url=url).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    response = login(client, "root", PASSWORD, url=url)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed login attempts" in page
    assert "Django administration" in page or "site-name" in page
    assert "_auth_user_id" not in client.session


def test_behind_a_proxy_the_forwarded_address_is_counted(client, settings):
    """With one trusted proxy the address it appended is the client's; what a client wrote
    further left in X-Forwarded-For is not."""
    settings.TRUSTED_PROXY_COUNT = 1
    factories.user(username="alice")
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7",
        )
    locked = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert locked.status_code == 429
    other = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert logged_in(other)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client):
    factories.user(username="alice")
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    assert login(client, "alice", PASSWORD, addr="198.51.100.7").status_code == 429
