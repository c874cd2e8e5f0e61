"""Provider accounts (DESIGN §2, ``ProviderAccount``): the rules for adding, changing and
deleting one, shared by the dashboard's account pages and the REST API.

Rules:

* the vendor is one of :data:`~diarization_portal.sync.models.ACCOUNT_VENDORS` and never
  changes (the account's secrets and jobs belong to that vendor);
* the label is required (at most 120 characters, surrounding blanks dropped) and unique in
  the workspace, whatever its case;
* ``base_url`` is checked by :meth:`ProviderAccount.clean` (an ElevenLabs region, the
  Phonexia server URL, else blank or an http(s) URL);
* secrets are write-only: only the vendor's own can be given (:func:`secret_names`), a blank
  or missing value keeps the stored one, and the vendor's required secrets
  (:data:`~diarization_portal.sync.models.REQUIRED_SECRETS`) must be stored or given;
* a stored secret is only ever sent where it was entered for: changing the base URL (the
  host it resolves to) or the vendor requires typing every stored vendor secret again
  (:func:`reentry_errors`).

Secret values are never logged nor put in an error message; logs name the secrets changed.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from diarization_portal.conversations.models import Vendor
from diarization_portal.workspaces.models import Workspace

from ..models import SECRET_NAMES, ProviderAccount

logger = logging.getLogger(__name__)

#: The ElevenLabs webhook signing secret: a secret of its own field, not of ``secrets``.
WEBHOOK_SECRET = "webhook_secret"
#: Every secret name an account can take, in the order they are shown.
ALL_SECRETS = ("app_id", "app_secret", "api_key", WEBHOOK_SECRET)
UNUSED_SECRET = "This vendor does not use this secret."
REQUIRED_SECRET = "Required for this vendor."
LABEL_TAKEN = "Another account of this workspace has this label."
SECRET_AGAIN = (
    "Enter this secret again: the base URL changed, and a stored secret is only sent to the "
    "URL it was entered for."
)


class AccountInvalid(ValueError):
    """An account cannot be saved as asked. ``errors``: ``{field: [message, ...]}`` where
    ``field`` is a model field (``vendor``, ``label``, ``base_url``) or a secret name of
    :data:`ALL_SECRETS`. Messages never contain a secret value."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        )


def secret_names(vendor: str) -> list[str]:
    """Secret names of :data:`ALL_SECRETS` that ``vendor``'s accounts take (the ElevenLabs
    webhook secret included)."""
    used = set(SECRET_NAMES.get(vendor, ()))
    if vendor == Vendor.ELEVENLABS:
        used.add(WEBHOOK_SECRET)
    return [name for name in ALL_SECRETS if name in used]


def secret_errors(
    *, vendor: str, stored: Mapping[str, str] | None, typed: Mapping[str, str | None]
) -> dict[str, str]:
    """``{secret name: message}`` for the secrets ``typed`` (name → value, blank = keep) for an
    account of ``vendor`` whose ``stored`` secrets are given: a secret the vendor does not use
    (:data:`UNUSED_SECRET`), and a required secret neither stored nor typed
    (:data:`REQUIRED_SECRET`)."""
    allowed = set(secret_names(vendor))
    errors = {
        name: UNUSED_SECRET
        for name in ALL_SECRETS
        if (typed.get(name) or "").strip() and name not in allowed
    }
    probe = ProviderAccount(vendor=vendor, secrets=dict(stored or {}))
    for name in probe.missing_secrets():
        if not (typed.get(name) or "").strip():
            errors.setdefault(name, REQUIRED_SECRET)
    return errors


def reentry_errors(
    *, stored: ProviderAccount, vendor: str, base_url: str | None, typed: Mapping[str, str | None]
) -> dict[str, str]:
    """``{secret name: SECRET_AGAIN}`` for each secret ``stored`` (the account as saved) holds
    that is not ``typed`` again, when the account's endpoint changes: another ``vendor``, or a
    ``base_url`` (``None`` = unchanged) that resolves to another URL
    (:attr:`ProviderAccount.resolved_base_url`: ``""`` and ``"default"`` are the same
    ElevenLabs region). Empty for a new account. The ElevenLabs webhook secret is not sent
    anywhere (it checks what ElevenLabs sends) and need not be typed again."""
    if stored.pk is None:
        return {}
    after = ProviderAccount(
        vendor=vendor, base_url=stored.base_url if base_url is None else base_url.strip()
    )
    if vendor == stored.vendor and after.resolved_base_url == stored.resolved_base_url:
        return {}
    return {
        name: SECRET_AGAIN
        for name in SECRET_NAMES.get(stored.vendor, ())
        if stored.secret(name) and not (typed.get(name) or "").strip()
    }


def label_error(*, workspace_id: int, label: str, exclude_pk: int | None = None) -> str | None:
    """:data:`LABEL_TAKEN` when another account of the workspace has ``label`` (ignoring
    case), else ``None``. One query."""
    clash = ProviderAccount.objects.filter(workspace_id=workspace_id, label__iexact=label.strip())
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return LABEL_TAKEN if clash.exists() else None


