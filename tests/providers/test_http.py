"""providers.http: timeouts, User-Agent, error mapping, retry headers, redaction, json()."""

from __future__ import annotations

import json as jsonlib
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st

from providers import http
from providers.http import DEFAULT_TIMEOUT, USER_AGENT, VendorSession, error_detail, retry_after
from providers.types import ProviderError

URL = "https://vendor.example/v1/thing"
NOW = 1_709_553_600.0  # 2024-03-04T12:00:00Z


@pytest.fixture
def session():
    return VendorSession("Acme", secrets=["sk_live_SECRET123"], clock=lambda: NOW)


def _error(session, **kwargs) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        session.request("GET", kwargs.pop("url", URL), **kwargs)
    return info.value


@responses.activate
def test_every_request_gets_the_default_timeout_and_user_agent(session):
    responses.get(URL, json={"ok": True})
    session.request("GET", URL)
    call = responses.calls[0]
    assert call.request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("diarization-portal/")
    assert call.request.req_kwargs["timeout"] == DEFAULT_TIMEOUT == (5, 30)


@responses.activate
def test_timeout_none_still_sends_a_timeout_and_custom_one_is_kept(session):
    responses.get(URL, json={})
    session.request("GET", URL, timeout=None)
    session.request("GET", URL, timeout=(2, 90))
    assert [c.request.req_kwargs["timeout"] for c in responses.calls] == [(5, 30), (2, 90)]


@responses.activate
def test_a_session_timeout_applies_to_calls_without_their_own():
    responses.get(URL, json={})
    short = VendorSession("Acme", timeout=(1, 2))
    short.request("GET", URL)
    short.request("GET", URL, timeout=(5, 120))
    assert [c.request.req_kwargs["timeout"] for c in responses.calls] == [(1, 2), (5, 120)]


@responses.activate
def test_session_and_call_headers_are_merged(session):
    session.headers["X-Team"] = "ops"
    responses.get(URL, json={})
    session.request("GET", URL, headers={"X-Call": "1"})
    sent = responses.calls[0].request.headers
    assert sent["X-Team"] == "ops" and sent["X-Call"] == "1"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 507])
@responses.activate
def test_transient_statuses_are_retryable(session, status):
    responses.get(URL, status=status, json={"message": "try later"})
    err = _error(session)
    assert err.retryable is True
    assert err.error_type == f"http_{status}"
    assert err.status == status
    assert "try later" in err.message


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 422])
@responses.activate
def test_other_4xx_are_terminal(session, status):
    responses.get(URL, status=status, json={"message": "nope"})
    err = _error(session)
    assert err.retryable is False
    assert err.retry_after is None
    assert err.error_type == f"http_{status}"
    assert err.message == f"Acme GET {URL}: HTTP {status}: nope"


@responses.activate
def test_non_json_error_body_is_described_never_quoted(session):
    responses.get(
        URL, status=502, body="<html><body>Bad   gateway</body></html>", content_type="text/html"
    )
    err = _error(session)
    assert err.retryable and err.status == 502
    assert err.message == (
        f"Acme GET {URL}: HTTP 502: Bad Gateway (text/html body, 39 bytes, not shown)"
    )


@responses.activate
def test_empty_error_body_falls_back_to_reason(session):
    responses.get(URL, status=404, body="")
    assert _error(session).message.endswith("HTTP 404: Not Found")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)}, 30),
        ({"Retry-After": format_datetime(datetime.fromtimestamp(NOW - 30, UTC), usegmt=True)}, 0),
        ({"x-ratelimit-reset": str(int(NOW) + 42)}, 42.0),
        ({"x-ratelimit-reset": str(int(NOW) - 42)}, 0.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "soon", "x-ratelimit-reset": str(int(NOW) + 3)}, 3.0),
        ({}, None),
    ],
)
def test_retry_after_headers(headers, expected):
    assert retry_after(headers, now=NOW) == expected


