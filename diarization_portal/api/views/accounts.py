"""Provider accounts: ``GET /accounts`` and ``GET /accounts/{id}`` (the accounts of the
caller's workspaces, to choose the ``accountId`` of a submit; any member reads them), and for
workspace admins ``POST /accounts``, ``PATCH /accounts/{id}`` and ``DELETE /accounts/{id}``.

Secrets (``appId``, ``appSecret``, ``apiKey``, ``webhookSecret``) are write-only: replies name
the ones set (``secretsSet``, ``missingSecrets``, ``webhookSecretSet``), never their values,
and a blank or missing secret in a PATCH keeps the stored one. The rules are those of the
dashboard's account pages (:mod:`diarization_portal.sync.services.accounts`); a refused value is
a 400 naming the field (``["body", "baseUrl"]``). Other members of the workspace get a 403 on
writes; non-members a 404 for everything about its accounts.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import accounts as services
from diarization_portal.workspaces.access import membership_for

from ..access import MAX_PK, require_admin, workspace_membership
from ..pagination import paged
from ..serializers.accounts import (
    API_NAMES,
    AccountCreateSerializer,
    AccountQuerySerializer,
    AccountSerializer,
    AccountUpdateSerializer,
)
from .base import parse_query

ADMINS_ONLY = (
    " Workspace admins only (others get a 403). Secrets are write-only: never returned, "
    "and a refused value is a 400 naming the field."
)


def account_for(request, pk: int, *, admin: bool = False) -> ProviderAccount:
    """The account ``pk`` of a workspace the user belongs to; ``NotFound`` otherwise, and
    ``PermissionDenied`` when ``admin`` is asked of a member who is not a workspace admin."""
    account = (
        ProviderAccount.objects.select_related("workspace").filter(pk=pk).first()
        if 0 < pk <= MAX_PK
        else None
    )
    if account is None:
        raise NotFound("No such account")
    try:
        membership = membership_for(request.user, account.workspace_id)
    except Http404:
        raise NotFound("No such account") from None
    if admin:
        require_admin(membership)
    return account


def saved(service, **kwargs) -> ProviderAccount:
    """Call the account ``service``; its :class:`~services.AccountInvalid` becomes a 400
    ``validation_error`` with the API's field names (``["body", "baseUrl"]``)."""
    try:
        return service(**kwargs)
    except services.AccountInvalid as err:
        raise ValidationError(
            {API_NAMES.get(field, field): messages for field, messages in err.errors.items()}
        ) from None


class AccountList(generics.ListAPIView):
    """The provider accounts of the caller's workspaces, by workspace and label."""

    serializer_class = AccountSerializer
    pagination_class = paged("accounts", default_limit=100, max_limit=500)
    query_serializer_class = AccountQuerySerializer

    def get_queryset(self):
        query = parse_query(self.request, AccountQuerySerializer)
        accounts = ProviderAccount.objects.filter(
            workspace__memberships__user=self.request.user
        ).select_related("workspace")
        if "workspace" in query:
            membership = workspace_membership(self.request, query["workspace"])
            accounts = accounts.filter(workspace=membership.workspace)
        if "vendor" in query:
            accounts = accounts.filter(vendor=query["vendor"])
        return accounts.order_by("workspace__slug", "label", "pk")

    @extend_schema(
        operation_id="accounts_list",
        summary="List provider accounts",
        description=(
            "Vendor logins of the workspaces you belong to: their ids are the `accountId` of "
            "`/process/...`. Secrets are never returned, only which are set. Reply: "
            "`{accounts: [...], limit, offset, total}`."
        ),
        parameters=[AccountQuerySerializer],
        tags=["accounts"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="accounts_create",
        summary="Add a provider account",
        description=(
            "A vendor login for a workspace: `vendor` (cannot change later), a `label` unique "
            "in the workspace, `baseUrl` (ElevenLabs region, Phonexia server URL) and the "
            "vendor's secrets: `appId` and `appSecret` for Symbl, `apiKey` for the others "
            "(optional for Phonexia), `webhookSecret` for ElevenLabs (optional). Replies 201 "
            "with the account." + ADMINS_ONLY
        ),
        request=AccountCreateSerializer,
        responses={201: AccountSerializer},
        examples=[
            OpenApiExample(
                "ElevenLabs",
                value={
                    "workspace": "acme",
                    "vendor": "elevenlabs",
                    "label": "Voices EU",
                    "baseUrl": "eu-residency",
                    "apiKey": "sk_...",
                    "webhookSecret": "whsec_...",
                },
                request_only=True,
            ),
        ],
        tags=["accounts"],
    )
    def post(self, request, *args, **kwargs):
        body = AccountCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        membership = workspace_membership(request, data["workspace"])
        require_admin(membership)
        account = saved(
            services.account_create,
            workspace=membership.workspace,
            vendor=data["vendor"],
            label=data["label"],
            base_url=data.get("baseUrl") or "",
            secrets=body.secrets(),
        )
        return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)


class AccountDetail(APIView):
    """One provider account; change or delete it (workspace admins)."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        account_for(request, kwargs["pk"])
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        operation_id="accounts_retrieve",
        summary="Get a provider account",
        responses={200: AccountSerializer},
        tags=["accounts"],
    )
    def get(self, request, pk: int):
        return Response(AccountSerializer(account_for(request, pk)).data)

    @extend_schema(
        operation_id="accounts_partial_update",
        summary="Change a provider account",
        description=(
            "Change the `label`, `baseUrl` or secrets; what is left out stays, and a blank or "
            "null secret keeps the stored value. The vendor and the workspace cannot change "
            "(given, they must be the account's)." + ADMINS_ONLY
        ),
        request=AccountUpdateSerializer,
        responses={200: AccountSerializer},
        tags=["accounts"],
    )
    def patch(self, request, pk: int):
        account = account_for(request, pk, admin=True)
        body = AccountUpdateSerializer(data=request.data, context={"account": account})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        account = saved(
            services.account_update,
            account=account,
            label=data.get("label"),
            base_url=data.get("baseUrl"),
            secrets=body.secrets(),
        )
        return Response(AccountSerializer(account).data)

    @extend_schema(
        operation_id="accounts_destroy",
        summary="Delete a provider account",
        description=(
            "Deletes the account and its secrets. Its jobs and their conversations stay "
            "(their `accountId` becomes null): unfinished jobs fail at their next step, and "
            "speaker edits of those conversations are no longer pushed to the vendor. "
            "Workspace admins only (others get a 403). Replies 204 without a body."
        ),
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
        tags=["accounts"],
    )
    def delete(self, request, pk: int):
        services.account_delete(account=account_for(request, pk, admin=True))
        return Response(status=status.HTTP_204_NO_CONTENT)
