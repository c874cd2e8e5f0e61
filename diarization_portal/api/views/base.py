"""Pieces shared by API views: query-parameter parsing and the Symbl-style list views."""

from __future__ import annotations

from rest_framework import generics
from rest_framework.views import APIView

from ..access import conversation_for
from ..exceptions import QueryValidationError


def parse_query(request, serializer_class) -> dict:
    """Validate ``request.query_params`` with ``serializer_class``; bad values raise
    :class:`~..exceptions.QueryValidationError` (``loc`` ``["query", "<name>"]``)."""
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        raise QueryValidationError(serializer.errors)
    return serializer.validated_data


class ConversationScoped(APIView):
    """Base of every view under ``/conversations/{id}``: a method the endpoint does not have is
    a 405 only for members of the conversation's workspace; for anyone else the conversation
    does not exist (404), whatever the verb."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        conversation_for(request, kwargs["pk"])
        return super().http_method_not_allowed(request, *args, **kwargs)


class ConversationItemList(ConversationScoped, generics.ListAPIView):
    """A paginated list of rows of one conversation (``/conversations/{id}/<items>``).

    Subclasses set ``serializer_class``, ``pagination_class`` (:func:`..pagination.paged`) and
    ``items(conversation)`` returning the queryset. ``self.conversation`` is set (after the
    access check, :func:`..access.conversation_for`) before serializing.
    """

    conversation = None

    def items(self, conversation):
        raise NotImplementedError(f"{type(self).__name__} must define items(conversation)")

    def get_queryset(self):
        self.conversation, _membership = conversation_for(self.request, self.kwargs["pk"])
        return self.items(self.conversation)
