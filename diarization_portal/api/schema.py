"""OpenAPI schema pieces: the error body, the Bearer scheme and error responses on every
operation (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": "Invalid query parameter or body (`validation_error`, `parse_error`, "
    "`invalid_operation`); `errors[].loc` names the field.",
    "401": "No credentials, or an unknown or revoked API key (`WWW-Authenticate: Bearer`).",
    "403": "The workspace role does not allow this (`permission_denied`), or the CSRF token is "
    "missing from a session call.",
    "404": "No such object in the workspaces the user belongs to (`not_found`).",
    "409": "The request conflicts with the current state (`conflict`).",
    "415": "The body is not JSON (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`); `Retry-After` gives the seconds to wait.",
}


ERROR_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string", "example": 'Bearer realm="api"'},
            "description": "The scheme to authenticate with.",
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "description": "Seconds to wait before the next request.",
        }
    },
}


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class LocPartField(serializers.Field):
    """One step of an error location: a name (string) or a list index (integer)."""

    def to_representation(self, value):
        return value


class FieldErrorSerializer(serializers.Serializer):
    """One field error: where (``loc``) and what is wrong (``msg``)."""

    loc = serializers.ListField(
        child=LocPartField(),
        help_text='Where: "body", "query" or "path", then the field name and list indexes.',
    )
    msg = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error reply."""

    type = serializers.CharField(help_text="Machine-readable kind, e.g. `not_found`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    errors = FieldErrorSerializer(many=True, help_text="Field errors (validation errors only).")


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """The API key authentication in the OpenAPI schema, as an HTTP Bearer scheme."""

    target_class = "diarization_portal.api.authentication.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from /account/api-keys/: `Authorization: Bearer <key>`.",
        }


def error_response(code: int | str) -> OpenApiResponse:
    """The documented error reply for ``code`` (for ``extend_schema(responses=...)``)."""
    return OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS.get(str(code), ""))


class ApiAutoSchema(AutoSchema):
    """Adds the error replies every API operation can give: 401, 404 and 429 always; 400 when
    it takes query parameters or a body; 403 and 415 for writes. Views list any others (409)
    in ``extend_schema(responses=...)``."""

    def _error_codes(self) -> list[str]:
        codes = ["401", "404", "429"]
        body = self.method in ("POST", "PUT", "PATCH")
        if (
            body
            or getattr(self.view, "pagination_class", None)
            or getattr(self.view, "query_serializer_class", None)
        ):
            codes.append("400")
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes.append("403")
        if body:
            codes.append("415")
        return sorted(codes)

    def get_paginated_name(self, serializer_name: str) -> str:
        """One component per item key (``ActionItemsPage``, ``QuestionsPage``…), since several
        endpoints page the same serializer under different keys."""
        pagination_class = getattr(self.view, "pagination_class", None)
        key = getattr(pagination_class, "items_key", None)
        if key is None:
            return super().get_paginated_name(serializer_name)
        return f"{key[0].upper()}{key[1:]}Page"

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    error_response(code), code, direction=direction
                )
            if code in ERROR_HEADERS:
                responses[code].setdefault("headers", {}).update(ERROR_HEADERS[code])
        return responses


class ShareLinkAuthenticationScheme(OpenApiAuthenticationExtension):
    """A share link's token in the OpenAPI schema (``Authorization: Share <token>``), listed
    only on the operations that accept it: GET on the views with ``share_link_readable``."""

    target_class = "diarization_portal.api.authentication.ShareLinkAuthentication"
    name = "shareLink"

    def get_security_requirement(self, auto_schema):
        readable = getattr(auto_schema.view, "share_link_readable", False)
        return {self.name: []} if readable and auto_schema.method == "GET" else None

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A conversation's share link token (the part after `/s/` in the link), as "
                "`Authorization: Share <token>`: reads that conversation only."
            ),
        }