@responses.activate
def test_retry_after_is_set_on_retryable_errors_only(session):
    responses.get(URL, status=429, headers={"Retry-After": "12"}, json={})
    responses.get(URL + "/x", status=400, headers={"Retry-After": "12"}, json={})
    assert _error(session).retry_after == 12.0
    assert _error(session, url=URL + "/x").retry_after is None


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_retry_after_is_never_negative(value):
    for header in ("Retry-After", "retry-after-ms", "x-ratelimit-reset"):
        wait = retry_after({header: str(value)}, now=NOW)
        assert wait is not None and wait >= 0


@pytest.mark.parametrize(
    ("exc", "error_type"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "timeout"),
        (requests.exceptions.ConnectionError("connection refused"), "connection"),
        (requests.exceptions.ChunkedEncodingError("broken"), "connection"),
    ],
)
@responses.activate
def test_network_failures_are_retryable(session, exc, error_type):
    responses.get(URL, body=exc)
    err = _error(session)
    assert (err.error_type, err.retryable, err.status) == (error_type, True, None)
    assert err.__cause__ is None and err.__suppress_context__


@responses.activate
def test_invalid_request_is_terminal(session):
    responses.get(URL, body=requests.exceptions.TooManyRedirects("loop"))
    err = _error(session)
    assert (err.error_type, err.retryable) == ("request_error", False)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "Token validation failed for provided token."}, "Token validation failed"),
        ({"statusCode": 429, "message": "max of 2 concurrent jobs"}, "max of 2 concurrent jobs"),
        (
            {
                "detail": [
                    {"loc": ["body", "selected_speaker_ids", 0], "msg": "bad id", "type": "x"}
                ]
            },
            "body.selected_speaker_ids.0: bad id",
        ),
        (
            {"detail": [{"loc": ["query", "a"], "msg": "m1"}, {"loc": ["body"], "msg": "m2"}]},
            "query.a: m1; body: m2",
        ),
        (
            {"detail": {"code": "invalid_parameters", "message": "Too many", "param": "keyterms"}},
            "Too many (invalid_parameters, param keyterms)",
        ),
        (
            {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}},
            "Invalid API key",
        ),
        (
            {"error": {"type": "task.validation-error", "message": "Bad input"}},
            "task.validation-error: Bad input",
        ),
        (
            {
                "error": {
                    "type": "t",
                    "message": "m",
                    "detail": [{"location": [0, "file"], "message": "x"}],
                }
            },
            "t: m (0.file: x)",
        ),
        ({"detail": "Not Found"}, "Not Found"),
        ({"error": "denied"}, "denied"),
        ({"unrelated": 1}, None),
        ([1, 2], None),
    ],
)
def test_error_detail_shapes(body, expected):
    detail = error_detail(body)
    if expected is None:
        assert detail is None
    else:
        assert expected in detail


