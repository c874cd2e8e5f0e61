"""Provider accounts (vendor logins of a workspace). Secrets are write-only (DESIGN §2): a
reply names the secrets that are set, never their values.

Secrets have camelCase API names (:data:`SECRET_API_NAMES`): ``appId`` and ``appSecret``
(Symbl), ``apiKey`` (ElevenLabs, Phonexia, DeepAffects), ``webhookSecret`` (ElevenLabs'
webhook signing secret). ``secretsSet`` and ``missingSecrets`` use the same names.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.sync.models import ACCOUNT_VENDORS, ProviderAccount

from .common import iso

#: API name of each secret of :data:`diarization_portal.sync.services.accounts.ALL_SECRETS`.
SECRET_API_NAMES = {
    "app_id": "appId",
    "app_secret": "appSecret",
    "api_key": "apiKey",
    "webhook_secret": "webhookSecret",
}
#: API name of each field the account services name in their errors.
API_NAMES = {"base_url": "baseUrl", **SECRET_API_NAMES}
VENDORS = ACCOUNT_VENDORS


class AccountSerializer(serializers.Serializer):
    """A provider account: ``vendor``, ``label``, ``baseUrl`` (ElevenLabs region, Phonexia
    server, or empty for the vendor's URL), which secrets are set (``secretsSet``) and which
    required ones are missing (``missingSecrets``: the account cannot be used until an admin
    sets them)."""

    # Reads ``workspace`` (select_related).

    id = serializers.CharField(source="pk", help_text="Use it as `accountId` (decimal string).")
    workspace = serializers.CharField(source="workspace.slug")
    vendor = serializers.ChoiceField(choices=VENDORS)
    label = serializers.CharField()
    baseUrl = serializers.CharField(source="base_url")
    secretsSet = serializers.SerializerMethodField(
        help_text="Names of the vendor secrets stored (`appId`, `appSecret`, `apiKey`)."
    )
    missingSecrets = serializers.SerializerMethodField(
        help_text="Names of required secrets not stored yet (`appId`, `appSecret`, `apiKey`)."
    )
    webhookSecretSet = serializers.SerializerMethodField(
        help_text="Whether the ElevenLabs webhook signing secret is stored."
    )
    createdAt = serializers.SerializerMethodField()
    updatedAt = serializers.SerializerMethodField()

    def get_secretsSet(self, account: ProviderAccount) -> list[str]:
        return [api for name, api in SECRET_API_NAMES.items() if account.secret(name)]

    def get_missingSecrets(self, account: ProviderAccount) -> list[str]:
        return [SECRET_API_NAMES[name] for name in account.missing_secrets()]

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
    vendor = serializers.ChoiceField(choices=VENDORS, required=False)


def _secret(help_text: str, max_length: int = 500) -> serializers.CharField:
    """A write-only secret: blank, null or left out sets nothing (keeps the stored value)."""
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=max_length,
        style={"input_type": "password"},
        help_text=f"{help_text} Write-only: never returned. Blank, null or left out sets "
        "nothing (a PATCH keeps the stored value).",
    )


class AccountWriteSerializer(serializers.Serializer):
    """Fields an admin sets on an account (shared by create and update). Shapes only: the
    rules (label unique in the workspace, base URL per vendor, the vendor's secrets) are the
    account services' (:mod:`diarization_portal.sync.services.accounts`)."""

    label = serializers.CharField(max_length=120, help_text="Unique in the workspace.")
    baseUrl = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="ElevenLabs: a region (`default`, `us`, `eu-residency`, `in-residency`, "
        "`sg-residency`; blank = default). Phonexia: the server URL (required). Symbl, "
        "DeepAffects: blank for the vendor's URL. A URL must be https on the vendor's public "
        "hosts, or on a host the portal lists in `VENDOR_EXTRA_HOSTS`; loopback, private and "
        "metadata addresses are refused. Changing it requires the secrets again.",
    )
    appId = _secret("Symbl app id (required for Symbl).")
    appSecret = _secret("Symbl app secret (required for Symbl).")
    apiKey = _secret("API key: ElevenLabs and DeepAffects (required), Phonexia (optional).")
    webhookSecret = _secret(
        "ElevenLabs only: the signing secret of its speech-to-text webhook.", max_length=200
    )

    def secrets(self) -> dict[str, str]:
        """The secrets given, by secret name (``{"app_id": ...}``); blank ones left out."""
        return {
            name: self.validated_data[api]
            for name, api in SECRET_API_NAMES.items()
            if self.validated_data.get(api)
        }


class AccountCreateSerializer(AccountWriteSerializer):
    """The body of ``POST /accounts``."""

    workspace = serializers.SlugField(help_text="The workspace (slug) you are an admin of.")
    vendor = serializers.ChoiceField(choices=VENDORS, help_text="Cannot change later.")


class AccountUpdateSerializer(AccountWriteSerializer):
    """The body of ``PATCH /accounts/{id}``: what is left out stays as it is. ``vendor`` and
    ``workspace`` cannot change; given, they must be the account's."""

    label = serializers.CharField(max_length=120, required=False)
    vendor = serializers.ChoiceField(
        choices=VENDORS, required=False, help_text="Cannot change: the account's vendor."
    )
    workspace = serializers.SlugField(
        required=False, help_text="Cannot change: the account's workspace."
    )

    def validate_vendor(self, value: str) -> str:
        if value != self.context["account"].vendor:
            raise serializers.ValidationError(
                "The vendor of an account cannot change; add an account for the other vendor."
            )
        return value

    def validate_workspace(self, value: str) -> str:
        if value != self.context["account"].workspace.slug:
            raise serializers.ValidationError("An account cannot move to another workspace.")
        return value
