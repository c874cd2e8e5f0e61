from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "diarization_portal.workspaces"
