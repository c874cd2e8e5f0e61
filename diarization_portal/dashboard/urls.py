from django.urls import path

from . import views, views_exports

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("w/<slug:slug>/", views.conversation_list, name="conversation_list"),
    path("w/<slug:slug>/import/", views.conversation_import, name="conversation_import"),
    path("c/<int:pk>/", views.conversation_detail, name="conversation_detail"),
    path("c/<int:pk>/import/", views.recording_append, name="recording_append"),
    path(
        "c/<int:pk>/export.<str:fmt>", views_exports.conversation_export, name="conversation_export"
    ),
    path("c/<int:pk>/members/<int:member_pk>/rename/", views.member_rename, name="member_rename"),
    path("c/<int:pk>/members/<int:member_pk>/merge/", views.member_merge, name="member_merge"),
    path("c/<int:pk>/messages/reassign/", views.messages_reassign, name="messages_reassign"),
    path("c/<int:pk>/messages/split/", views.messages_split, name="messages_split"),
    path("c/<int:pk>/edits/<int:edit_pk>/undo/", views.edit_undo, name="edit_undo"),
]
