"""``GET /accounts`` and ``GET /accounts/{id}``: the provider accounts of the caller's
workspaces, to choose the ``accountId`` of a submit. Any member of the workspace reads them;
secrets are never returned. Accounts are added and changed by workspace admins in the
dashboard or the admin panel, not over the API."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.access import membership_for

from ..access import MAX_PK, workspace_membership
from ..pagination import paged
from ..serializers.accounts import AccountQuerySerializer, AccountSerializer
from .base import parse_query


def account_for(request, pk: int) -> ProviderAccount:
    """The account ``pk`` of a workspace the user belongs to; ``NotFound`` otherwise."""
    account = (
        ProviderAccount.objects.select_related("workspace").filter(pk=pk).first()
        if 0 < pk <= MAX_PK
        else None
    )
    if account is None:
        raise NotFound("No such account")
    try:
        membership_for(request.user, account.workspace_id)
    except Http404:
        raise NotFound("No such account") from None
    return account


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


class AccountDetail(APIView):
    """One provider account."""

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
