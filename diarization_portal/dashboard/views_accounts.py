"""Provider accounts of a workspace: list, add, edit, delete (workspace admins only).

Secrets are write-only: pages show whether each one is set, never its value (the inputs are
blank password fields). Other members get 403, non-members 404
(:func:`~diarization_portal.workspaces.access.workspace_admin_for`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from diarization_portal.conversations.models import Vendor
from diarization_portal.sync.forms import secret_status
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import accounts as services
from diarization_portal.sync.services.jobs import ACTIVE
from diarization_portal.workspaces.access import workspace_admin_for
from diarization_portal.workspaces.models import Membership

from .forms_accounts import AccountForm, VendorPickForm, vendor_choice
from .views import _workspaces
from .views_engines import engines_context


def elevenlabs_webhook_url(account: ProviderAccount) -> str | None:
    """The absolute URL to enter at ElevenLabs for speech-to-text webhooks of ``account``
    (``/webhooks/elevenlabs/<id>/`` on ``settings.PUBLIC_BASE_URL``), or ``None`` when
    ``PUBLIC_BASE_URL`` is blank (no webhooks: jobs are polled)."""
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    if not base:
        return None
    return f"{base}{reverse('sync:elevenlabs_webhook', args=[account.pk])}"


def _context(request: HttpRequest, membership: Membership, **extra) -> dict:
    return {
        "membership": membership,
        "workspace": membership.workspace,
        "workspaces": _workspaces(request.user),
        "public_base_url": getattr(settings, "PUBLIC_BASE_URL", ""),
        **extra,
    }


def _accounts(workspace):
    return ProviderAccount.objects.filter(workspace=workspace).annotate(
        job_count=Count("jobs"),
        active_job_count=Count("jobs", filter=Q(jobs__state__in=ACTIVE)),
    )


@login_required
@require_GET
def account_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The workspace's accounts: vendor, label, region/URL, which secrets are set, jobs
    (one query whatever their number)."""
    membership = workspace_admin_for(request.user, slug)
    accounts = list(_accounts(membership.workspace).order_by("label", "pk"))
    for account in accounts:
        account.secret_rows = secret_status(account)
        account.webhook_url = (
            elevenlabs_webhook_url(account) if account.vendor == Vendor.ELEVENLABS else None
        )
    return render(
        request,
        "dashboard/account_list.html",
        _context(request, membership, accounts=accounts, pick=VendorPickForm()),
    )


def _save(request: HttpRequest, membership: Membership, form: AccountForm, verb: str):
    """Save a valid POSTed ``form`` through the account services; ``None`` when there is
    nothing to save or it is invalid (the form then carries the errors)."""
    if request.method != "POST" or not form.is_valid():
        return None
    fields = {
        "label": form.cleaned_data["label"],
        "base_url": form.cleaned_data["base_url"],
        "secrets": form.typed_secrets(),
    }
    try:
        if form.instance.pk is None:
            account = services.account_create(
                workspace=membership.workspace, vendor=form.instance.vendor, **fields
            )
        else:
            account = services.account_update(account=form.instance, **fields)
    except services.AccountInvalid as err:
        form.add_account_errors(err)
        return None
    flash.success(request, f"{verb} account “{account.label}”.")
    return redirect("dashboard:account_list", slug=membership.workspace.slug)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an account of the vendor named by ``?vendor=`` (without it: pick the vendor)."""
    membership = workspace_admin_for(request.user, slug)
    vendor = vendor_choice(request.GET.get("vendor"))
    if vendor is None:
        pick = VendorPickForm(request.GET if "vendor" in request.GET else None)
        return render(
            request,
            "dashboard/account_pick.html",
            _context(request, membership, pick=pick),
            status=400 if pick.errors else 200,
        )
    form = AccountForm(request.POST or None, workspace=membership.workspace, vendor=vendor)
    response = _save(request, membership, form, "Added")
    return response or render(
        request,
        "dashboard/account_form.html",
        _context(request, membership, form=form, vendor_label=dict(Vendor.choices)[vendor]),
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change the label, region/URL or secrets (blank secret inputs keep the stored ones).
    ElevenLabs accounts also list their linked Speech Engines (:mod:`.views_engines`)."""
    membership = workspace_admin_for(request.user, slug)
    account = get_object_or_404(_accounts(membership.workspace), pk=pk)
    form = AccountForm(request.POST or None, workspace=membership.workspace, instance=account)
    response = _save(request, membership, form, "Saved")
    return response or account_edit_page(
        request, account, membership=membership, form=form, status=400 if form.errors else 200
    )


def account_edit_page(
    request: HttpRequest,
    account: ProviderAccount,
    *,
    membership: Membership | None = None,
    form: AccountForm | None = None,
    engine_form=None,
    status: int = 200,
) -> HttpResponse:
    """Render the account page of ``account`` (the account form, and for ElevenLabs the
    webhook URL and the Speech Engines section)."""
    membership = membership or workspace_admin_for(request.user, account.workspace.slug)
    account = _accounts(membership.workspace).get(pk=account.pk)
    form = form or AccountForm(workspace=membership.workspace, instance=account)
    extra = {}
    webhook = None
    if account.vendor == Vendor.ELEVENLABS:
        webhook = elevenlabs_webhook_url(account)
        account.workspace = membership.workspace
        extra = engines_context(account, engine_form)
        extra.pop("account")
    return render(
        request,
        "dashboard/account_form.html",
        _context(
            request,
            membership,
            form=form,
            account=account,
            vendor_label=account.get_vendor_display(),
            secret_rows=secret_status(account),
            webhook_url=webhook,
            **extra,
        ),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: what deleting the account does to its jobs; POST: delete it.

    ``Job.account`` is ``on_delete=SET_NULL``: jobs and their conversations stay, unfinished
    jobs fail at their next step ("the provider account of this job was deleted") and speaker
    edits of those conversations are no longer pushed to the vendor.
    """
    membership = workspace_admin_for(request.user, slug)
    account = get_object_or_404(_accounts(membership.workspace), pk=pk)
    if request.method == "POST":
        label = account.label
        services.account_delete(account=account)
        flash.success(request, f"Deleted account “{label}”.")
        return redirect("dashboard:account_list", slug=membership.workspace.slug)
    conversations = account.jobs.values("conversation").distinct().count()
    return render(
        request,
        "dashboard/account_confirm_delete.html",
        _context(request, membership, account=account, conversation_count=conversations),
    )
