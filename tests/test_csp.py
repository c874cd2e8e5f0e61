"""Content-Security-Policy (django-csp): every response carries the portal's policy, and no
template carries inline script, inline style or an event handler attribute that it would
block (the browser check is tests/browser/test_csp.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests import factories

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: An inline <script> (one without src), a style element or attribute, an on*= handler, a
#: javascript: URL.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=|javascript:", re.I
)


def test_templates_carry_no_inline_script_style_or_handler():
    found = [
        f"{path.relative_to(TEMPLATES)}: {m[0]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for m in INLINE.finditer(path.read_text())
    ]
    assert found == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/login/", "/", "/account/api-keys/", "/api/docs/", "/admin/", "/no-such-page/", "/api/v1/x"],
)
def test_every_response_carries_the_policy(client, path):
    user = get_user_model().objects.create_user("ada", password="pw", is_staff=True)
    factories.workspace("Demo")
    client.force_login(user)
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
