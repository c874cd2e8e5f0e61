"""A URLconf for the error page tests: the portal's own URLs and handlers, and views that fail
(``/boom/``, ``/api/v1/boom``, ``/webhooks/boom/``: an unexpected exception; ``/denied/``:
``PermissionDenied`` without a message)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from diarization_portal.urls import (  # noqa: F401 (Django reads the handlers from here)
    handler400,
    handler403,
    handler404,
    handler500,
)
from diarization_portal.urls import urlpatterns as portal_urlpatterns

SECRET_DETAIL = "boom: a detail only the traceback holds"


def boom(request):
    raise RuntimeError(SECRET_DETAIL)


def denied(request):
    raise PermissionDenied


urlpatterns = [
    path("boom/", boom),
    path("denied/", denied),
    path("api/v1/boom", boom),
    path("webhooks/boom/", boom),
    *portal_urlpatterns,
]
