"""ElevenLabs Speech Engines on the account page (workspace admins only): link one by id,
refresh it, unlink it. What ``GET /v1/speech-engine/{id}`` returned is read in the
background (django-q2 task ``refresh_speech_engine``); while a read is pending the section
polls itself with htmx. Each engine shows a warning where its privacy contradicts the
workspace's (:func:`~diarization_portal.sync.services.engines.privacy_conflicts`).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from diarization_portal.conversations.models import Vendor
from diarization_portal.sync.models import ProviderAccount, SpeechEngineLink, SpeechEngineState
from diarization_portal.sync.services import engines as services
from diarization_portal.workspaces.access import workspace_admin_for


class EngineLinkForm(forms.Form):
    engine_id = forms.CharField(
        label="Speech Engine id",
        max_length=200,
        help_text="As shown at ElevenLabs (seng_… or agent_…). The portal reads its settings "
        "now and every hour.",
    )


def engine_rows(account: ProviderAccount) -> list[SpeechEngineLink]:
    """The account's linked engines (one query), each with ``engine`` (the last read, or
    None) and ``conflicts`` (list of :class:`PrivacyConflict` against the workspace)."""
    links = list(SpeechEngineLink.objects.filter(account=account).order_by("engine_id"))
    for link in links:
        link.info = link.engine
        link.conflicts = (
            services.privacy_conflicts(link.info.privacy, account.workspace)
            if link.info is not None
            else []
        )
    return links


def engines_context(account: ProviderAccount, form: EngineLinkForm | None = None) -> dict:
    rows = engine_rows(account)
    return {
        "account": account,
        "engines": rows,
        "engines_pending": any(r.state == SpeechEngineState.PENDING for r in rows),
        "engine_form": form or EngineLinkForm(),
    }


def _account(request: HttpRequest, slug: str, pk: int) -> ProviderAccount:
    membership = workspace_admin_for(request.user, slug)
    account = get_object_or_404(
        ProviderAccount.objects.select_related("workspace"), pk=pk, workspace=membership.workspace
    )
    if account.vendor != Vendor.ELEVENLABS:
        raise Http404("Only ElevenLabs accounts have Speech Engines")
    return account


def _back(account: ProviderAccount) -> HttpResponse:
    return redirect("dashboard:account_edit", slug=account.workspace.slug, pk=account.pk)


@login_required
@require_GET
def speech_engines(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The Speech Engines section alone (htmx polls it while a read is pending)."""
    account = _account(request, slug, pk)
    return render(request, "dashboard/_speech_engines.html", engines_context(account))


@login_required
@require_POST
def speech_engine_link(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Link an engine by id and start reading it; 400 with the error for a bad id."""
    account = _account(request, slug, pk)
    form = EngineLinkForm(request.POST)
    if form.is_valid():
        try:
            link = services.speech_engine_link(
                account=account, engine_id=form.cleaned_data["engine_id"]
            )
        except services.SpeechEngineInvalid as err:
            form.add_error(err.field, str(err))
        else:
            flash.success(request, f"Linked Speech Engine {link.engine_id}; reading it now.")
            return _back(account)
    from .views_accounts import account_edit_page

    return account_edit_page(request, account, engine_form=form, status=400)


@login_required
@require_POST
def speech_engine_refresh(request: HttpRequest, slug: str, pk: int, link_pk: int) -> HttpResponse:
    """Read the engine again in the background."""
    account = _account(request, slug, pk)
    link = get_object_or_404(SpeechEngineLink, pk=link_pk, account=account)
    services.speech_engine_refresh_request(link=link)
    if request.htmx:
        return render(request, "dashboard/_speech_engines.html", engines_context(account))
    return _back(account)


@login_required
@require_POST
def speech_engine_unlink(request: HttpRequest, slug: str, pk: int, link_pk: int) -> HttpResponse:
    """Forget the engine (nothing changes at ElevenLabs)."""
    account = _account(request, slug, pk)
    link = get_object_or_404(SpeechEngineLink, pk=link_pk, account=account)
    services.speech_engine_unlink(link=link)
    flash.success(request, f"Unlinked Speech Engine {link.engine_id}.")
    return _back(account)
