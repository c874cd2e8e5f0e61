"""Error pages: 400, 403 (also for a failed CSRF check), 404 and 500 in the portal's layout.

Django calls these views when ``DEBUG`` is off (``handler400`` … ``handler500`` in
``diarization_portal.urls``; ``CSRF_FAILURE_VIEW`` in the settings, which Django also calls
while ``DEBUG`` is on). Each page has the top bar with the user's navigation, a message and a
link to the dashboard, and never debug output (no URL patterns, no traceback).

A path under ``/api/`` or ``/webhooks/`` keeps the REST API's JSON error shape
(``api.exceptions.error_body``).
The 500 page is rendered with the request (the user's navigation) only when that works: a
failure that broke the database must not break its error page, so it falls back to the
layout without a user, then to plain HTML.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from diarization_portal.api.exceptions import error_body
from diarization_portal.dashboard.views import _workspaces

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
WEBHOOK_PREFIX = "/webhooks/"
PLAIN_500 = (
    "<!doctype html><title>Server error · Diarization Portal</title>"
    "<h1>Server error</h1><p>The portal failed to answer this request.</p>"
    '<p><a href="/">Back to the dashboard</a></p>'
)


def _is_api(request: HttpRequest) -> bool:
    """Whether the path answers JSON: the REST API and the vendor webhooks."""
    return request.path.startswith((API_PREFIX, WEBHOOK_PREFIX))


def nav_context(request: HttpRequest) -> dict:
    """What ``base.html`` needs for the signed-in user's navigation: their memberships, and
    the workspace itself when they belong to exactly one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    workspaces = _workspaces(user)
    context: dict = {"workspaces": workspaces}
    if len(workspaces) == 1:
        context["membership"] = workspaces[0]
        context["workspace"] = workspaces[0].workspace
    return context


def _page(request: HttpRequest, template: str, status: int, **extra) -> HttpResponse:
    return render(request, template, {**nav_context(request), **extra}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """400 (also a request for a host not in ``ALLOWED_HOSTS``)."""
    if _is_api(request):
        return JsonResponse(error_body("bad_request", "The request is not valid."), status=400)
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """403: the message of the ``PermissionDenied`` raised (written for the user), if any."""
    message = str(exception or "")
    if _is_api(request):
        return JsonResponse(
            error_body("permission_denied", message or "You may not do this."), status=403
        )
    return _page(request, "403.html", 403, reason=message)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: the path asked for; not the reason (it would name models and lookups)."""
    if _is_api(request):
        return JsonResponse(
            error_body("not_found", f"No API endpoint at {request.path}"), status=404
        )
    return _page(request, "404.html", 404, request_path=request.path)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """500, rendered as safely as possible (see the module docstring)."""
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "The server failed to answer this request."), status=500
        )
    try:
        return _page(request, "500.html", 500)
    except Exception:
        log.exception("The 500 page failed with the request; rendered without it")
    try:
        return HttpResponse(loader.get_template("500.html").render(), status=500)
    except Exception:
        log.exception("The 500 page failed to render; plain HTML sent")
        return HttpResponse(PLAIN_500, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: 403 when a form came back without a valid CSRF token (a page
    left open past a log-out or log-in, cookies refused). Django's reason is shown only while
    ``DEBUG`` is on."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    if _is_api(request):
        return JsonResponse(
            error_body("permission_denied", f"CSRF check failed: {reason}"), status=403
        )
    return _page(
        request,
        "403_csrf.html",
        403,
        no_cookie=reason == REASON_NO_CSRF_COOKIE,
        reason=reason if settings.DEBUG else "",
    )
