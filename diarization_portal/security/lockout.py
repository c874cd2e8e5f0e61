"""The page a locked-out login gets (django-axes' ``AXES_LOCKOUT_CALLABLE``).

After ``LOGIN_FAILURE_LIMIT`` failed logins for one username, or from one address (whatever the
usernames tried), logins are refused for ``LOGIN_COOLOFF_MINUTES`` minutes, the right password
included. The refusal is the login form itself, the portal's or the admin's, with a message that
says so, and status 429.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


def lockout_message() -> str:
    """The text shown to a locked-out login, naming the cool-off in minutes."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed login attempts for this account or from your address. "
        f"Logging in is blocked for {minutes} {unit}; try again later."
    )


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """The login page of the site that was asked (admin or portal) with the lockout message,
    status 429 (Too Many Requests)."""
    context = {"lockout_message": lockout_message(), "locked_out": True}
    if request.path.startswith(reverse("admin:index")):
        context.update(
            admin.site.each_context(request),
            title="Log in",
            site_header=admin.site.site_header,
            app_path=request.get_full_path(),
            form=AdminAuthenticationForm(request),
            username=request.POST.get("username", ""),
        )
        return render(request, "admin/login.html", context, status=429)
    context.update(form=AuthenticationForm(request), next=request.POST.get("next", ""))
    return render(request, "registration/login.html", context, status=429)
