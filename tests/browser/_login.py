"""Log a user in through the login form of the live server."""

from __future__ import annotations


def log_in(page, live_server, username: str, password: str = "pw-test-123") -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
