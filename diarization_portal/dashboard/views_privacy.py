"""Workspace privacy and retention settings (workspace admins only): the policy form, the
conversations the retention task will delete soon (with links to export them first) and
the reports of its latest runs."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from diarization_portal.conversations.models import Job
from diarization_portal.conversations.services.retention import RUNNING, conversations_due
from diarization_portal.workspaces.access import workspace_admin_for
from diarization_portal.workspaces.models import RetentionRun
from diarization_portal.workspaces.services import PRIVACY_FIELDS, workspace_privacy_update

from .forms_privacy import DueWindowForm, PrivacyForm
from .views import _workspaces

#: At most this many due conversations and runs are listed.
DUE_LIMIT = 100
RUN_LIMIT = 10
#: Export links offered for each due conversation (``/c/<id>/export.<fmt>``).
EXPORT_FORMATS = ("json", "vtt", "srt", "rttm")


def due_conversations(workspace, *, within_days: int, now=None) -> list:
    """The conversations due for deletion within ``within_days`` (at most
    :data:`DUE_LIMIT`), each with ``due_at`` (``created_at + retention_days``),
    ``message_count``, ``has_audio`` and ``busy`` (a job is running: it waits). One query."""
    now = now or timezone.now()
    rows = list(
        conversations_due(workspace, within_days=within_days, now=now)
        .annotate(
            message_count=Count("messages", distinct=True),
            has_audio=Exists(Job.objects.filter(conversation=OuterRef("pk")).exclude(media="")),
            busy=Exists(Job.objects.filter(conversation=OuterRef("pk"), state__in=RUNNING)),
        )
        .only("pk", "title", "created_at", "vendor")[:DUE_LIMIT]
    )
    for row in rows:
        row.due_at = row.created_at + timedelta(days=workspace.retention_days)
        row.overdue = row.due_at <= now
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def privacy_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form, the due list (``?days=N``, default 30) and the latest runs. POST: save
    the policy through :func:`workspace_privacy_update` (400 with the errors)."""
    membership = workspace_admin_for(request.user, slug)
    workspace = membership.workspace
    form = PrivacyForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        workspace_privacy_update(
            workspace=workspace, **{f: form.cleaned_data[f] for f in PRIVACY_FIELDS}
        )
        flash.success(request, "Saved the privacy and retention settings.")
        return redirect("dashboard:privacy_settings", slug=slug)
    if request.method == "POST":
        workspace.refresh_from_db()  # the lists show the stored policy, not the refused one
    window = DueWindowForm(request.GET).window()
    context = {
        "membership": membership,
        "workspace": workspace,
        "workspaces": _workspaces(request.user),
        "form": form,
        "window": window,
        "due": due_conversations(workspace, within_days=window),
        "due_limit": DUE_LIMIT,
        "export_formats": EXPORT_FORMATS,
        "runs": list(RetentionRun.objects.filter(workspace=workspace)[:RUN_LIMIT]),
    }
    return render(
        request, "dashboard/privacy_settings.html", context, status=400 if form.errors else 200
    )


__all__ = ["due_conversations", "privacy_settings"]
