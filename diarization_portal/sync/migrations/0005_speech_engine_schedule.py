"""Create (or update) the django-q2 schedule that refreshes linked Speech Engines hourly."""

from django.db import migrations

SCHEDULE_NAME = "sync: refresh linked ElevenLabs Speech Engines"
FUNC = "diarization_portal.sync.tasks.refresh_speech_engines"


def create_schedule(apps, schema_editor):
    """Idempotent: one schedule named ``SCHEDULE_NAME``, every hour, forever."""
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": FUNC, "schedule_type": "H", "repeats": -1},  # Schedule.HOURLY
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0004_speech_engine_link"),
        ("django_q", "0014_schedule_cluster"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
