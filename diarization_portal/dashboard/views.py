"""Dashboard views: thin functions that check access, call a service and render.

Every edit answers an htmx request with the re-rendered conversation body (speakers panel,
transcript page, insights and history swap in place) and a plain POST with a redirect back to
the conversation, so the forms work without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from diarization_portal.conversations.models import Conversation, Member, SpeakerEdit
from diarization_portal.conversations.services import speakers
from diarization_portal.workspaces.access import membership_for, workspace_for
from diarization_portal.workspaces.models import Membership

from .forms import MergeForm, RenameForm, SelectionForm
from .presenters import conversation_context, share_links_context


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their first workspace, or explain that they have none."""
    first = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .order_by("workspace__name")
        .first()
    )
    if first is None:
        return render(request, "dashboard/no_workspace.html", status=200)
    return redirect("dashboard:conversation_list", slug=first.workspace.slug)


def _workspaces(user) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def _form_page(
    request: HttpRequest,
    template: str,
    form,
    membership: Membership,
    *,
    status: int | None = None,
    **extra,
) -> HttpResponse:
    """Render the form page ``template`` of ``membership``'s workspace with ``form`` and
    ``extra`` context; ``status``, else 400 when the form has errors."""
    return render(
        request,
        template,
        {
            "form": form,
            "workspace": membership.workspace,
            "membership": membership,
            "workspaces": _workspaces(request.user),
            **extra,
        },
        status=status or (400 if form.errors else 200),
    )


@login_required
@require_GET
def conversation_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Conversations of one workspace with their figures and latest job state (one query
    whatever their number)."""
    membership = workspace_for(request.user, slug)
    conversations = (
        Conversation.objects.filter(workspace=membership.workspace)
        .with_stats()
        .with_latest_job()
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "dashboard/conversation_list.html",
        {
            "membership": membership,
            "workspace": membership.workspace,
            "workspaces": _workspaces(request.user),
            "conversations": conversations,
        },
    )


def _conversation(request: HttpRequest, pk: int, *, edit: bool = False):
    conversation = get_object_or_404(Conversation.objects.select_related("workspace"), pk=pk)
    membership = membership_for(request.user, conversation.workspace_id, edit=edit)
    return conversation, membership


def _page(request: HttpRequest) -> int:
    raw = request.POST.get("page") or request.GET.get("page") or "1"
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


@login_required
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Speakers panel, transcript in speaker turns, insights and edit history."""
    conversation, membership = _conversation(request, pk)
    context = conversation_context(conversation, membership, page=_page(request))
    context["workspaces"] = _workspaces(request.user)
    template = "dashboard/conversation_detail.html"
    if request.htmx and request.htmx.target == "conversation-body":
        template = "dashboard/_conversation_body.html"
    elif membership.can_edit:
        context.update(share_links_context(conversation))
    return render(request, template, context)


def _after_edit(request: HttpRequest, conversation, membership, *, error: str = "", note: str = ""):
    """htmx: the fresh conversation body; plain POST: flash and redirect to the page."""
    page = _page(request)
    if request.htmx:
        context = conversation_context(conversation, membership, page=page)
        context.update(error=error, note=note)
        return render(request, "dashboard/_conversation_body.html", context)
    if error:
        flash.error(request, error)
    elif note:
        flash.success(request, note)
    url = reverse("dashboard:conversation_detail", args=[conversation.pk])
    return redirect(f"{url}?{urlencode({'page': page})}" if page > 1 else url)


def _apply(request: HttpRequest, conversation, membership, operation) -> HttpResponse:
    """Run ``operation()`` (a speaker service call returning a SpeakerEdit) and answer with
    its summary, or with the reason it was refused (a lost race with another edit of the
    same speakers, :class:`~.speakers.ConcurrentEdit`: "Someone changed these speakers —
    reload", over the freshly rendered speakers)."""
    try:
        edit = operation()
    except speakers.SpeakerOperationError as exc:  # ConcurrentEdit: "… — reload"
        return _after_edit(request, conversation, membership, error=str(exc))
    return _after_edit(request, conversation, membership, note=edit.summary)


def _form_error(form) -> str:
    return "; ".join(
        f"{'' if field == '__all__' else field + ': '}{' '.join(errors)}"
        for field, errors in form.errors.items()
    )


@login_required
@require_POST
def member_rename(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Rename a speaker (and set its email; an email of another speaker merges into it)."""
    conversation, membership = _conversation(request, pk, edit=True)
    member = get_object_or_404(Member, pk=member_pk, conversation=conversation)
    form = RenameForm(request.POST)
    if not form.is_valid():
        return _after_edit(request, conversation, membership, error=_form_error(form))
    email = form.cleaned_data["email"] if "email" in request.POST else None
    return _apply(
        request,
        conversation,
        membership,
        lambda: speakers.member_rename(
            member=member, name=form.cleaned_data["name"], email=email, user=request.user
        ),
    )


@login_required
@require_POST
def member_merge(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Merge a speaker into another speaker of the same conversation."""
    conversation, membership = _conversation(request, pk, edit=True)
    source = get_object_or_404(Member, pk=member_pk, conversation=conversation)
    targets = Member.objects.live().filter(conversation=conversation).exclude(pk=source.pk)
    form = MergeForm(request.POST, targets=targets)
    if not form.is_valid():
        return _after_edit(request, conversation, membership, error=_form_error(form))
    target = targets.get(pk=form.cleaned_data["target"])
    return _apply(
        request,
        conversation,
        membership,
        lambda: speakers.member_merge(source=source, target=target, user=request.user),
    )


@login_required
@require_POST
def messages_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the ticked messages (one or several) to another speaker."""
    conversation, membership = _conversation(request, pk, edit=True)
    form = SelectionForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["member"]:
        error = _form_error(form) if form.errors else "Choose who said these messages."
        return _after_edit(request, conversation, membership, error=error)
    member = Member.objects.filter(
        conversation=conversation, pk=form.cleaned_data["member"]
    ).first()
    if member is None:
        return _after_edit(request, conversation, membership, error="No such speaker here.")
    return _apply(
        request,
        conversation,
        membership,
        lambda: speakers.messages_reassign(
            messages=form.cleaned_data["messages"], member=member, user=request.user
        ),
    )


@login_required
@require_POST
def messages_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the ticked messages a new speaker (one diarized label that hid two people)."""
    conversation, membership = _conversation(request, pk, edit=True)
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return _after_edit(request, conversation, membership, error=_form_error(form))
    return _apply(
        request,
        conversation,
        membership,
        lambda: speakers.messages_split(
            conversation=conversation,
            messages=form.cleaned_data["messages"],
            name=form.cleaned_data["name"],
            user=request.user,
        )[0],
    )


@login_required
@require_POST
def edit_undo(request: HttpRequest, pk: int, edit_pk: int) -> HttpResponse:
    """Undo one recorded speaker edit."""
    conversation, membership = _conversation(request, pk, edit=True)
    edit = get_object_or_404(SpeakerEdit, pk=edit_pk, conversation=conversation)
    try:
        speakers.edit_undo(edit=edit, user=request.user)
    except speakers.ConcurrentEdit as exc:
        return _after_edit(request, conversation, membership, error=str(exc))
    except speakers.SpeakerOperationError as exc:
        return _after_edit(request, conversation, membership, error=f"Cannot undo: {exc}")
    return _after_edit(request, conversation, membership, note=f"Undone: {edit.summary}")
