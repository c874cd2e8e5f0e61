"""The dashboard page where a user creates and revokes their API keys (``/account/api-keys/``).

The full key is shown once, in the reply to the POST that created it (``Cache-Control:
no-store``); it is stored nowhere, only its prefix and SHA-256 are.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from diarization_portal.workspaces.models import Membership

from .models import ApiKey
from .services import api_key_create, api_key_revoke


class ApiKeyForm(forms.Form):
    """The name of a new API key."""

    name = forms.CharField(
        max_length=100,
        help_text="What the key is for, e.g. “CRM sync”.",
        widget=forms.TextInput(attrs={"placeholder": "CRM sync", "autocomplete": "off"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """List the user's keys; a valid POST creates one and shows it in full, once."""
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        key, raw = api_key_create(user=request.user, name=form.cleaned_data["name"])
        created = {"key": key, "raw": raw}
        form = ApiKeyForm()
    response = render(
        request,
        "api/api_keys.html",
        {
            "form": form,
            "created": created,
            "keys": ApiKey.objects.filter(user=request.user),
            "workspaces": list(
                Membership.objects.filter(user=request.user)
                .select_related("workspace")
                .order_by("workspace__name")
            ),
        },
        status=400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's keys (another user's key is a 404)."""
    key = get_object_or_404(ApiKey, pk=pk, user=request.user)
    api_key_revoke(key=key)
    flash.success(request, f"Revoked the key “{key.name}” ({key.prefix}…).")
    return redirect("api:api_keys")
