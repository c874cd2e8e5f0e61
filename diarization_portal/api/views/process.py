"""Send a recording to a diarization vendor, on Symbl's Async API paths (vendor-apis.md §1.2),
so that an integration written for Symbl submits to the portal unchanged:

* ``POST /process/audio/url`` (and ``/process/video/url``): JSON ``{url, name, languageCode,
  …}``; a new conversation;
* ``POST /process/audio`` (and ``/process/video``): the recording's bytes as the body (options
  in the query string) or a multipart form with ``file``; a new conversation;
* ``PUT /process/audio/url/{id}``, ``PUT /process/audio/{id}`` (and the video ones): append a
  further recording to conversation ``{id}``.

Every one answers 201 ``{conversationId, jobId}`` once the job is queued (``jobId``: poll
``GET /job/{jobId}`` like Symbl's Job API, or ``GET /jobs/{id}``). The work itself runs in the
background (:func:`diarization_portal.sync.services.job_create` enqueues the submit).

Decisions: the portal always diarizes, so ``enableSpeakerDiarization=false`` is a 400 naming
the field (true or left out is accepted). ``webhookUrl`` is a 400: the portal does not call
back, poll instead. Other Symbl options the portal does not pass on (``confidenceThreshold``,
``detectPhrases``…) are accepted and listed in the reply's ``ignored``. ``accountId`` chooses
the provider account (see :class:`~..serializers.process.SubmitQuerySerializer`).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.views import APIView

from ..access import conversation_for
from ..schema import ErrorSerializer, error_response
from ..serializers.process import (
    OPTIONS_HELP,
    FileSubmitFormSerializer,
    SubmitQuerySerializer,
    SubmitReplySerializer,
    UrlSubmitSerializer,
)
from ..submissions import (
    account_for_append,
    account_for_new,
    read_file_submission,
    read_submission,
    submit,
)
from .base import ConversationScoped

# -- views ------------------------------------------------------------------------------------

NOTES = (
    " The portal always diarizes: `enableSpeakerDiarization=false` is a 400. `webhookUrl` is "
    "a 400 (poll `GET /job/{jobId}`); other Symbl options are accepted and listed in "
    "`ignored`. Query parameters and body fields are the same; the body wins. " + OPTIONS_HELP
)
FILE_BODY = {
    "multipart/form-data": FileSubmitFormSerializer,
    "application/octet-stream": OpenApiTypes.BINARY,
    "audio/*": OpenApiTypes.BINARY,
    "video/*": OpenApiTypes.BINARY,
}
REPLIES = {201: SubmitReplySerializer}
FILE_REPLIES = {
    **REPLIES,
    415: OpenApiResponse(
        ErrorSerializer,
        description="The body is neither a multipart form nor a recording (`audio/*`, "
        "`video/*`, `application/octet-stream` or no `Content-Type`): `unsupported_media_type`.",
    ),
}


class SubmitUrl(APIView):
    """A recording at a URL, into a new conversation."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="process_audio_url_create",
        summary="Submit a recording by URL (Symbl's POST /v1/process/audio/url)",
        description="Creates a conversation and queues the recording for the vendor of the "
        "provider account; editors and admins of the account's workspace." + NOTES,
        parameters=[SubmitQuerySerializer],
        request=UrlSubmitSerializer,
        responses=REPLIES,
        tags=["process"],
    )
    def post(self, request):
        sub = read_submission(request, UrlSubmitSerializer)
        return submit(request, sub, account=account_for_new(request, sub), upload=False)


class SubmitFile(APIView):
    """An uploaded recording, into a new conversation."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="process_audio_create",
        summary="Submit a recording file (Symbl's POST /v1/process/audio)",
        description="The body is the recording's bytes (`Content-Type` audio/…, video/… or "
        "left out, options in the query string), or a multipart form with `file` and the "
        "options as fields. Up to 500 MB. Creates a conversation; editors and admins of the "
        "account's workspace." + NOTES,
        parameters=[SubmitQuerySerializer],
        request=FILE_BODY,
        responses=FILE_REPLIES,
        tags=["process"],
    )
    def post(self, request):
        sub = read_file_submission(request)
        return submit(request, sub, account=account_for_new(request, sub), upload=True)


class AppendUrl(ConversationScoped):
    """A further recording at a URL, appended to a conversation."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="process_audio_url_append",
        summary="Append a recording by URL (Symbl's PUT /v1/process/audio/url/{id})",
        description="Queues a further recording of conversation `id` with an account of the "
        "conversation's vendor (default: the account of its latest vendor job). Symbl "
        "appends into the same Symbl conversation; the other vendors add its speakers as new "
        "members, ready to be merged. A Symbl conversation whose first recording is not "
        "submitted yet is a 409. Editors and admins." + NOTES,
        parameters=[SubmitQuerySerializer],
        request=UrlSubmitSerializer,
        responses={**REPLIES, 409: error_response(409)},
        tags=["process"],
    )
    def put(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        sub = read_submission(request, UrlSubmitSerializer)
        account = account_for_append(conversation, sub)
        return submit(request, sub, account=account, upload=False, conversation=conversation)


class AppendFile(ConversationScoped):
    """A further uploaded recording, appended to a conversation."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="process_audio_append",
        summary="Append a recording file (Symbl's PUT /v1/process/audio/{id})",
        description="The file version of the URL append: the recording's bytes or a "
        "multipart form with `file`, up to 500 MB." + NOTES,
        parameters=[SubmitQuerySerializer],
        request=FILE_BODY,
        responses={**FILE_REPLIES, 409: error_response(409)},
        tags=["process"],
    )
    def put(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        sub = read_file_submission(request)
        account = account_for_append(conversation, sub)
        return submit(request, sub, account=account, upload=True, conversation=conversation)


def _video(view, method: str, operation_id: str, summary: str):
    """The same endpoint on Symbl's ``/process/video…`` path."""
    return extend_schema_view(
        **{method: extend_schema(operation_id=operation_id, summary=summary)}
    )(type(f"Video{view.__name__}", (view,), {"__doc__": view.__doc__}))


SubmitVideoUrl = _video(
    SubmitUrl, "post", "process_video_url_create", "Submit a video by URL (/process/video/url)"
)
SubmitVideoFile = _video(
    SubmitFile, "post", "process_video_create", "Submit a video file (/process/video)"
)
AppendVideoUrl = _video(
    AppendUrl, "put", "process_video_url_append", "Append a video by URL (/process/video/url/{id})"
)
AppendVideoFile = _video(
    AppendFile, "put", "process_video_append", "Append a video file (/process/video/{id})"
)
