"""Provider accounts: one vendor login of a workspace (DESIGN §2, ``ProviderAccount``).

Secrets (API keys, app secrets, the ElevenLabs webhook secret) are **write-only**: they are
``editable=False`` so no ModelForm or admin page renders them, ``__str__``/``__repr__`` never
include them, and the vendor clients redact them from every error message
(:mod:`providers.http`). They are stored as plain JSON in the database: whoever can read the
database can read them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from diarization_portal.conversations.models import Vendor
from diarization_portal.workspaces.models import Workspace
from providers import deepaffects, elevenlabs, symbl
from providers.egress import base_url_problem

#: Vendors an account can belong to: every :class:`Vendor` but file imports.
ACCOUNT_VENDORS = [(value, label) for value, label in Vendor.choices if value != Vendor.FILE]

#: Secret names each vendor's client needs (vendor-apis.md 1.1, 2, 3, 4).
SECRET_NAMES: dict[str, tuple[str, ...]] = {
    Vendor.SYMBL: ("app_id", "app_secret"),
    Vendor.ELEVENLABS: ("api_key",),
    Vendor.PHONEXIA: ("api_key",),
    Vendor.DEEPAFFECTS: ("api_key",),
}
#: Secrets an account cannot work without (Phonexia's auth scheme is unconfirmed: optional).
REQUIRED_SECRETS: dict[str, tuple[str, ...]] = {
    Vendor.SYMBL: ("app_id", "app_secret"),
    Vendor.ELEVENLABS: ("api_key",),
    Vendor.PHONEXIA: (),
    Vendor.DEEPAFFECTS: ("api_key",),
}
DEFAULT_BASE_URLS = {
    Vendor.SYMBL: symbl.BASE_URL,
    Vendor.DEEPAFFECTS: deepaffects.BASE_URL,
    Vendor.ELEVENLABS: elevenlabs.REGIONS["default"],
}
#: The public hosts of each vendor (vendor-apis.md: Symbl 1, ElevenLabs' regions 2, DeepAffects
#: 4). Phonexia is self-hosted: its servers must be listed in ``VENDOR_EXTRA_HOSTS``.
PUBLIC_HOSTS: dict[str, frozenset[str]] = {
    Vendor.SYMBL: frozenset({urlsplit(symbl.BASE_URL).hostname}),
    Vendor.ELEVENLABS: frozenset(urlsplit(u).hostname for u in elevenlabs.REGIONS.values()),
    Vendor.PHONEXIA: frozenset(),
    Vendor.DEEPAFFECTS: frozenset({urlsplit(deepaffects.BASE_URL).hostname}),
}
_url = URLValidator(schemes=["http", "https"])


def extra_hosts() -> tuple[str, ...]:
    """Hosts the deployment trusts beyond the vendors' public ones
    (``settings.VENDOR_EXTRA_HOSTS``: names or IP literals; a proxy, a self-hosted Phonexia
    server, the test emulator). Requests to them skip the public-address check."""
    return tuple(getattr(settings, "VENDOR_EXTRA_HOSTS", ()) or ())


class ProviderAccount(models.Model):
    """A workspace's credentials for one vendor.

    ``base_url``: for ElevenLabs a region key of :data:`providers.elevenlabs.REGIONS`
    (``"default"``, ``"us"``, ``"eu-residency"``…; blank = default) or an http(s) URL (a
    proxy, or a test server); for Phonexia the server URL (``https://host:port``, required);
    for Symbl and DeepAffects blank (the vendor's URL) or an override. ``secrets``:
    ``{name: value}`` with the names of :data:`SECRET_NAMES`; set them with
    :meth:`set_secrets`, read them with :meth:`secret`. ``webhook_secret``: the ElevenLabs
    STT webhook signing secret (section 2.2).
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="provider_accounts"
    )
    vendor = models.CharField(max_length=16, choices=ACCOUNT_VENDORS)
    label = models.CharField(max_length=120)
    base_url = models.CharField(
        max_length=200,
        blank=True,
        help_text="ElevenLabs: a region (default, us, eu-residency, in-residency, "
        "sg-residency) or a URL. Phonexia: the server URL. Others: blank for the vendor's URL.",
    )
    secrets = models.JSONField(default=dict, blank=True, editable=False)
    webhook_secret = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "label", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "label"], name="uniq_account_label")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_vendor_display()})"

    def __repr__(self) -> str:
        return (
            f"<ProviderAccount {self.pk}: {self.vendor} {self.label!r} "
            f"workspace={self.workspace_id}>"
        )

    # -- secrets ----------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """The stored value of secret ``name`` (``""`` when unset)."""
        value = (self.secrets or {}).get(name)
        return value if isinstance(value, str) else ""

    def set_secrets(self, **values: str | None) -> list[str]:
        """Store the non-blank ``values`` (blank or ``None`` keeps the stored value) and
        return the names changed. Does not save. Raises ValueError for a name the vendor
        does not use (``webhook_secret`` is a field of its own; set it directly)."""
        allowed = SECRET_NAMES.get(self.vendor, ())
        changed = []
        current = dict(self.secrets or {})
        for name, value in values.items():
            if name not in allowed:
                raise ValueError(f"{self.get_vendor_display()} accounts have no {name!r} secret")
            if value and value.strip() and current.get(name) != value.strip():
                current[name] = value.strip()
                changed.append(name)
        self.secrets = current
        return changed

    def missing_secrets(self) -> list[str]:
        """Names of the required secrets not stored yet."""
        return [n for n in REQUIRED_SECRETS.get(self.vendor, ()) if not self.secret(n)]

    @property
    def has_secrets(self) -> bool:
        """True when every required secret is stored (values are never shown)."""
        return not self.missing_secrets()

    # -- endpoints --------------------------------------------------------------------------

    def endpoint_problem(self) -> str | None:
        """Why :attr:`resolved_base_url` may not be called, or ``None``: it must be ``https``
        on one of the vendor's :data:`PUBLIC_HOSTS`, or on a host of :func:`extra_hosts`
        (:func:`providers.egress.base_url_problem`)."""
        url = self.resolved_base_url
        if not url:
            return "No server URL is set."
        return base_url_problem(
            url, vendor_hosts=PUBLIC_HOSTS.get(self.vendor, ()), extra_hosts=extra_hosts()
        )

    @property
    def resolved_base_url(self) -> str:
        """The URL the client talks to: ``base_url`` resolved through the ElevenLabs regions,
        else the vendor default when blank."""
        if self.vendor == Vendor.ELEVENLABS:
            return elevenlabs.REGIONS.get(self.base_url or "default", self.base_url).rstrip("/")
        return (self.base_url or DEFAULT_BASE_URLS.get(self.vendor, "")).rstrip("/")

    def clean(self) -> None:
        """Validate ``base_url`` for the vendor (a region, or an http(s) URL that
        :meth:`endpoint_problem` accepts). Raises ValidationError on ``base_url``."""
        super().clean()
        value = (self.base_url or "").strip()
        self.base_url = value
        if self.vendor == Vendor.ELEVENLABS and (not value or value in elevenlabs.REGIONS):
            return
        if self.vendor == Vendor.ELEVENLABS and "://" not in value:
            regions = ", ".join(elevenlabs.REGIONS)
            raise ValidationError({"base_url": f"Choose a region: {regions}; or enter a URL."})
        if self.vendor == Vendor.PHONEXIA and not value:
            raise ValidationError({"base_url": "Phonexia needs the server URL."})
        if value:
            try:
                _url(value)
            except ValidationError:
                raise ValidationError({"base_url": "Enter an http(s) URL."}) from None
        if self.vendor in PUBLIC_HOSTS:
            problem = self.endpoint_problem()
            if problem:
                raise ValidationError({"base_url": problem})


