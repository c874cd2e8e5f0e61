"""The settings read from the environment (``diarization_portal/settings.py``), each checked in
a subprocess that imports them afresh: HTTPS defaults follow DEBUG, the proxy's HTTPS header,
a request warning is logged once."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from diarization_portal.settings import envheader
from tests.processes import REPO, portal_env

SECRET = secrets.token_urlsafe(50)


def run_python(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=portal_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


SETTINGS_JSON = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER", "CSRF_FAILURE_VIEW")} | {"queue": s.Q_CLUSTER["name"]}))
"""


def settings_of(tmp_path, **env) -> dict:
    result = run_python(tmp_path, SETTINGS_JSON, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_is_the_default_when_debug_is_off(tmp_path):
    assert settings_of(tmp_path, DEBUG="False", SECRET_KEY=SECRET) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "CSRF_FAILURE_VIEW": "diarization_portal.errors.csrf_failure",
        "queue": "diarization-portal",
    }


def test_development_defaults_need_no_https(tmp_path):
    values = settings_of(tmp_path)
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is False


def test_https_settings_from_the_environment(tmp_path):
    values = settings_of(
        tmp_path,
        DEBUG="False",
        SECRET_KEY=SECRET,
        SECURE_SSL_REDIRECT="False",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="True",
        SECURE_HSTS_PRELOAD="yes",
        SECURE_COOKIES="0",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        Q_CLUSTER_NAME="portal-b",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is values["SECURE_HSTS_PRELOAD"] is True
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["queue"] == "portal-b"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("HTTP_X_FORWARDED_PROTO", ("HTTP_X_FORWARDED_PROTO", "https")),
        (" HTTP_X_FORWARDED_SSL , on ", ("HTTP_X_FORWARDED_SSL", "on")),
    ],
)
def test_proxy_ssl_header(monkeypatch, raw, expected):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)
    assert envheader("SECURE_PROXY_SSL_HEADER") == expected


def test_proxy_ssl_header_must_be_named_as_django_sees_it(monkeypatch):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    with pytest.raises(ImproperlyConfigured, match="HTTP_X_FORWARDED_PROTO"):
        envheader("SECURE_PROXY_SSL_HEADER")


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = run_python(tmp_path, "import django; django.setup()", DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


LOG_A_404 = """
import django
django.setup()
from django.test import Client
print(Client().get("/api/v1/nowhere", HTTP_HOST="localhost").status_code)
"""


@pytest.mark.parametrize("debug", ["True", "False"])
def test_a_request_warning_is_logged_once(tmp_path, debug):
    env = {"DEBUG": debug, "SECRET_KEY": SECRET, "SECURE_SSL_REDIRECT": "False"}
    result = run_python(tmp_path, LOG_A_404, **env)
    assert result.stdout.strip() == "404", result.stderr
    lines = [line for line in result.stderr.splitlines() if "Not Found: /api/v1/nowhere" in line]
    assert len(lines) == 1, result.stderr


ACCESS_JSON = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({
    "proxies": s.TRUSTED_PROXY_COUNT, "limit": s.AXES_FAILURE_LIMIT,
    "cooloff": s.AXES_COOLOFF_TIME.total_seconds(), "store": s.API_THROTTLE_STORE,
    "failures": s.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_auth_failure"],
}))
"""


def test_login_limits_and_throttle_store_come_from_the_environment(tmp_path):
    def access(**env):
        result = run_python(tmp_path, ACCESS_JSON, **env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert access(REDIS_URL=None) == {
        "proxies": 0,
        "limit": 5,
        "cooloff": 900.0,
        "store": "database",
        "failures": "30/minute",
    }
    assert access(
        TRUSTED_PROXY_COUNT="1",
        LOGIN_FAILURE_LIMIT="10",
        LOGIN_COOLOFF_MINUTES="60",
        API_THROTTLE_STORE="cache",
        API_AUTH_FAILURE_RATE="5/minute",
    ) == {"proxies": 1, "limit": 10, "cooloff": 3600.0, "store": "cache", "failures": "5/minute"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"API_THROTTLE_STORE": "memory"}, "API_THROTTLE_STORE must be"),
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be 0 or more"),
    ],
)
def test_bad_access_settings_fail_loudly(tmp_path, env, message):
    result = run_python(tmp_path, "import django; django.setup()", **env)
    assert result.returncode != 0 and message in result.stderr
