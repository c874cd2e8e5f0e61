"""File import and export:

* ``POST /conversations/import``: a transcript file (multipart ``file``, ``format``,
  ``title``, ``workspace``) as a new conversation; 201 with the counts;
* ``POST /conversations/{id}/import``: the same, appended to conversation ``{id}`` as a further
  recording (its timeline starts where the conversation ends; its speakers become new members);
* ``GET /conversations/{id}/export?format=vtt|srt|rttm|json``: the conversation with its
  current speaker names, streamed, with ``Content-Disposition: attachment``.

Imports need editors or admins; exports any member of the workspace. A file that cannot be
read is a 400 ``parse_error`` whose ``errors[0].loc`` is ``["body", "file", "<line N or JSON
path>"]``; nothing is written then.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from diarization_portal.conversations.services.exports import conversation_export
from diarization_portal.conversations.services.file_jobs import file_import_queue
from diarization_portal.conversations.services.imports import ImportRejected, file_import
from diarization_portal.uploads import too_large_message
from diarization_portal.workspaces.models import Membership
from providers.types import ParseError

from ..access import conversation_for, workspace_membership
from ..exceptions import error_body
from ..schema import ErrorSerializer
from ..serializers.files import (
    AppendImportFormSerializer,
    BackgroundImportReplySerializer,
    ExportQuerySerializer,
    ImportFormSerializer,
    ImportReplySerializer,
)
from .base import ConversationScoped, parse_query
from .speakers import validated


def file_too_large(request=None, *args, size: int | None = None, **kwargs) -> JsonResponse:
    """413 ``file_too_large`` stating the limit (``limitBytes``), before or after the body
    was read (:mod:`diarization_portal.uploads`)."""
    message = too_large_message(size)
    body = error_body("file_too_large", message, [{"loc": ["body", "file"], "msg": message}])
    return JsonResponse({**body, "limitBytes": settings.IMPORT_MAX_BYTES}, status=413)


def _import(membership_workspace, form: dict, *, into=None) -> Response:
    upload = form["file"]
    if upload.size > settings.IMPORT_MAX_BYTES:
        return file_too_large(size=upload.size)
    options = {
        "workspace": membership_workspace,
        "source_name": upload.name or "upload",
        "format": form["format"],
        "title": form.get("title") or None,
        "into": into,
    }
    try:
        if upload.size > settings.IMPORT_BACKGROUND_BYTES:
            job = file_import_queue(upload=upload, **options)
        else:
            result = file_import(data=upload.read(), **options)
    except ParseError as err:
        where = ["body", "file"] + ([err.location] if err.location else [])
        return Response(
            error_body("parse_error", str(err), [{"loc": where, "msg": err.reason}]),
            status=status.HTTP_400_BAD_REQUEST,
        )
    except ImportRejected as err:
        errors = [{"loc": ["body", "file"], "msg": str(err)}]
        return Response(
            error_body("parse_error", f"{upload.name}: {err}", errors),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if upload.size > settings.IMPORT_BACKGROUND_BYTES:
        reply = {
            "conversationId": str(job.conversation_id),
            "jobId": str(job.pk),
            "state": job.state,
        }
        return Response(reply, status=status.HTTP_202_ACCEPTED)
    reply = {
        "conversationId": str(result.conversation.pk),
        "jobId": str(result.job.pk),
        "members": result.members,
        "messages": result.messages,
        "insights": result.insights,
        "created": result.created,
    }
    return Response(reply, status=status.HTTP_200_OK if into else status.HTTP_201_CREATED)


def import_workspace(request, slug: str | None):
    """The workspace to import into: ``slug`` (404 for non-members, 403 for readers), or the
    only workspace the user edits (400 naming ``workspace`` when several or none)."""
    if slug:
        return workspace_membership(request, slug, edit=True).workspace
    memberships = list(Membership.objects.filter(user=request.user).select_related("workspace"))
    editable = [m for m in memberships if m.can_edit]
    if len(editable) == 1:
        return editable[0].workspace
    if editable:
        raise ValidationError({"workspace": ["you edit several workspaces: choose one (slug)"]})
    if memberships:
        raise PermissionDenied("Only editors and admins can import")
    raise ValidationError({"workspace": ["you belong to no workspace"]})


NOT_A_FORM = OpenApiResponse(
    ErrorSerializer, description="The body is not a multipart form (`unsupported_media_type`)."
)
IMPORT_DOC = (
    " Formats: Symbl JSON, RTTM, WebVTT voice tags, SRT `Name:` prefixes, and the JSON of "
    "Deepgram, AssemblyAI, AWS Transcribe, ElevenLabs (STT, PVC), Phonexia and DeepAffects; "
    "`format=auto` detects it. A file that cannot be read is a 400 `parse_error` naming the "
    "line or JSON path in `errors[0].loc`; nothing is written. A file over the import limit "
    "is a 413 `file_too_large` stating it (`limitBytes`). A file over "
    "`IMPORT_BACKGROUND_BYTES` is imported in the background: 202 with the queued import "
    "job, to follow at `GET /jobs/{id}` (a file that cannot be read rejects the job, naming "
    "the line or field in `errorMessage`)."
)
TOO_LARGE = OpenApiResponse(
    ErrorSerializer, description="The file is over the import limit (`file_too_large`)."
)
QUEUED = OpenApiResponse(
    BackgroundImportReplySerializer, description="A large file: imported in the background."
)


class ConversationImport(APIView):
    """A transcript file as a new conversation."""

    parser_classes = [MultiPartParser]
    import_too_large = staticmethod(file_too_large)

    @extend_schema(
        operation_id="conversations_import",
        summary="Import a transcript file as a new conversation",
        description="Editors and admins of the workspace. Replies 201 with the counts."
        + IMPORT_DOC,
        request={"multipart/form-data": ImportFormSerializer},
        responses={201: ImportReplySerializer, 202: QUEUED, 413: TOO_LARGE, 415: NOT_A_FORM},
        tags=["files"],
    )
    def post(self, request):
        form = validated(ImportFormSerializer, request)
        workspace = import_workspace(request, form.get("workspace"))
        return _import(workspace, form)


class ConversationAppendImport(ConversationScoped):
    """A transcript file appended to a conversation."""

    parser_classes = [MultiPartParser]
    import_too_large = staticmethod(file_too_large)

    @extend_schema(
        operation_id="conversations_import_append",
        summary="Append a transcript file to a conversation",
        description="The file is a further recording: its times start where the conversation "
        "ends and its speakers become new members, ready to be merged. The same file again "
        "changes nothing (`created` all zero). Editors and admins." + IMPORT_DOC,
        request={"multipart/form-data": AppendImportFormSerializer},
        responses={200: ImportReplySerializer, 202: QUEUED, 413: TOO_LARGE, 415: NOT_A_FORM},
        tags=["files"],
    )
    def post(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        form = validated(AppendImportFormSerializer, request)
        return _import(conversation.workspace, form, into=conversation)


class JsonErrorsNegotiation(DefaultContentNegotiation):
    """A download answers files; its errors are JSON whatever ``Accept`` asks for, and
    ``?format=`` names the file format, not a renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


