"""Timings of the end-to-end runs, shared by the test process and the django-q2 cluster it
starts (:mod:`tests.e2e.cluster_settings`).

Production waits seconds to minutes (``diarization_portal.sync.timing``); here a job runs in
about a second, while leases (5 s) stay longer than the slowest emulated vendor call (the
vendor read timeout, 3 s) so that no step is taken twice while it is still running.
"""

#: ``settings.SYNC_TIMING`` of the runs (seconds).
SYNC_TIMING = {
    "backoff_min": 0.3,
    "backoff_max": 1.0,
    "poll_min": 0.2,
    "poll_max": 0.5,
    "lease_submit": 5.0,
    "lease_poll": 5.0,
    "lease_import": 5.0,
}
#: ``settings.VENDOR_HTTP_TIMEOUT``: (connect, read) seconds of vendor calls.
VENDOR_HTTP_TIMEOUT = (2.0, 3.0)
#: Q_CLUSTER of the cluster: 2 workers, the ORM broker polled every 0.1 s, tasks limited to
#: 30 s and redelivered after 60 s (retry > timeout, as django-q2 requires), one attempt per
#: task (the sync services count and retry failures themselves) and failures acknowledged.
Q_CLUSTER = {
    "workers": 2,
    "poll": 0.1,
    "timeout": 30,
    "retry": 60,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
}
#: How often the test process runs the sweeper (django-q2 looks at schedules every 30 s).
SWEEP_EVERY = 0.25
