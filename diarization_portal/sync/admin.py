"""Admin for provider accounts. Secrets are write-only: password inputs that never render a
value back, blank = keep the stored value; the list shows only whether they are set."""

from __future__ import annotations

from django.contrib import admin

from .forms import SECRET_FIELDS, AccountSecretsForm
from .models import ProviderAccount, SpeechEngineLink


class ProviderAccountForm(AccountSecretsForm):
    """The account's editable fields (workspace included) plus the write-only secret inputs
    of :class:`~diarization_portal.sync.forms.AccountSecretsForm`."""

    class Meta(AccountSecretsForm.Meta):
        fields = ["workspace", "vendor", "label", "base_url"]


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

    def get_readonly_fields(self, request, obj=None):
        """An existing account keeps its workspace and vendor (its secrets, jobs and webhook
        URLs belong to them), as on the dashboard's account page and in the API."""
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "workspace", "vendor"] if obj is not None else fields

    @admin.display(boolean=True, description="secrets set")
    def secrets_set(self, obj: ProviderAccount) -> bool:
        """Whether every required secret is stored (never which value)."""
        return bool(obj.pk) and obj.has_secrets


@admin.register(SpeechEngineLink)
class SpeechEngineLinkAdmin(admin.ModelAdmin):
    """Linked ElevenLabs Speech Engines; what the vendor returned is read-only."""

    list_display = ["engine_id", "account", "state", "fetched_at", "error_type"]
    list_filter = ["state"]
    search_fields = ["engine_id", "account__label"]
    list_select_related = ["account"]
    readonly_fields = ["state", "details", "fetched_at", "error_type", "error_message"]
