"""Dashboard views of the vendor sync: send a recording to a vendor (a new conversation or an
append), the job panel with its Retry, and the speakers panel's push states.

The panels are fragments that refresh themselves with htmx polling while something is in
flight (a job not finished, a member push pending). When a job the panel saw active is
``done``, its answer carries the ``conversation-imported`` event (``HX-Trigger``), on which
the conversation page reloads ``#conversation-body`` so the imported speakers appear.
Without JavaScript the forms post and redirect, and the page shows the same states.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
)
from diarization_portal.sync import services
from diarization_portal.sync.adapters import adapters
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.access import workspace_for
from diarization_portal.workspaces.models import Role

from .forms_jobs import RecordingForm
from .presenters import speakers_context
from .presenters_sync import jobs_context
from .views import _conversation, _form_page, _page

#: htmx event sent when a job the job panel saw active has been imported.
IMPORTED_EVENT = "conversation-imported"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _send(request: HttpRequest, membership, accounts, *, conversation: Conversation | None = None):
    """Show or handle :class:`RecordingForm`; on success create the job and redirect."""
    latest = (
        conversation.jobs.exclude(account=None).order_by("-pk").first() if conversation else None
    )
    form = RecordingForm(
        request.POST or None,
        request.FILES or None,
        accounts=accounts,
        append=conversation is not None,
        initial={"account": latest.account_id} if latest else None,
    )
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        adapter = adapters.get(account.vendor)
        vendor_append = (
            conversation is not None and adapter and adapter.appends_to_vendor_conversation
        )
        if vendor_append and not conversation.external_id:
            form.add_error(
                None,
                "This conversation has no Symbl conversation yet: wait until its first "
                "recording is submitted, then append.",
            )
        if not form.errors:
            try:
                job = services.job_create(
                    kind=JobKind.APPEND if conversation else JobKind.PROCESS,
                    conversation=conversation,
                    **form.job_input(),
                )
            except services.JobInputError as err:
                form.add_error(form.input_field(err.field), f"{_sentence(str(err))}.")
            else:
                what = job.source_name or "the recording"
                flash.success(
                    request,
                    f"Sent {what} to {account.label} ({account.get_vendor_display()}). "
                    "The job panel shows its progress.",
                )
                return redirect("dashboard:conversation_detail", pk=job.conversation_id)
    accounts_list = list(accounts)
    return _form_page(
        request,
        "dashboard/recording_form.html",
        form,
        membership,
        accounts=accounts_list,
        incomplete=[a for a in accounts_list if a.missing_secrets()],
        is_admin=membership.role == Role.ADMIN,
        conversation=conversation,
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest, slug: str) -> HttpResponse:
    """A new conversation from a recording sent to one of the workspace's vendor accounts."""
    membership = workspace_for(request.user, slug, edit=True)
    accounts = ProviderAccount.objects.filter(workspace=membership.workspace).order_by(
        "label", "pk"
    )
    return _send(request, membership, accounts)


@login_required
@require_http_methods(["GET", "POST"])
def recording_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Append a recording to a vendor conversation through an account of the same vendor
    (Symbl appends into the same Symbl conversation; the others add its speakers as new
    members)."""
    conversation, membership = _conversation(request, pk, edit=True)
    accounts = ProviderAccount.objects.filter(
        workspace=conversation.workspace_id, vendor=conversation.vendor
    ).order_by("label", "pk")
    return _send(request, membership, accounts, conversation=conversation)


def _active_ids(raw: str) -> set[int]:
    return {int(part) for part in raw.split(",") if part.strip().isdigit()}


def _job_panel(request: HttpRequest, conversation, membership, **extra) -> HttpResponse:
    context = {
        "conversation": conversation,
        "can_edit": membership.can_edit,
        **jobs_context(conversation),
        **extra,
    }
    response = render(request, "dashboard/_jobs.html", context)
    seen_active = _active_ids(request.GET.get("active", ""))
    if any(job.pk in seen_active and job.state == JobState.DONE for job in context["jobs"]):
        trigger_client_event(response, IMPORTED_EVENT)
    return response


def _back(conversation, anchor: str, request: HttpRequest | None = None, *, error="", note=""):
    """Redirect to ``anchor`` on the conversation page, flashing ``error`` or ``note``."""
    if error:
        flash.error(request, error)
    elif note:
        flash.success(request, note)
    return redirect(f"{reverse('dashboard:conversation_detail', args=[conversation.pk])}#{anchor}")


@login_required
@require_GET
def job_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The job panel fragment (htmx polls it while a job is active). ``?active=3,7``: the
    jobs the caller saw active; if one of them is now done, the answer carries the
    ``conversation-imported`` event. A plain GET goes to the conversation page."""
    conversation, membership = _conversation(request, pk)
    if not request.htmx:
        return _back(conversation, "jobs")
    return _job_panel(request, conversation, membership)


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    """Retry a failed or rejected vendor job (:func:`sync.services.job_retry`)."""
    conversation, membership = _conversation(request, pk, edit=True)
    job = get_object_or_404(Job, pk=job_pk, conversation=conversation)
    try:
        job = services.job_retry(job_id=job.pk)
    except services.RetryRefused as err:
        error, note = f"Cannot retry: {err}.", ""
    else:
        error, note = "", f"Retrying {job.source_name or 'the job'}: {job.get_state_display()}."
    if request.htmx:
        return _job_panel(request, conversation, membership, error=error, note=note)
    return _back(conversation, "jobs", request, error=error, note=note)


@login_required
@require_GET
def speakers_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The speakers panel fragment (htmx polls it while a member push is pending)."""
    conversation, membership = _conversation(request, pk)
    if not request.htmx:
        return _back(conversation, "speakers")
    context = speakers_context(conversation, membership, page=_page(request))
    return render(request, "dashboard/_speakers.html", context)


@login_required
@require_POST
def member_push_retry(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Push a member whose push failed again (:func:`sync.services.member_push_retry`)."""
    conversation, membership = _conversation(request, pk, edit=True)
    member = get_object_or_404(Member, pk=member_pk, conversation=conversation)
    try:
        services.member_push_retry(member_id=member.pk)
    except services.RetryRefused as err:
        error, note = f"Cannot retry: {err}.", ""
    else:
        vendor = conversation.get_vendor_display()
        error, note = "", f"Sending {member.name} to {vendor} again."
    if request.htmx:
        context = speakers_context(conversation, membership, page=_page(request))
        context.update(sync_error=error, sync_note=note)
        return render(request, "dashboard/_speakers.html", context)
    return _back(conversation, "speakers", request, error=error, note=note)
