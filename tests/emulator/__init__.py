"""A loopback emulator of the diarization vendors the portal syncs with.

:class:`VendorEmulator` is a real HTTP server on ``127.0.0.1`` (ephemeral port) that answers as
Symbl.ai, ElevenLabs, Phonexia and DeepAffects do (``shared/vendor-apis.md``), with job state
machines, webhooks to the portal, results built from real diarization data
(:mod:`tests.emulator.datasets`), programmatic faults (:class:`Fault`) and a log of every
request it received::

    with VendorEmulator() as emulator:
        account.base_url = emulator.base_url("symbl")
        emulator.inject("symbl", "GET /v1/job/*", Fault.http(429, retry_after=2), times=2)
        ...
        [put] = emulator.requests("symbl", "PUT /v1/conversations/*/members/*")

It is test code: the end-to-end tests (``tests/e2e``) run a django-q2 cluster against it.
"""

from .base import Request, Response
from .datasets import Datasets, Recording, Turn
from .faults import Fault
from .progress import Advance
from .server import Delivery, VendorEmulator

__all__ = [
    "Advance",
    "Datasets",
    "Delivery",
    "Fault",
    "Recording",
    "Request",
    "Response",
    "Turn",
    "VendorEmulator",
]
