from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Vendor sync: provider accounts, sync jobs, webhooks and member pushes."""

    name = "diarization_portal.sync"
    verbose_name = "Vendor sync"

    def ready(self) -> None:
        """Listen to the speaker services: a recorded rename or merge (or its undo) marks the
        changed vendor members pending and enqueues their push
        (:func:`.services.members.members_changed`)."""
        from diarization_portal.conversations.models import SpeakerEdit
        from diarization_portal.conversations.signals import speaker_edit_recorded

        from .services.members import speaker_edit_recorded_receiver

        speaker_edit_recorded.connect(
            speaker_edit_recorded_receiver,
            sender=SpeakerEdit,
            dispatch_uid="sync.members_changed",
        )
