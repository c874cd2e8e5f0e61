"""``limit``/``offset`` pagination like Symbl's ``GET /v1/conversations`` (vendor-apis.md §1.5).

Replies are ``{"<items_key>": [...], "limit": n, "offset": n, "total": n}``: Symbl's item key,
plus where this page starts and how many items there are in all. ``limit`` is 1..``max_limit``
(default ``default_limit``), ``offset`` is 0 or more; anything else is a 400
``validation_error`` whose ``loc`` is ``["query", "limit"]`` or ``["query", "offset"]``.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from .exceptions import QueryValidationError


class LimitOffsetPage(LimitOffsetPagination):
    """Strict limit/offset pagination. Subclass with :func:`paged` to set the item key and
    the bounds of one endpoint."""

    items_key = "items"
    default_limit = 20
    max_limit = 100

    def _integer(self, request, name: str, default: int, low: int, high: int | None) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise QueryValidationError({name: [f"must be an integer, got {raw!r}"]}) from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise QueryValidationError({name: [f"must be {bounds}, got {value}"]})
        return value

    def get_limit(self, request) -> int:
        return self._integer(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return self._integer(request, self.offset_query_param, 0, 0, None)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                self.items_key: data,
                "limit": self.limit,
                "offset": self.offset,
                "total": self.count,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": [self.items_key, "limit", "offset", "total"],
            "properties": {
                self.items_key: schema,
                "limit": {"type": "integer", "example": self.default_limit},
                "offset": {"type": "integer", "example": 0},
                "total": {"type": "integer", "example": 42, "description": "Items in all."},
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.limit_query_param,
                "in": "query",
                "required": False,
                "description": f"Items per page (default {self.default_limit}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_limit,
                    "default": self.default_limit,
                },
            },
            {
                "name": self.offset_query_param,
                "in": "query",
                "required": False,
                "description": "How many items to skip.",
                "schema": {"type": "integer", "minimum": 0, "default": 0},
            },
        ]


def paged(items_key: str, *, default_limit: int, max_limit: int) -> type[LimitOffsetPage]:
    """A :class:`LimitOffsetPage` subclass answering ``{items_key: [...], ...}``."""
    return type(
        f"{items_key[0].upper()}{items_key[1:]}Page",
        (LimitOffsetPage,),
        {"items_key": items_key, "default_limit": default_limit, "max_limit": max_limit},
    )