class SpeechEngineState(models.TextChoices):
    PENDING = "pending", "Fetching"
    OK = "ok", "Up to date"
    ERROR = "error", "Error"


class SpeechEngineLink(models.Model):
    """An ElevenLabs Speech Engine a workspace admin linked to an account by its id
    (``seng_…``/``agent_…``), with what ``GET /v1/speech-engine/{id}`` last returned
    (vendor-apis.md 2.3).

    ``details`` is :meth:`providers.elevenlabs.SpeechEngine.as_dict` of the last successful
    read (kept when a later refresh fails), ``fetched_at`` its time; ``state`` and
    ``error_type``/``error_message`` tell how the last refresh went (``http_404``: unknown
    engine; ``http_401``: the API key is refused).
    """

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="speech_engines"
    )
    engine_id = models.CharField("Speech Engine id", max_length=200)
    state = models.CharField(
        max_length=16, choices=SpeechEngineState.choices, default=SpeechEngineState.PENDING
    )
    details = models.JSONField(null=True, blank=True, editable=False)
    fetched_at = models.DateTimeField(null=True, blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "engine_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "engine_id"], name="uniq_speech_engine")
        ]

    def __str__(self) -> str:
        return f"Speech Engine {self.engine_id} ({self.account_id})"

    @property
    def engine(self) -> elevenlabs.SpeechEngine | None:
        """The last read engine, or ``None`` before the first successful refresh."""
        if not self.details:
            return None
        try:
            return elevenlabs.SpeechEngine.from_dict(self.details)
        except ValueError:
            return None
