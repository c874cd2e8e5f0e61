"""Forms of provider accounts with write-only secrets, shared by the admin and the dashboard.

Secret inputs are password fields that never render a stored value (``render_value=False``);
a blank input keeps the stored secret. Only whether a secret is set is ever shown.
"""

from __future__ import annotations

from django import forms

from .models import REQUIRED_SECRETS, SECRET_NAMES, ProviderAccount
from .services.accounts import WEBHOOK_SECRET, reentry_errors, secret_errors, secret_names

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
#: Form field of each secret name (the webhook secret's field is named apart, see below).
FIELD_OF_SECRET = {"webhook_secret": "webhook_signing_secret"}
SECRET_OF_FIELD = {field: name for name, field in FIELD_OF_SECRET.items()}
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
    """Form fields of :data:`SECRET_FIELDS` that ``vendor`` uses, in that order
    (:func:`~diarization_portal.sync.services.accounts.secret_names`)."""
    used = {FIELD_OF_SECRET.get(name, name) for name in secret_names(vendor)}
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

    Subclasses set ``Meta.fields``. ``clean`` refuses secrets the vendor does not use,
    requires the vendor's secrets when none is stored yet, and requires the stored ones again
    when the base URL or vendor changes (field errors); ``save`` replaces only the secrets
    typed in.
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
        # A saved account's vendor is read-only in the admin: it is not in ``data`` then.
        return data.get("vendor") or (self.instance.vendor if self.instance.pk else None)

    def clean(self) -> dict:
        """Refuse secrets the vendor does not use; require missing ones (field errors, the
        rules of :func:`~diarization_portal.sync.services.accounts.secret_errors`)."""
        data = super().clean()
        vendor = self._vendor(data)
        if not vendor:
            return data
        typed = self.typed_secrets()
        errors = secret_errors(vendor=vendor, stored=self.instance.secrets, typed=typed)
        if self.instance.pk is not None:
            # ``self.instance`` still holds the saved values here (the form's are set later).
            again = reentry_errors(
                stored=self.instance,
                vendor=vendor,
                base_url=data.get("base_url") if "base_url" in self.fields else None,
                typed=typed,
            )
            for name, message in again.items():
                errors.setdefault(name, message)
        for name, message in errors.items():
            self.add_error(FIELD_OF_SECRET.get(name, name), message)
        return data

    def typed_secrets(self) -> dict[str, str]:
        """The secrets typed in, by secret name (``webhook_secret`` included); blank ones
        are left out (they keep the stored values)."""
        data = getattr(self, "cleaned_data", {})
        return {
            SECRET_OF_FIELD.get(field, field): data[field]
            for field in SECRET_FIELDS
            if data.get(field)
        }

    def save(self, commit: bool = True) -> ProviderAccount:
        """Save the account, replacing only the secrets typed in (blank keeps them)."""
        account = super().save(commit=False)
        typed = self.typed_secrets()
        account.set_secrets(
            **{name: typed[name] for name in SECRET_NAMES.get(account.vendor, ()) if name in typed}
        )
        if typed.get(WEBHOOK_SECRET):
            account.webhook_secret = typed[WEBHOOK_SECRET]
        if commit:
            account.save()
        return account
