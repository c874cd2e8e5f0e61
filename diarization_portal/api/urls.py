"""URLs of the REST API (``/api/v1/``), its schema and docs, and the API-keys page.

Mounted at the root with namespace ``api``: ``api:api_keys`` (``/account/api-keys/``),
``api:api_key_revoke``, ``api:schema`` (``/api/schema/``), ``api:docs`` (``/api/docs/``) and
one name per endpoint (``api:conversation_list``, ``api:conversation_detail``,
``api:member_list``, ``api:member_detail``, ``api:message_list``, ``api:insight_list``,
``api:action_item_list``, ``api:question_list``, ``api:follow_up_list``). Endpoint paths have
no trailing slash, like Symbl's. Any other path under ``/api/`` is a JSON 404.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import account
from .exceptions import not_found
from .views import conversations, insights, members, messages

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
]

urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^api/", not_found),
    path("account/api-keys/", account.api_keys, name="api_keys"),
    path("account/api-keys/<int:pk>/revoke/", account.api_key_revoke_view, name="api_key_revoke"),
]
