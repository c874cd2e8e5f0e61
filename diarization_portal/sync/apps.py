from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Vendor sync: provider accounts, sync jobs, webhooks and member pushes."""

    name = "diarization_portal.sync"
    verbose_name = "Vendor sync"
