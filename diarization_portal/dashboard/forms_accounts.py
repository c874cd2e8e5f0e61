"""Dashboard form of a workspace's provider account (vendor login).

Built on :class:`~diarization_portal.sync.forms.AccountSecretsForm`: secrets are blank
password inputs (blank keeps the stored value) and are never rendered back. The vendor is
chosen before the form is shown and is not a field (its secrets and jobs belong to that
vendor, so it cannot change); the form shows only that vendor's secret inputs.
"""

from __future__ import annotations

from django import forms

from diarization_portal.conversations.models import Vendor
from diarization_portal.sync.forms import (
    FIELD_OF_SECRET,
    SECRET_SHORT_LABELS,
    AccountSecretsForm,
    secret_fields_for,
)
from diarization_portal.sync.models import ACCOUNT_VENDORS, ProviderAccount
from diarization_portal.sync.services.accounts import AccountInvalid, label_error
from diarization_portal.workspaces.models import Workspace
from providers import elevenlabs

#: Label and help of ``base_url`` per vendor (ProviderAccount.clean validates it).
BASE_URL_FIELD = {
    Vendor.ELEVENLABS: (
        "Region",
        "One of: " + ", ".join(elevenlabs.REGIONS) + ". Blank = default (api.elevenlabs.io).",
    ),
    Vendor.PHONEXIA: (
        "Server URL",
        "Your Speech Platform server, e.g. https://phonexia.example:8600. Its host must be "
        "listed in the portal's VENDOR_EXTRA_HOSTS setting.",
    ),
    Vendor.SYMBL: (
        "Base URL",
        "Blank = https://api.symbl.ai. Another host (a proxy) must be listed in the portal's "
        "VENDOR_EXTRA_HOSTS setting.",
    ),
    Vendor.DEEPAFFECTS: (
        "Base URL",
        "Blank = the DeepAffects API. Another host (a proxy) must be listed in the portal's "
        "VENDOR_EXTRA_HOSTS setting.",
    ),
}
SECRET_HELP = {
    "webhook_signing_secret": "Write-only. Leave blank to keep the stored value. The signing "
    "secret ElevenLabs shows for the webhook; speech-to-text callbacks are verified with it.",
}


NEW_SECRET_HELP = {
    "": "Write-only: never shown again after saving.",
    "webhook_signing_secret": "Optional, write-only. The signing secret ElevenLabs shows for "
    "the webhook; speech-to-text callbacks are verified with it.",
}


def vendor_choice(raw: str | None) -> str | None:
    """``raw`` when it names a vendor an account can belong to, else ``None``."""
    return raw if raw in dict(ACCOUNT_VENDORS) else None


class VendorPickForm(forms.Form):
    """First step of "Add account": which vendor (a GET form)."""

    vendor = forms.ChoiceField(choices=ACCOUNT_VENDORS, label="Vendor")


class AccountForm(AccountSecretsForm):
    """Label, base URL / region and the write-only secrets of one account of ``workspace``.

    ``vendor`` is required for a new account and ignored when editing (the stored vendor
    wins). Label clashes within the workspace are a ``label`` error; ``base_url`` errors
    come from :meth:`ProviderAccount.clean`.
    """

    class Meta(AccountSecretsForm.Meta):
        fields = ["label", "base_url"]
        widgets = {"base_url": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, workspace: Workspace, vendor: str | None = None, **kwargs):
        instance = kwargs.get("instance") or ProviderAccount()
        instance.workspace = workspace
        if instance.pk is None:
            if vendor is None:
                raise ValueError("a new account needs its vendor")
            instance.vendor = vendor
        kwargs["instance"] = instance
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        vendor = instance.vendor
        self.fields["label"].help_text = "A name to tell this account apart, e.g. “Sales team”."
        label, help_text = BASE_URL_FIELD.get(vendor, ("Base URL", ""))
        base_url = self.fields["base_url"]
        base_url.label, base_url.help_text = label, help_text
        base_url.required = vendor == Vendor.PHONEXIA
        if vendor == Vendor.ELEVENLABS:
            base_url.widget.attrs.update(list="elevenlabs-regions", placeholder="default")
        used = secret_fields_for(vendor)
        for name in [n for n in self.fields if n in SECRET_SHORT_LABELS]:
            if name not in used:
                del self.fields[name]
                continue
            field = self.fields[name]
            field.label = SECRET_SHORT_LABELS[name]
            if instance.pk is None:
                field.help_text = NEW_SECRET_HELP.get(name, NEW_SECRET_HELP[""])
                continue
            field.help_text = SECRET_HELP.get(name, field.help_text)
            stored = (
                instance.webhook_secret
                if name == "webhook_signing_secret"
                else instance.secret(name)
            )
            field.widget.attrs["placeholder"] = "set: type to replace" if stored else "not set"

    def _vendor(self, data: dict) -> str | None:
        return self.instance.vendor

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        taken = label_error(
            workspace_id=self.workspace.pk, label=label, exclude_pk=self.instance.pk
        )
        if taken:
            raise forms.ValidationError(taken)
        return label

    def add_account_errors(self, err: AccountInvalid) -> None:
        """Show the errors of the account services on the fields they name (the webhook
        secret's input is ``webhook_signing_secret``); others on the form."""
        for name, messages in err.errors.items():
            field = FIELD_OF_SECRET.get(name, name)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @property
    def regions(self) -> list[str]:
        """ElevenLabs region keys (for the input's datalist)."""
        return list(elevenlabs.REGIONS)
