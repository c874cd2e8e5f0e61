"""The size cap of transcript file imports (``settings.IMPORT_MAX_BYTES``), on every interface.

A view that takes an import upload is marked with :func:`import_upload`, naming what to answer
when the request is too large. :class:`ImportSizeLimitMiddleware` (placed before the CSRF
middleware, which would otherwise read the whole body to find the form's token) answers that
413 when the request's ``Content-Length`` announces more than the cap plus
:data:`FORM_OVERHEAD`, before a byte of the body is read. The exact check on the file's own
size is the form's or serializer's (:func:`too_large_message`), also a 413.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: Bytes a multipart form adds around the file (boundaries, headers, the other fields).
FORM_OVERHEAD = 64 * 1024


def human_size(size: int) -> str:
    """``size`` bytes for people: ``"200 MB"``, ``"4.05 KB"``, ``"812 bytes"`` (1 MB = 2**20)."""
    if size >= 1_048_576:
        return f"{size / 1_048_576:.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


def too_large_message(size: int | None = None) -> str:
    """``"The file (250 MB) is larger than the import limit of 128 MB (134217728 bytes)."``"""
    limit = settings.IMPORT_MAX_BYTES
    sent = f" ({human_size(size)})" if size else ""
    exact = f" ({limit} bytes)" if limit >= 1024 else ""
    return f"The file{sent} is larger than the import limit of {human_size(limit)}{exact}."


def announced_size(request: HttpRequest) -> int:
    """The request's ``Content-Length`` in bytes (0 when absent or not a number)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def import_upload(too_large: Callable[..., HttpResponse]) -> Callable:
    """Mark a view as taking an import upload; ``too_large(request, *args, **kwargs)``
    answers (with a 413) a request whose body is announced over the cap, without reading it.
    It must check what the view itself checks first (login, membership)."""

    def mark(view: Callable) -> Callable:
        view.import_too_large = too_large
        return view

    return mark


class ImportSizeLimitMiddleware:
    """Answer an import upload announced over ``IMPORT_MAX_BYTES`` + :data:`FORM_OVERHEAD`
    with the view's ``import_too_large`` answer (set by :func:`import_upload`, or a class
    attribute of a class-based view), before the body is read."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        too_large = getattr(view_func, "import_too_large", None) or getattr(
            getattr(view_func, "view_class", None), "import_too_large", None
        )
        if too_large is None or request.method != "POST":
            return None
        if announced_size(request) <= settings.IMPORT_MAX_BYTES + FORM_OVERHEAD:
            return None
        return too_large(request, *view_args, **view_kwargs)
