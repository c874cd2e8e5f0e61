"""One adapter per diarization vendor, found through one registry.

Layout: ``_common.py`` holds what adapters share (:class:`Submitted`, :class:`Resubmit`,
:class:`JobInputError`, the uploaded recording, webhook URLs, the HTTP session); each vendor
module (``symbl.py``, ``elevenlabs.py``, ``phonexia.py``, ``deepaffects.py``) defines a
:class:`VendorAdapter` subclass and registers it with :func:`register`; :func:`adapter_for`
returns the adapter of a :class:`~diarization_portal.conversations.models.Vendor` value. The
services, the API and the dashboard ask the adapter instead of testing the vendor.

To add a vendor: write its provider client in ``providers/``, its format module
(``providers/formats/``), an adapter here, and register it (``@register`` on the class and an
import of its module at the end of this file). Around it: the ``Vendor`` choice
(``conversations/models/conversation.py``), the account's secrets and base URL tables in
``sync/models.py`` (and their fields in ``dashboard/forms_accounts.py``), its API options
serializer in ``api/serializers/process.py`` (``VENDOR_OPTIONS``), its option fields
(``<vendor>_<option>``) in ``dashboard/forms_jobs.py``, and a webhook view in
``sync/views.py`` when it answers by webhook.
"""

from __future__ import annotations

from typing import ClassVar

from diarization_portal.conversations.models import Job, Member
from providers.jobs import JobStatus
from providers.types import ProviderError, Transcript

from ._common import JobInputError, Resubmit, Submitted

__all__ = [
    "JobInputError",
    "Resubmit",
    "Submitted",
    "VendorAdapter",
    "adapter_for",
    "adapters",
    "register",
]


class VendorAdapter:
    """Everything the portal does with one vendor. Subclasses set :attr:`vendor` and
    override the steps; the defaults refuse (``ProviderError(error_type="config")``).

    Each step takes a :class:`~diarization_portal.conversations.models.Job` (``account`` and
    ``conversation`` loaded) and the client of :meth:`client`, and returns the portal's own
    types. Errors: :class:`~providers.types.ProviderError` (plus ``error_type="config"`` for
    a job the vendor cannot take), ValueError for bad arguments, :class:`Resubmit` when an
    identical new submit may succeed.
    """

    #: The ``Vendor`` value this adapter serves.
    vendor: ClassVar[str] = ""
    #: Options of the dashboard's submit form for this vendor (names without the
    #: ``<vendor>_`` prefix), in display order.
    form_fields: ClassVar[tuple[str, ...]] = ()
    #: The dashboard's note above this vendor's options.
    form_note: ClassVar[str] = ""
    #: The vendor answers by webhook only: jobs need ``settings.PUBLIC_BASE_URL``.
    needs_webhook: ClassVar[bool] = False
    #: An append goes into the vendor's conversation (``Conversation.external_id``), so the
    #: first recording must have been submitted.
    appends_to_vendor_conversation: ClassVar[bool] = False
    #: The ``max_speakers`` option and an exact speaker count exclude each other.
    max_speakers_excludes_count: ClassVar[bool] = False

    # -- client and input -------------------------------------------------------------------

    def client(self, account, base_url: str):
        """The vendor client for ``account`` (secrets present, ``base_url`` checked or
        blank). Raises ProviderError (``account_incomplete``)."""
        raise ProviderError(f"{account}: no client for vendor {self.vendor!r}", error_type="config")

    def source_mode(self, options: dict) -> str:
        """Which recording a job with ``options`` takes: ``"url_or_file"`` (exactly one),
        ``"file"`` (an upload only) or ``"none"`` (the vendor already has the audio)."""
        return "url_or_file"

    def check_input(self, source_url: str, media, options: dict) -> None:
        """Raise :class:`JobInputError` (with its ``field``) when a job of this vendor
        cannot be created from ``source_url``/``media``/``options``."""
        mode = self.source_mode(options)
        if mode == "none":
            return
        if bool(source_url) == (media is not None):
            raise JobInputError("give either a recording URL or an uploaded file")
        if mode == "file" and media is None:
            raise JobInputError(f"{self.label} needs an uploaded file")

    def job_options(self, data: dict) -> dict:
        """``Job.options`` from the dashboard form's cleaned ``data`` (fields named
        ``<vendor>_<option>``)."""
        return {}

    @property
    def label(self) -> str:
        """The vendor's display name."""
        from diarization_portal.conversations.models import Vendor

        return Vendor(self.vendor).label

    # -- steps ------------------------------------------------------------------------------

    def before_submit(self, job: Job) -> str:
        """A vendor job id to save before the submit call (DeepAffects' own request id),
        or ``""``."""
        return ""

    def submit(self, job: Job, client) -> Submitted:
        """Start the vendor's work for ``job``."""
        raise ProviderError(f"cannot submit to {self.vendor!r}", error_type="config")

    def status(self, job: Job, client) -> JobStatus:
        """One poll of the vendor job. Raises :class:`Resubmit` or ProviderError."""
        raise ProviderError(f"cannot poll {self.vendor!r}", error_type="config")

    def fetch(self, job: Job, client) -> Transcript:
        """The finished result. Raises ProviderError (``parse_error``, ``not_ready``)."""
        raise ProviderError(f"cannot fetch from {self.vendor!r}", error_type="config")

    def pushable(self, job: Job) -> bool:
        """True when the vendor accepts member updates for ``job``'s conversation."""
        return False

    def push(self, member: Member, job: Job, client) -> None:
        """Send ``member``'s edit to the vendor. Raises ProviderError
        (``push_unsupported`` by default)."""
        raise ProviderError(
            f"{job.account.get_vendor_display()} does not accept member updates",
            error_type="push_unsupported",
        )


#: The adapters by ``Vendor`` value, filled by :func:`register`.
adapters: dict[str, VendorAdapter] = {}


def register(cls: type[VendorAdapter]) -> type[VendorAdapter]:
    """Class decorator: register one instance of ``cls`` under ``cls.vendor``."""
    adapters[cls.vendor] = cls()
    return cls


def adapter_for(vendor: str) -> VendorAdapter:
    """The adapter of ``vendor`` (a ``Vendor`` value). Raises ``ProviderError(
    error_type="config")`` for a vendor without one (such as ``file``)."""
    try:
        return adapters[vendor]
    except KeyError:
        raise ProviderError(f"no adapter for vendor {vendor!r}", error_type="config") from None


# Registration order is the display order of the dashboard's vendor groups.
from . import symbl  # noqa: E402, F401, I001
from . import elevenlabs  # noqa: E402, F401
from . import phonexia  # noqa: E402, F401
from . import deepaffects  # noqa: E402, F401
