"""Admin for provider accounts. Secrets are write-only: password inputs that never render a
value back, blank = keep the stored value; the list shows only whether they are set."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .models import SECRET_NAMES, ProviderAccount

#: Write-only form fields: name -> label. Each is a secret name, or ``webhook_signing_secret``
#: for the ``webhook_secret`` field.
SECRET_FIELDS = {
    "app_id": "Symbl app id",
    "app_secret": "Symbl app secret",
    "api_key": "API key (ElevenLabs, DeepAffects, Phonexia)",
    "webhook_signing_secret": "ElevenLabs webhook secret",
}
KEEP = "Write-only. Leave blank to keep the stored value."


def _secret_field(
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


class ProviderAccountForm(forms.ModelForm):
    """The account's editable fields plus one write-only password input per secret.

    The inputs never render a stored value (``render_value=False``); a blank input keeps the
    stored secret. ``clean`` refuses secrets the vendor does not use and requires the
    vendor's secrets when none is stored yet.
    """

    app_id = _secret_field("app_id", autocomplete="off")
    app_secret = _secret_field("app_secret")
    api_key = _secret_field("api_key")
    # Not called ``webhook_secret``: the admin refuses form fields named like a model field
    # that is not editable.
    webhook_signing_secret = _secret_field(
        "webhook_signing_secret",
        help_text=KEEP + " Verifies the ElevenLabs-Signature of speech-to-text webhooks.",
    )

    class Meta:
        model = ProviderAccount
        fields = ["workspace", "vendor", "label", "base_url"]

    def clean(self) -> dict:
        """Refuse secrets the vendor does not use; require missing ones (field errors)."""
        data = super().clean()
        vendor = data.get("vendor")
        if not vendor:
            return data
        allowed = set(SECRET_NAMES.get(vendor, ()))
        if vendor == "elevenlabs":
            allowed.add("webhook_signing_secret")
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


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    """Accounts with search and filters; never a secret value, only whether it is set."""

    form = ProviderAccountForm
    list_display = ["label", "vendor", "workspace", "base_url", "secrets_set", "updated_at"]
    list_filter = ["vendor", "workspace"]
    search_fields = ["label", "workspace__name"]
    list_select_related = ["workspace"]
    readonly_fields = ["secrets_set", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["workspace", "vendor", "label", "base_url"]}),
        ("Secrets (write-only)", {"fields": [*SECRET_FIELDS, "secrets_set"]}),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(boolean=True, description="secrets set")
    def secrets_set(self, obj: ProviderAccount) -> bool:
        """Whether every required secret is stored (never which value)."""
        return bool(obj.pk) and obj.has_secrets
