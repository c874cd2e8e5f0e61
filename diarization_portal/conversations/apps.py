from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "diarization_portal.conversations"
