"""Transcript file imports from the dashboard: a new conversation, or a further recording
appended to one.

Files up to ``settings.IMPORT_BACKGROUND_BYTES`` are imported within the request; larger ones
by a background task (:mod:`diarization_portal.conversations.services.file_jobs`) whose job
the conversation page's job panel follows. Files over ``settings.IMPORT_MAX_BYTES`` are a 413
with the limit on the form (announced over it: answered before the body is read,
:mod:`diarization_portal.uploads`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from diarization_portal.conversations.services.file_jobs import file_import_queue
from diarization_portal.conversations.services.imports import ImportRejected, file_import
from diarization_portal.uploads import human_size, import_upload, too_large_message
from diarization_portal.workspaces.access import workspace_for
from providers.types import ParseError

from .forms import ImportForm
from .views import _conversation, _form_page


def _import(request: HttpRequest, membership, *, into=None):
    """Run the import the form asks for; return ``(redirect or None, form)``."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return None, form
    upload, fields = form.cleaned_data["file"], form.cleaned_data
    options = {
        "workspace": membership.workspace,
        "source_name": upload.name,
        "format": fields["format"],
        "title": fields["title"] or None,
        "into": into,
    }
    try:
        if upload.size > settings.IMPORT_BACKGROUND_BYTES:
            job = file_import_queue(upload=upload, **options)
        else:
            result = file_import(data=upload.read(), **options)
    except (ParseError, ImportRejected) as exc:
        form.add_error("file", str(exc))
        return None, form
    if upload.size > settings.IMPORT_BACKGROUND_BYTES:
        flash.success(
            request,
            f"Importing {upload.name} in the background ({human_size(upload.size)}): "
            "follow its job below; the transcript appears once it is done.",
        )
        url = reverse("dashboard:conversation_detail", args=[job.conversation_id])
        return redirect(f"{url}#jobs"), form
    made = result.created
    flash.success(
        request,
        f"{'Appended' if into else 'Imported'} {upload.name}: {made['members']} new "
        f"speakers, {made['messages']} new messages, {made['insights']} new insights.",
    )
    return redirect("dashboard:conversation_detail", pk=result.conversation.pk), form


def _page(request: HttpRequest, form, membership, **extra) -> HttpResponse:
    response = _form_page(request, "dashboard/import.html", form, membership, **extra)
    if form.has_error("file", "too_large"):
        response.status_code = 413
    return response


def _too_large_form() -> ImportForm:
    form = ImportForm()
    form.errors["file"] = form.error_class([too_large_message()])
    return form


@login_required
def _new_too_large(request: HttpRequest, slug: str) -> HttpResponse:
    membership = workspace_for(request.user, slug, edit=True)
    return _form_page(request, "dashboard/import.html", _too_large_form(), membership, status=413)


@login_required
def _append_too_large(request: HttpRequest, pk: int) -> HttpResponse:
    conversation, membership = _conversation(request, pk, edit=True)
    form = _too_large_form()
    return _form_page(
        request, "dashboard/import.html", form, membership, conversation=conversation, status=413
    )


@import_upload(_new_too_large)
@login_required
@require_http_methods(["GET", "POST"])
def conversation_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a diarized transcript file as a new conversation."""
    membership = workspace_for(request.user, slug, edit=True)
    response, form = _import(request, membership)
    return response or _page(request, form, membership)


@import_upload(_append_too_large)
@login_required
@require_http_methods(["GET", "POST"])
def recording_append(request: HttpRequest, pk: int) -> HttpResponse:
    """Append a further recording (file) to a conversation; its speakers become new members."""
    conversation, membership = _conversation(request, pk, edit=True)
    response, form = _import(request, membership, into=conversation)
    return response or _page(request, form, membership, conversation=conversation)
