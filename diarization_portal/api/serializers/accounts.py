"""Provider accounts (vendor logins of a workspace). Secrets are write-only (DESIGN §2): a
reply names the secrets that are set, never their values."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.sync.models import ACCOUNT_VENDORS, ProviderAccount

from .common import iso


class AccountSerializer(serializers.Serializer):
    """A provider account: ``vendor``, ``label``, ``baseUrl`` (ElevenLabs region, Phonexia
    server, or empty for the vendor's URL), which secrets are set (``secretsSet``) and which
    required ones are missing (``missingSecrets``: the account cannot be used until an admin
    sets them)."""

    # Reads ``workspace`` (select_related).

    id = serializers.CharField(source="pk", help_text="Use it as `accountId` (decimal string).")
    workspace = serializers.CharField(source="workspace.slug")
    vendor = serializers.ChoiceField(choices=[value for value, _ in ACCOUNT_VENDORS])
    label = serializers.CharField()
    baseUrl = serializers.CharField(source="base_url")
    secretsSet = serializers.SerializerMethodField(help_text="Names of the secrets stored.")
    missingSecrets = serializers.SerializerMethodField(
        help_text="Names of required secrets not stored yet."
    )
    webhookSecretSet = serializers.SerializerMethodField(
        help_text="Whether the ElevenLabs webhook signing secret is stored."
    )
    createdAt = serializers.SerializerMethodField()
    updatedAt = serializers.SerializerMethodField()

    def get_secretsSet(self, account: ProviderAccount) -> list[str]:
        return sorted(name for name, value in (account.secrets or {}).items() if value)

    def get_missingSecrets(self, account: ProviderAccount) -> list[str]:
        return account.missing_secrets()

    def get_webhookSecretSet(self, account: ProviderAccount) -> bool:
        return bool(account.webhook_secret)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_createdAt(self, account: ProviderAccount) -> str:
        return iso(account.created_at)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_updatedAt(self, account: ProviderAccount) -> str:
        return iso(account.updated_at)


class AccountQuerySerializer(serializers.Serializer):
    """Query parameters of ``GET /accounts``."""

    workspace = serializers.SlugField(
        required=False, help_text="Only this workspace (slug); 404 if you are not a member."
    )
    vendor = serializers.ChoiceField(
        choices=[value for value, _ in ACCOUNT_VENDORS], required=False
    )
