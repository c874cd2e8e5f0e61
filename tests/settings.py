"""Settings of the test suite: the portal's own settings (``diarization_portal.settings``, read
from the same environment variables) with what keeps the suite fast and lets several runs share
one PostgreSQL server and one Redis server without seeing each other's data.

* Backends come from the environment as in production: ``DATABASE_URL`` unset is SQLite with
  the django-q2 ORM broker; ``DATABASE_URL=postgres://…`` with ``REDIS_URL=redis://…`` is the
  production stack (``scripts/run-tests.sh`` runs the suite on both).
* ``PORTAL_TEST_RUN_ID`` names this run (made up when unset, and put into the environment so
  that the django-q2 clusters the end-to-end tests start share it). It names the PostgreSQL
  test database (``test_portal_<id>``, created and dropped by pytest-django), the django-q2
  queue in Redis (``django_q:portal-test-<id>:q``) and the prefix of every Redis key the run
  writes, which the session's teardown deletes.
* A fast password hasher, and a local-memory cache wherever the cache is not under test
  (``REDIS_TEST_CACHE`` is the run's Redis cache for the tests of what is shared through it).
"""

import os
import secrets

from diarization_portal.settings import *  # noqa: F403
from diarization_portal.settings import DATABASES, Q_CLUSTER, REDIS_URL

RUN_ID = os.environ.setdefault("PORTAL_TEST_RUN_ID", secrets.token_hex(4))
REDIS_KEY_PREFIX = f"portal-test-{RUN_ID}"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{RUN_ID}"}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The API throttle counts in that cache (atomic within the test process); the tests of the
# throttle itself choose the database or the run's Redis cache.
API_THROTTLE_STORE = "cache"
REDIS_TEST_CACHE = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
    }
    if REDIS_URL
    else None
)

# The run's own django-q2 queue (the Redis list key and the cluster's stat keys follow it).
Q_CLUSTER = {**Q_CLUSTER, "name": REDIS_KEY_PREFIX if REDIS_URL else Q_CLUSTER["name"]}

# Hosts provider accounts of the tests may name beyond the vendors' public ones: the loopback
# vendor emulator (tests.emulator) and the made-up Phonexia servers of the tests.
VENDOR_EXTRA_HOSTS = ["127.0.0.1", "phx.example.org", "phonexia.example.org"]