def _check(
    account: ProviderAccount,
    secrets: Mapping[str, str | None],
    stored: ProviderAccount | None = None,
) -> None:
    """Validate ``account`` (unsaved changes applied) and the ``secrets`` to store, against
    ``stored`` (the account as saved, for an update); raise :class:`AccountInvalid` with
    every error found."""
    errors: dict[str, list[str]] = {}
    if stored is not None:
        again = reentry_errors(
            stored=stored, vendor=account.vendor, base_url=account.base_url, typed=secrets
        )
        for name, message in again.items():
            errors.setdefault(name, []).append(message)
    account.label = (account.label or "").strip()
    try:
        account.full_clean(exclude=["workspace"], validate_unique=False, validate_constraints=False)
    except ValidationError as err:
        errors.update(err.message_dict)
    if account.label and "label" not in errors:
        taken = label_error(
            workspace_id=account.workspace_id, label=account.label, exclude_pk=account.pk
        )
        if taken:
            errors["label"] = [taken]
    if account.vendor in dict(SECRET_NAMES):
        typed = secret_errors(vendor=account.vendor, stored=account.secrets, typed=secrets)
        for name, message in typed.items():
            errors.setdefault(name, []).append(message)
    unknown = sorted(set(secrets) - set(ALL_SECRETS))
    for name in unknown:
        errors.setdefault(name, []).append("Not a secret of any vendor.")
    if errors:
        raise AccountInvalid(errors)


def _store(account: ProviderAccount, secrets: Mapping[str, str | None]) -> list[str]:
    """Put the typed (non-blank) ``secrets`` on ``account``; the names changed."""
    changed = account.set_secrets(
        **{name: value for name, value in secrets.items() if name in SECRET_NAMES[account.vendor]}
    )
    webhook = (secrets.get(WEBHOOK_SECRET) or "").strip()
    if webhook and webhook != account.webhook_secret:
        account.webhook_secret = webhook
        changed.append(WEBHOOK_SECRET)
    return changed


def _save(account: ProviderAccount) -> None:
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        # Another request took the label between the check and the save.
        raise AccountInvalid({"label": [LABEL_TAKEN]}) from None


@transaction.atomic
def account_create(
    *,
    workspace: Workspace,
    vendor: str,
    label: str,
    base_url: str = "",
    secrets: Mapping[str, str | None] | None = None,
) -> ProviderAccount:
    """Add a ``vendor`` account named ``label`` to ``workspace``.

    ``base_url``: region or server URL (see :class:`ProviderAccount`); ``secrets``: ``{name:
    value}`` with names of :func:`secret_names` (blank values are ignored; the vendor's
    required secrets must be there). Raises :class:`AccountInvalid` naming each bad field.
    Returns the saved account.
    """
    secrets = dict(secrets or {})
    account = ProviderAccount(
        workspace=workspace, vendor=vendor, label=label, base_url=base_url or ""
    )
    _check(account, secrets)
    stored = _store(account, secrets)
    _save(account)
    logger.info(
        "provider account %s added to workspace %s: %s %r, secrets %s",
        account.pk,
        workspace.slug,
        vendor,
        account.label,
        ", ".join(stored) or "none",
    )
    return account


@transaction.atomic
def account_update(
    *,
    account: ProviderAccount,
    label: str | None = None,
    base_url: str | None = None,
    secrets: Mapping[str, str | None] | None = None,
) -> ProviderAccount:
    """Change ``account``'s ``label``, ``base_url`` and secrets; ``None`` keeps a field, and a
    blank or missing secret keeps the stored value. The vendor and workspace never change.

    A ``base_url`` that changes where requests go requires the stored secrets to be given
    again (:func:`reentry_errors`). Raises :class:`AccountInvalid` naming each bad field
    (nothing is saved then). Returns the account as saved.
    """
    secrets = dict(secrets or {})
    current = ProviderAccount.objects.select_for_update(of=("self",)).select_related("workspace")
    current = current.get(pk=account.pk)
    stored = copy.copy(current)
    if label is not None:
        current.label = label
    if base_url is not None:
        current.base_url = base_url
    _check(current, secrets, stored)
    changed = _store(current, secrets)
    _save(current)
    logger.info(
        "provider account %s of workspace %s saved (%s %r), secrets replaced: %s",
        current.pk,
        current.workspace.slug,
        current.vendor,
        current.label,
        ", ".join(changed) or "none",
    )
    return current


@transaction.atomic
def account_delete(*, account: ProviderAccount) -> int:
    """Delete ``account``. Its jobs and their conversations stay (``Job.account`` becomes
    null): unfinished jobs fail at their next step ("the provider account of this job was
    deleted") and speaker edits of those conversations are no longer pushed to the vendor.
    Returns the number of jobs that used the account.

    The account row is locked before its jobs are counted: a job created with it (which
    takes a key-share lock on it) committed before then is counted, and none can be
    created until the delete commits."""
    ProviderAccount.objects.select_for_update().filter(pk=account.pk).first()
    jobs = account.jobs.count()
    pk, label = account.pk, account.label
    account.delete()
    logger.info("provider account %s (%r) deleted; %d jobs kept without it", pk, label, jobs)
    return jobs
