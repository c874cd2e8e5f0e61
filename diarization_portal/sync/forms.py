"""Forms of provider accounts with write-only secrets, shared by the admin and the dashboard.

Secret inputs are password fields that never render a stored value (``render_value=False``);
a blank input keeps the stored secret. Only whether a secret is set is ever shown.
"""

from __future__ import annotations

from django import forms

from diarization_portal.conversations.models import Vendor

from .models import REQUIRED_SECRETS, SECRET_NAMES, ProviderAccount

#: Write-only form fields: name -> label. Each is a secret name, or ``webhook_signing_secret``
#: for the ``webhook_secret`` field.
SECRET_FIELDS = {
    "app_id": "Symbl app id",
    "app_secret": "Symbl app secret",
    "api_key": "API key (ElevenLabs, DeepAffects, Phonexia)",
    "webhook_signing_secret": "ElevenLabs webhook secret",
}
#: Short names of the secrets, for pages that already name the vendor.
SECRET_SHORT_LABELS = {
    "app_id": "App id",
    "app_secret": "App secret",
    "api_key": "API key",
    "webhook_signing_secret": "Webhook secret",
}
KEEP = "Write-only. Leave blank to keep the stored value."
WEBHOOK_HELP = KEEP + " Verifies the ElevenLabs-Signature of speech-to-text webhooks."


def secret_field(
    name: str, *, autocomplete: str = "new-password", help_text: str = KEEP
) -> forms.CharField:
    """A write-only password input for the secret ``name`` (never renders a stored value)."""
    return forms.CharField(
        label=SECRET_FIELDS[name],
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": autocomplete}),
        help_text=help_text,
    )


def secret_fields_for(vendor: str) -> list[str]:
    """Form fields of :data:`SECRET_FIELDS` that ``vendor`` uses, in that order."""
    used = set(SECRET_NAMES.get(vendor, ()))
    if vendor == Vendor.ELEVENLABS:
        used.add("webhook_signing_secret")
    return [name for name in SECRET_FIELDS if name in used]


def secret_status(account: ProviderAccount) -> list[tuple[str, str, str]]:
    """``(field name, label, state)`` of each secret ``account``'s vendor uses; state is
    ``"set"``, ``"missing"`` (required, not stored) or ``"optional"`` (not stored, not
    required: the Phonexia key, the ElevenLabs webhook secret). Values are never returned."""
    required = set(REQUIRED_SECRETS.get(account.vendor, ()))
    out = []
    for name in secret_fields_for(account.vendor):
        value = account.webhook_secret if name == "webhook_signing_secret" else account.secret(name)
        state = "set" if value else "missing" if name in required else "optional"
        out.append((name, SECRET_SHORT_LABELS[name], state))
    return out


class AccountSecretsForm(forms.ModelForm):
    """Base form: the account's fields plus one write-only password input per secret.

    Subclasses set ``Meta.fields``. ``clean`` refuses secrets the vendor does not use and
    requires the vendor's secrets when none is stored yet (field errors); ``save`` replaces
    only the secrets typed in.
    """

    app_id = secret_field("app_id", autocomplete="off")
    app_secret = secret_field("app_secret")
    api_key = secret_field("api_key")
    # Not called ``webhook_secret``: the admin refuses form fields named like a model field
    # that is not editable.
    webhook_signing_secret = secret_field("webhook_signing_secret", help_text=WEBHOOK_HELP)

    class Meta:
        model = ProviderAccount
        fields = ["vendor", "label", "base_url"]

    def _vendor(self, data: dict) -> str | None:
        return data.get("vendor")

    def clean(self) -> dict:
        """Refuse secrets the vendor does not use; require missing ones (field errors)."""
        data = super().clean()
        vendor = self._vendor(data)
        if not vendor:
            return data
        allowed = set(secret_fields_for(vendor))
        for name in SECRET_FIELDS:
            if data.get(name) and name not in allowed:
                self.add_error(name, "This vendor does not use this secret.")
        probe = ProviderAccount(vendor=vendor, secrets=dict(self.instance.secrets or {}))
        for name in probe.missing_secrets():
            if not data.get(name):
                self.add_error(name, "Required for this vendor.")
        return data

    def save(self, commit: bool = True) -> ProviderAccount:
        """Save the account, replacing only the secrets typed in (blank keeps them)."""
        account = super().save(commit=False)
        account.set_secrets(
            **{
                n: self.cleaned_data.get(n)
                for n in SECRET_NAMES.get(account.vendor, ())
                if self.cleaned_data.get(n)
            }
        )
        if self.cleaned_data.get("webhook_signing_secret"):
            account.webhook_secret = self.cleaned_data["webhook_signing_secret"]
        if commit:
            account.save()
        return account
