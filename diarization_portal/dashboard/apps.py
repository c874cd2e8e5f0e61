from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "diarization_portal.dashboard"
