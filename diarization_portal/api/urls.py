"""URLs of the REST API (``/api/v1/``), its schema and docs, and the API-keys page.

Mounted at the root with namespace ``api``: ``api:api_keys`` (``/account/api-keys/``),
``api:api_key_revoke``, ``api:schema`` (``/api/schema/``), ``api:docs`` (``/api/docs/``) and
one name per endpoint (``api:conversation_list``, ``api:conversation_detail``,
``api:member_list``, ``api:member_detail``, ``api:message_list``, ``api:insight_list``,
``api:action_item_list``, ``api:question_list``, ``api:follow_up_list``). Endpoint paths have
no trailing slash, like Symbl's. Any other path under ``/api/`` is a JSON 404.

Beyond Symbl's Conversation API: ``api:member_merge``, ``api:messages_split``,
``api:messages_reassign``, ``api:edit_list``, ``api:edit_undo`` (speaker operations);
``api:job_list``, ``api:job_detail``, ``api:job_retry``, ``api:job_status`` (Symbl's
``/job/{jobId}``); ``api:member_push`` (a member's push to the vendor);
``api:process_audio_url``, ``api:process_audio``, ``api:process_video_url``,
``api:process_video`` and the appends ``api:append_audio_url``, ``api:append_audio``,
``api:append_video_url``, ``api:append_video`` (Symbl's Async API paths);
``api:conversation_import``, ``api:conversation_append_import``, ``api:conversation_export``;
``api:account_list`` (also POST), ``api:account_detail`` (also PATCH, DELETE).
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import account
from .exceptions import not_found
from .views import (
    accounts,
    conversations,
    files,
    insights,
    jobs,
    members,
    messages,
    process,
    pushes,
    speakers,
)

app_name = "api"

v1 = [
    path("conversations", conversations.ConversationList.as_view(), name="conversation_list"),
    path(
        "conversations/<int:pk>",
        conversations.ConversationDetail.as_view(),
        name="conversation_detail",
    ),
    path("conversations/<int:pk>/members", members.MemberList.as_view(), name="member_list"),
    path(
        "conversations/<int:pk>/members/<uuid:member_id>",
        members.MemberDetail.as_view(),
        name="member_detail",
    ),
    path("conversations/<int:pk>/messages", messages.MessageList.as_view(), name="message_list"),
    path("conversations/<int:pk>/insights", insights.InsightList.as_view(), name="insight_list"),
    path(
        "conversations/<int:pk>/action-items",
        insights.ActionItemList.as_view(),
        name="action_item_list",
    ),
    path("conversations/<int:pk>/questions", insights.QuestionList.as_view(), name="question_list"),
    path(
        "conversations/<int:pk>/follow-ups",
        insights.FollowUpList.as_view(),
        name="follow_up_list",
    ),
    # Beyond Symbl: speaker operations and history (views.speakers).
    path(
        "conversations/<int:pk>/members/<uuid:member_id>/merge",
        speakers.MemberMerge.as_view(),
        name="member_merge",
    ),
    path("conversations/<int:pk>/split", speakers.MessagesSplit.as_view(), name="messages_split"),
    path(
        "conversations/<int:pk>/messages/reassign",
        speakers.MessagesReassign.as_view(),
        name="messages_reassign",
    ),
    path("conversations/<int:pk>/edits", speakers.EditList.as_view(), name="edit_list"),
    path(
        "conversations/<int:pk>/edits/<int:edit_id>/undo",
        speakers.EditUndo.as_view(),
        name="edit_undo",
    ),
    # A member's push to the vendor (views.pushes).
    path(
        "conversations/<int:pk>/members/<uuid:member_id>/push",
        pushes.MemberPush.as_view(),
        name="member_push",
    ),
    # Jobs (views.jobs); Symbl's job status at /job/{jobId}.
    path("conversations/<int:pk>/jobs", jobs.ConversationJobList.as_view(), name="job_list"),
    path("jobs/<int:pk>", jobs.JobDetail.as_view(), name="job_detail"),
    path("jobs/<int:pk>/retry", jobs.JobRetry.as_view(), name="job_retry"),
    path("job/<int:pk>", jobs.SymblJobStatus.as_view(), name="job_status"),
    # Recordings to vendors on Symbl's Async API paths (views.process).
    path("process/audio/url", process.SubmitUrl.as_view(), name="process_audio_url"),
    path("process/audio", process.SubmitFile.as_view(), name="process_audio"),
    path("process/video/url", process.SubmitVideoUrl.as_view(), name="process_video_url"),
    path("process/video", process.SubmitVideoFile.as_view(), name="process_video"),
    path("process/audio/url/<int:pk>", process.AppendUrl.as_view(), name="append_audio_url"),
    path("process/audio/<int:pk>", process.AppendFile.as_view(), name="append_audio"),
    path("process/video/url/<int:pk>", process.AppendVideoUrl.as_view(), name="append_video_url"),
    path("process/video/<int:pk>", process.AppendVideoFile.as_view(), name="append_video"),
    # Transcript files in and out (views.files).
    path("conversations/import", files.ConversationImport.as_view(), name="conversation_import"),
    path(
        "conversations/<int:pk>/import",
        files.ConversationAppendImport.as_view(),
        name="conversation_append_import",
    ),
    path(
        "conversations/<int:pk>/export",
        files.ConversationExport.as_view(),
        name="conversation_export",
    ),
    # Provider accounts (views.accounts).
    path("accounts", accounts.AccountList.as_view(), name="account_list"),
    path("accounts/<int:pk>", accounts.AccountDetail.as_view(), name="account_detail"),
]

urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    re_path(r"^api/", not_found),
    path("account/api-keys/", account.api_keys, name="api_keys"),
    path("account/api-keys/<int:pk>/revoke/", account.api_key_revoke_view, name="api_key_revoke"),
]
