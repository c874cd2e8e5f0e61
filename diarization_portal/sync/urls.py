"""Vendor webhooks, mounted under ``/webhooks/``."""

from django.urls import path, re_path

from . import views

app_name = "sync"

urlpatterns = [
    path("symbl/<str:token>/", views.symbl_webhook, name="symbl_webhook"),
    path("deepaffects/<str:token>/", views.deepaffects_webhook, name="deepaffects_webhook"),
    path("elevenlabs/<int:account_id>/", views.elevenlabs_webhook, name="elevenlabs_webhook"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