EXPORT_JSON = {
    "type": "object",
    "description": "Symbl Conversation API bundle: importing it gives the conversation back.",
    "required": ["conversation", "members", "messages", "insights"],
    "properties": {
        "conversation": {"type": "object", "additionalProperties": {}},
        "members": {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
        "messages": {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
        "insights": {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
    },
}


EXPORT_DOC = (
    "The file: WebVTT (`text/vtt`, one cue per message, `<v Name>text`), SRT "
    "(`application/x-subrip`, `Name: text`), RTTM (`text/plain`, `SPEAKER <file> <channel> "
    "<onset> <duration> <NA> <NA> <name> <NA> <NA>`) or JSON (`application/json`)."
)


def _text() -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DOC)


class ConversationExport(ConversationScoped):
    """The conversation as a file, with current speaker names."""

    content_negotiation_class = JsonErrorsNegotiation
    query_serializer_class = ExportQuerySerializer

    @extend_schema(
        operation_id="conversations_export",
        summary="Export a conversation (WebVTT, SRT, RTTM or JSON)",
        description=(
            "Streams the conversation as a file with its current speaker names (renames and "
            "merges show at once), times in seconds from the start of the conversation. "
            '`Content-Disposition: attachment; filename="<title>.<format>"`. Any member of '
            "the workspace."
        ),
        parameters=[
            ExportQuerySerializer,
            OpenApiParameter(
                "Content-Disposition",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                response=[200],
                description='`attachment; filename="<title-slug>.<format>"`',
            ),
        ],
        responses={
            (200, "text/vtt"): _text(),
            (200, "application/x-subrip"): _text(),
            (200, "text/plain"): _text(),
            (200, "application/json"): OpenApiResponse(EXPORT_JSON, description=EXPORT_DOC),
        },
        tags=["files"],
    )
    def get(self, request, pk: int):
        conversation, _ = conversation_for(request, pk)
        query = parse_query(request, ExportQuerySerializer)
        export = conversation_export(conversation=conversation, format=query["format"])
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(True, export.filename)
        response["Cache-Control"] = "private, no-store"
        return response
