"""settings.SYNC_TIMING: production defaults, overrides by name, refusal of bad values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from diarization_portal.conversations.models import Job, JobState
from diarization_portal.sync import services, timing
from diarization_portal.sync.services import jobs

from .conftest import make_account, recorded

SYMBL = "https://api.symbl.ai"

pytestmark = pytest.mark.django_db(transaction=True)


def test_defaults_are_the_production_timings(settings):
    settings.SYNC_TIMING = {}
    assert [services.backoff(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert timing.seconds("lease_submit") == 600 and timing.seconds("lease_poll") == 120
    assert timing.seconds("poll_min") == 5 and timing.seconds("poll_max") == 30
    assert timing.seconds("max_age") == 12 * 3600
    assert timing.seconds("deepaffects_stale") == 1800


def test_overrides_change_backoff_lease_and_first_poll(settings, workspace, tasks, mocked):
    settings.SYNC_TIMING = {"backoff_min": 0.5, "backoff_max": 2, "lease_submit": 7, "poll_min": 1}
    assert [services.backoff(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 2.0]
    job = services.job_create(
        account=make_account(workspace, "symbl"), source_url="https://media.example.org/a.mp3"
    )
    before = timezone.now()
    claimed = jobs._claim(job.pk, [JobState.QUEUED], "submit")
    lease = claimed.next_check_at - before
    assert timedelta(seconds=6.5) < lease < timedelta(seconds=7.5)

    Job.objects.filter(pk=job.pk).update(next_check_at=timezone.now())
    mocked.post(f"{SYMBL}/oauth2/token:generate", json=recorded("symbl", "token.json"))
    mocked.post(f"{SYMBL}/v1/process/audio/url", json=recorded("symbl", "submit.json"), status=201)
    job = services.job_submit(job_id=job.pk)
    assert job.state == JobState.SUBMITTED
    assert job.next_check_at - job.submitted_at == timedelta(seconds=1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"lease": 5}, "unknown timing 'lease'"),
        ({"poll_min": 0}, "positive number"),
        ({"poll_min": "5"}, "positive number"),
        ({"poll_min": float("inf")}, "positive number"),
        ([("poll_min", 5)], "must be a dict"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, value, message):
    settings.SYNC_TIMING = value
    with pytest.raises(ImproperlyConfigured, match=message):
        timing.seconds("poll_min")
