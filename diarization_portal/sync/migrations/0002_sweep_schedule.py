"""Create (or update) the django-q2 schedule that runs the sync sweeper every minute."""

from django.db import migrations

SCHEDULE_NAME = "sync: sweep due vendor jobs"
SWEEP_FUNC = "diarization_portal.sync.tasks.sweep_due_jobs"


def create_schedule(apps, schema_editor):
    """Idempotent: one schedule named ``SCHEDULE_NAME``, every minute, forever."""
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": SWEEP_FUNC,
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("django_q", "0014_schedule_cluster"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
