"""Create (or update) the django-q2 schedule that enforces workspace retention every hour."""

from django.db import migrations

SCHEDULE_NAME = "retention: delete what workspaces keep no longer"
FUNC = "diarization_portal.conversations.tasks.enforce_retention"


def create_schedule(apps, schema_editor):
    """Idempotent: one schedule named ``SCHEDULE_NAME``, every hour, forever."""
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": FUNC,
            "schedule_type": "H",  # Schedule.HOURLY
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0004_duplicatedismissal"),
        ("workspaces", "0002_privacy_retention_policy"),
        ("django_q", "0014_schedule_cluster"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
