"""Share links on the conversation page (editors and admins create, list and revoke them) and
the read-only page a link opens without logging in.

A new link is shown in full once, in the reply to the POST that created it (``Cache-Control:
no-store``); only its SHA-256 is stored. The shared page has no workspace menu, no link to other
conversations and no edit controls; a revoked or unknown token is a 404 at once.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from diarization_portal.conversations.models import ShareLevel, ShareLink
from diarization_portal.conversations.services.sharing import (
    share_link_create,
    share_link_for_token,
    share_link_revoke,
)
from diarization_portal.workspaces.sharing import ShareAccess

from .presenters import conversation_context, share_links_context
from .views import _conversation, _page, _workspaces


class ShareForm(forms.Form):
    """The access level of a new share link."""

    access_level = forms.ChoiceField(choices=ShareLevel.choices, initial=ShareLevel.VIEWER)


def _panel(request: HttpRequest, conversation, membership, *, status: int = 200, **extra):
    """htmx: the share panel alone; plain POST: the whole conversation page around it."""
    context = {"conversation": conversation, "can_edit": True, **share_links_context(conversation)}
    context.update(extra)
    if request.htmx:
        response = render(request, "dashboard/_share_links.html", context, status=status)
    else:
        page = conversation_context(conversation, membership, page=1)
        page.update(context, workspaces=_workspaces(request.user))
        response = render(request, "dashboard/conversation_detail.html", page, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def share_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a share link (editors and admins; 403 otherwise, 404 outside the workspace) and
    show it in full, once."""
    conversation, membership = _conversation(request, pk, edit=True)
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _panel(request, conversation, membership, status=400, share_error="Pick a level.")
    link, token = share_link_create(
        conversation=conversation,
        user=request.user,
        access_level=form.cleaned_data["access_level"],
    )
    url = request.build_absolute_uri(reverse("dashboard:shared_conversation", args=[token]))
    return _panel(request, conversation, membership, created={"link": link, "url": url})


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    """Revoke one of the conversation's links (editors and admins): it opens nothing from then
    on."""
    conversation, membership = _conversation(request, pk, edit=True)
    link = get_object_or_404(ShareLink, pk=link_pk, conversation=conversation)
    share_link_revoke(link=link)
    return _panel(request, conversation, membership, share_note="The link was revoked.")


@require_GET
def shared_conversation(request: HttpRequest, token: str) -> HttpResponse:
    """The conversation a share link opens, read-only, for anyone holding the link (no login).
    404 for an unknown or revoked token."""
    link = share_link_for_token(token)
    if link is None:
        raise Http404("No such share link")
    conversation = link.conversation
    access = ShareAccess(role=link.access_level, workspace=conversation.workspace, link=link)
    context = conversation_context(conversation, access, page=_page(request))
    context.update(shared=True, share_link=link, workspace=None, membership=None)
    response = render(request, "dashboard/shared_conversation.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