def test_legacy_status_is_named():
    detail = error_detail({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
    assert detail == "Invalid API key (invalid_api_key)"


@responses.activate
def test_json_helper_rejects_non_json(session):
    responses.get(URL, body="<html>maintenance</html>", content_type="text/html")
    response = session.request("GET", URL)
    with pytest.raises(ProviderError) as info:
        http.json(response)
    err = info.value
    assert (err.error_type, err.retryable, err.status) == ("malformed_body", True, 200)
    assert "text/html" in err.message and "maintenance" not in err.message


@responses.activate
def test_json_helper_checks_the_type(session):
    responses.get(URL, json=[1, 2])
    response = session.request("GET", URL)
    assert http.json(response, expect=list) == [1, 2]
    with pytest.raises(ProviderError, match="expected a JSON object, got list"):
        http.json(response)


@responses.activate
def test_json_helper_handles_truncated_json(session):
    responses.get(URL, body='{"conversationId": "51', content_type="application/json")
    with pytest.raises(ProviderError) as info:
        http.json(session.request("GET", URL))
    assert info.value.error_type == "malformed_body"


# -- secrets ---------------------------------------------------------------------------------

SECRET_URL = (
    "https://vendor.example/v2/diarize?apikey=K3y-VALUE-77&request_id=r1"
    "&webhook=https%3A%2F%2Fportal.example%2Fhooks%2Fdeepaffects%2Fjob-token-abc"
)


@responses.activate
def test_error_messages_redact_query_secrets_and_webhook_urls(session):
    responses.post(SECRET_URL.split("?")[0], status=500, json={"message": "boom"})
    with pytest.raises(ProviderError) as info:
        session.request("POST", SECRET_URL)
    text = str(info.value)
    assert "K3y-VALUE-77" not in text and "job-token-abc" not in text
    assert "apikey=***" in text and "request_id=r1" in text


@responses.activate
def test_connection_error_text_is_redacted(session):
    raw = (
        "HTTPSConnectionPool(host='vendor.example', port=443): Max retries exceeded with url: "
        "/v2/diarize?apikey=K3y-VALUE-77&webhook=https%3A%2F%2Fportal.example%2Fh%2Fjob-token-abc"
    )
    responses.post(SECRET_URL.split("?")[0], body=requests.exceptions.ConnectionError(raw))
    with pytest.raises(ProviderError) as info:
        session.request("POST", SECRET_URL)
    text = str(info.value)
    assert "K3y-VALUE-77" not in text and "job-token-abc" not in text
    assert info.value.error_type == "connection"


@responses.activate
def test_known_secrets_echoed_in_a_body_are_redacted(session):
    responses.get(URL, status=401, json={"message": "Invalid key sk_live_SECRET123 supplied"})
    err = _error(session)
    assert "sk_live_SECRET123" not in str(err) and "***" in str(err)


@responses.activate
def test_added_secret_and_bearer_tokens_are_redacted(session):
    session.add_secret("eyJtoken.value.sig")
    responses.get(URL, status=403, json={"message": "token eyJtoken.value.sig; Bearer abc.def"})
    text = str(_error(session))
    assert "eyJtoken.value.sig" not in text and "abc.def" not in text


def test_redact_url_drops_userinfo_and_fragment():
    url = "https://user:pw@vendor.example:8443/p?X-Amz-Signature=abcd&x=1#frag"
    assert http.redact_url(url) == "https://vendor.example:8443/p?X-Amz-Signature=***&x=1"


def test_redact_json_fields():
    text = jsonlib.dumps({"appSecret": "s3cr3t-value", "accessToken": "tok-value"})
    redacted = http.redact(text)
    assert "s3cr3t-value" not in redacted and "tok-value" not in redacted


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789+/=_-", min_size=8),
    st.text(max_size=40),
)
def test_redact_never_leaks_a_known_secret(secret, noise):
    text = f"{noise} key {secret} and encoded {requests.utils.quote(secret, safe='')} {noise}"
    assert secret not in http.redact(text, [secret])


@given(
    st.sampled_from(["apikey", "api_key", "token", "access_token", "X-Amz-Signature", "key"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=6),
)
def test_secret_query_values_are_redacted_without_knowing_them(name, value):
    url = f"https://vendor.example/p?a=1&{name}={value}&b=2"
    assert f"{name}={value}" not in http.redact_url(url)
    assert f"{name}={value}" not in http.redact(f"GET {url} failed")


@responses.activate
def test_json_helper_redacts_the_session_secrets_in_body_snippets(session):
    session.add_secret("eyJ-truncated-token-value")
    responses.get(URL, body='{"accessToken": "eyJ-truncated-token-value', content_type="text/plain")
    with pytest.raises(ProviderError) as info:
        http.json(session.request("GET", URL))
    assert "eyJ-truncated" not in str(info.value) and "Acme GET" in str(info.value)


def test_segment_escapes_slashes_and_refuses_empty_ids():
    assert http.quote_path_part("a/b c") == "a%2Fb%20c"
    assert http.quote_path_part(42) == "42"
    with pytest.raises(ValueError):
        http.quote_path_part("")


def test_vendor_session_wraps_or_reuses():
    plain = requests.Session()
    wrapped = http.vendor_session("Acme", plain)
    assert wrapped.session is plain and wrapped.vendor == "Acme"
    assert http.vendor_session("Other", wrapped) is wrapped
