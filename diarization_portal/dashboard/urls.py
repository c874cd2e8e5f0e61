from django.urls import path

from . import (
    views,
    views_accounts,
    views_duplicates,
    views_engines,
    views_exports,
    views_imports,
    views_jobs,
    views_privacy,
    views_pvc,
    views_sharing,
)

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("w/<slug:slug>/", views.conversation_list, name="conversation_list"),
    path("w/<slug:slug>/import/", views_imports.conversation_import, name="conversation_import"),
    path("c/<int:pk>/", views.conversation_detail, name="conversation_detail"),
    path("c/<int:pk>/import/", views_imports.recording_append, name="recording_append"),
    path(
        "c/<int:pk>/export.<str:fmt>", views_exports.conversation_export, name="conversation_export"
    ),
    path("c/<int:pk>/members/<int:member_pk>/rename/", views.member_rename, name="member_rename"),
    path("c/<int:pk>/members/<int:member_pk>/merge/", views.member_merge, name="member_merge"),
    path("c/<int:pk>/messages/reassign/", views.messages_reassign, name="messages_reassign"),
    path("c/<int:pk>/messages/split/", views.messages_split, name="messages_split"),
    path("c/<int:pk>/edits/<int:edit_pk>/undo/", views.edit_undo, name="edit_undo"),
]

# Vendor sync: send recordings to a vendor, the job panel, member push states.
urlpatterns += [
    path("w/<slug:slug>/new/", views_jobs.conversation_new, name="conversation_new"),
    path("c/<int:pk>/send/", views_jobs.recording_send, name="recording_send"),
    path("c/<int:pk>/jobs/", views_jobs.job_panel, name="job_panel"),
    path("c/<int:pk>/jobs/<int:job_pk>/retry/", views_jobs.job_retry, name="job_retry"),
    path("c/<int:pk>/speakers/", views_jobs.speakers_panel, name="speakers_panel"),
    path(
        "c/<int:pk>/members/<int:member_pk>/push/",
        views_jobs.member_push_retry,
        name="member_push_retry",
    ),
]

# Provider accounts of a workspace (admins only).
urlpatterns += [
    path("w/<slug:slug>/accounts/", views_accounts.account_list, name="account_list"),
    path("w/<slug:slug>/accounts/new/", views_accounts.account_create, name="account_create"),
    path("w/<slug:slug>/accounts/<int:pk>/", views_accounts.account_edit, name="account_edit"),
    path(
        "w/<slug:slug>/accounts/<int:pk>/delete/",
        views_accounts.account_delete,
        name="account_delete",
    ),
]

# ElevenLabs PVC sample: separated speakers, their audio, which to keep.
urlpatterns += [
    path("c/<int:pk>/pvc/", views_pvc.pvc_speakers, name="pvc_speakers"),
    path("c/<int:pk>/pvc/selection/", views_pvc.pvc_selection, name="pvc_selection"),
    path(
        "c/<int:pk>/pvc/speakers/<int:member_pk>/audio/",
        views_pvc.pvc_speaker_audio,
        name="pvc_speaker_audio",
    ),
]

# Possible duplicates on the conversation page (merging uses member_merge).
urlpatterns += [
    path(
        "c/<int:pk>/duplicates/dismiss/",
        views_duplicates.duplicate_dismiss,
        name="duplicate_dismiss",
    ),
]

# Privacy and retention of a workspace (admins only).
urlpatterns += [
    path("w/<slug:slug>/privacy/", views_privacy.privacy_settings, name="privacy_settings"),
]

# ElevenLabs Speech Engines linked to an account (admins only).
urlpatterns += [
    path(
        "w/<slug:slug>/accounts/<int:pk>/speech-engines/",
        views_engines.speech_engines,
        name="speech_engines",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/speech-engines/link/",
        views_engines.speech_engine_link,
        name="speech_engine_link",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/speech-engines/<int:link_pk>/refresh/",
        views_engines.speech_engine_refresh,
        name="speech_engine_refresh",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/speech-engines/<int:link_pk>/unlink/",
        views_engines.speech_engine_unlink,
        name="speech_engine_unlink",
    ),
]

# Share links: created and revoked on the conversation page, opened without logging in.
urlpatterns += [
    path("c/<int:pk>/shares/", views_sharing.share_create, name="share_create"),
    path(
        "c/<int:pk>/shares/<int:link_pk>/revoke/",
        views_sharing.share_revoke,
        name="share_revoke",
    ),
    path("s/<str:token>/", views_sharing.shared_conversation, name="shared_conversation"),
]
