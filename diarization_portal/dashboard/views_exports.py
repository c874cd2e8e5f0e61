"""Dashboard downloads: a conversation as WebVTT, SRT, RTTM or Symbl JSON with current names.

Any member of the workspace may export (viewers too); anyone else gets a 404. The file is
streamed: the view reads the members once and the messages with one iterating query, so the
number of queries does not grow with the conversation (see
:mod:`diarization_portal.conversations.services.exports`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from diarization_portal.conversations.models import Conversation
from diarization_portal.conversations.services.exports import FORMATS
from diarization_portal.conversations.services.exports import conversation_export as export_of
from diarization_portal.workspaces.access import membership_for


@login_required
@require_GET
def conversation_export(request: HttpRequest, pk: int, fmt: str) -> StreamingHttpResponse:
    """``GET /c/<pk>/export.<fmt>``: the conversation as a file download.

    ``fmt`` is ``vtt``, ``srt``, ``rttm`` or ``json``; another is a 404. Answers with
    ``Content-Disposition: attachment; filename="<title-slug>.<fmt>"``.
    """
    if fmt not in FORMATS:
        raise Http404("No such export format")
    conversation = get_object_or_404(Conversation, pk=pk)
    membership_for(request.user, conversation.workspace_id)
    export = export_of(conversation=conversation, format=fmt)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    response["Cache-Control"] = "private, no-store"
    return response
