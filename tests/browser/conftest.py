"""Playwright driving Debian's Chromium (/usr/bin/chromium) against pytest-django's live server:
the ``browser_page`` fixture of :mod:`tests.chromium`."""

from tests.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, browser_page

__all__ = ["ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "browser_page"]
