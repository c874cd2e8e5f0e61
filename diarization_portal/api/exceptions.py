"""One error shape for every API error (see the package docstring):

``{"type": "<snake_case>", "message": "<sentence>", "errors": [{"loc": [...], "msg": "..."}]}``

``errors`` lists field errors of validation errors, like ElevenLabs' ``detail[].loc``
(vendor-apis.md §2.4): ``loc`` starts with ``"body"``, ``"query"`` or ``"path"``, then the
camelCase field name and list indexes.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from diarization_portal.conversations.services.speakers import (
    ConcurrentEdit,
    SpeakerOperationError,
    UndoConflict,
)

log = logging.getLogger(__name__)

#: The message of a 409 ``conflict`` for a speaker operation that lost a race.
CONCURRENT_EDIT = "Someone changed these speakers at the same time; reload them and try again."

TYPES: dict[type[Exception], str] = {
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "validation_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


class QueryValidationError(exceptions.ValidationError):
    """A bad query parameter: ``detail`` is ``{"<parameter>": ["<message>", ...]}`` and the
    error's ``loc`` starts with ``"query"``."""

    location = "query"


class Conflict(exceptions.APIException):
    """409: the request conflicts with the current state (``type`` ``conflict``)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class InvalidOperation(exceptions.APIException):
    """400: a speaker operation was refused (``type`` ``invalid_operation``)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "This operation cannot be applied."
    default_code = "invalid_operation"


def error_body(type_: str, message: str, errors: list[dict] | None = None) -> dict:
    """The error shape: ``{"type", "message", "errors"}``."""
    return {"type": type_, "message": message, "errors": errors or []}


def field_errors(detail, loc: list) -> list[dict]:
    """Flatten DRF error details (nested dicts and lists) into ``[{"loc", "msg"}]``.
    ``non_field_errors`` keep the parent ``loc``; list items add their index."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            inner = loc if key == api_settings.NON_FIELD_ERRORS_KEY else [*loc, key]
            found.extend(field_errors(value, inner))
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"loc": loc, "msg": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            found.extend(field_errors(item, [*loc, index]))
        return found
    return [{"loc": loc, "msg": str(detail)}]


def _describe(errors: list[dict]) -> str:
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Invalid {where}: {first['msg']}{more}"


def _type_of(exc: exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in TYPES:
            return TYPES[cls]
    return str(exc.default_code)


def api_exception_handler(exc: Exception, context: dict):
    """DRF ``EXCEPTION_HANDLER``: every error in the one shape, headers (``WWW-Authenticate``,
    ``Retry-After``, ``Allow``) kept. Speaker operation errors raised by services become 400
    ``invalid_operation`` (``UndoConflict``, and ``ConcurrentEdit``, an operation that lost a
    race with another one on the same speakers: 409 ``conflict``); an unexpected exception is
    logged and answered 500 ``server_error``."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, ConcurrentEdit):
        exc = Conflict(CONCURRENT_EDIT)
    elif isinstance(exc, UndoConflict):
        exc = Conflict(str(exc))
    elif isinstance(exc, SpeakerOperationError):
        exc = InvalidOperation(str(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("API error in %s", context.get("view"), exc_info=exc)
        return JsonResponse(
            error_body("server_error", "The server failed to answer this request."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail, [getattr(exc, "location", "body")])
        message = _describe(errors) if errors else "Invalid request."
        response.data = error_body(_type_of(exc), message, errors)
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else exc.default_detail
        response.data = error_body(_type_of(exc), message)
    return response


@csrf_exempt  # it changes nothing; otherwise an unsafe method would get Django's HTML 403
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any unknown path under ``/api/``: 404 in the error shape (not the HTML page)."""
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}"), status=404)
