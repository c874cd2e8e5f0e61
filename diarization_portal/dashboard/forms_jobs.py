"""The form that sends a recording to a diarization vendor (a new conversation or an append).

One form serves every vendor: the common fields (account, recording URL or file, speaker
count, language, title) and one group of options per vendor, named ``<vendor>_<option>``.
Only the chosen account's group is read and checked; :meth:`RecordingForm.job_options` turns
it into ``Job.options`` with the vendor's adapter (:mod:`diarization_portal.sync.adapters`:
its ``form_fields``, ``form_note``, ``job_options`` and ``source_mode``).
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from diarization_portal.sync.adapters import VendorAdapter, adapters
from diarization_portal.sync.models import ProviderAccount
from providers.elevenlabs import MAX_SPEAKERS

#: Largest recording the portal accepts (bytes); vendors get it whole in one request.
MAX_RECORDING_BYTES = 500 * 1024 * 1024
#: Options that apply to one ElevenLabs product only (the script hides them for the other).
PRODUCT_ONLY = {
    "elevenlabs_model_id": "stt",
    "elevenlabs_voice_id": "pvc",
    "elevenlabs_sample_id": "pvc",
}


class AccountSelect(forms.Select):
    """A select whose options carry ``data-vendor`` (the script shows that vendor's group)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-vendor"] = instance.vendor
        return option


class AccountField(forms.ModelChoiceField):
    """A provider account choice labelled "label · Vendor", with the missing secrets named."""

    def label_from_instance(self, obj: ProviderAccount) -> str:
        missing = obj.missing_secrets()
        flag = f" (missing {', '.join(missing)})" if missing else ""
        return f"{obj.label} · {obj.get_vendor_display()}{flag}"


class RecordingForm(forms.Form):
    """A recording for a vendor. ``accounts``: the accounts to offer; ``append``: True when
    the recording is added to an existing conversation (no title)."""

    account = AccountField(
        queryset=ProviderAccount.objects.none(),
        widget=AccountSelect,
        label="Provider account",
        empty_label=None,
        help_text="The vendor login that diarizes the recording.",
    )
    source_url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        label="Recording URL",
        help_text="A public http(s) address the vendor can download.",
    )
    media = forms.FileField(
        required=False,
        label="or a recording file",
        help_text="Audio or video from your computer, up to 500 MB.",
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Default: the recording's file name."
    )
    speaker_count = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SPEAKERS,
        label="Speakers",
        help_text="Blank: the vendor decides. Exact for Symbl and Phonexia, a maximum for "
        "ElevenLabs.",
    )
    language = forms.CharField(
        max_length=16,
        required=False,
        help_text="Such as en-US (ElevenLabs: en). Blank: the vendor's default or detection.",
    )
    elevenlabs_product = forms.ChoiceField(
        choices=[("stt", "Speech-to-Text (transcript with speakers)"), ("pvc", "PVC sample")],
        initial="stt",
        required=False,
        label="Product",
        widget=forms.RadioSelect,
    )
    elevenlabs_model_id = forms.ChoiceField(
        choices=[("scribe_v1", "scribe_v1"), ("scribe_v2", "scribe_v2")],
        initial="scribe_v1",
        required=False,
        label="Speech-to-Text model",
    )
    elevenlabs_voice_id = forms.CharField(
        max_length=100, required=False, label="Voice ID", help_text="PVC only."
    )
    elevenlabs_sample_id = forms.CharField(
        max_length=100, required=False, label="Sample ID", help_text="PVC only."
    )
    phonexia_channel_mode = forms.ChoiceField(
        choices=[("split", "Split: diarize each channel on its own"), ("mix", "Mix channels")],
        initial="split",
        required=False,
        label="Channel mode",
    )
    phonexia_max_speakers = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SPEAKERS,
        label="Most speakers",
        help_text="An upper bound, instead of an exact speaker count.",
    )
    deepaffects_encoding = forms.ChoiceField(
        choices=[("", "Choose…"), ("FLAC", "FLAC"), ("Wave", "Wave"), ("MP3", "MP3")],
        required=False,
        label="Encoding",
    )
    deepaffects_sample_rate = forms.IntegerField(
        required=False,
        min_value=8000,
        max_value=192000,
        label="Sample rate (Hz)",
        help_text="Such as 16000 or 44100.",
    )
    deepaffects_audio_type = forms.ChoiceField(
        choices=[("meeting", "Meeting"), ("callcenter", "Call centre (about two speakers)")],
        initial="meeting",
        required=False,
        label="Audio type",
    )

    def __init__(self, *args, accounts=None, append: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is not None:
            self.fields["account"].queryset = accounts
        self.append = append
        if append:
            del self.fields["title"]

    # -- layout helpers for the template ----------------------------------------------------

    def vendor_groups(self) -> list[dict]:
        """``[{"vendor", "label", "note", "fields": [{"field": BoundField, "only": product}]}]``
        for every vendor (``only``: ``"stt"``/``"pvc"`` for ElevenLabs product options)."""
        return [
            {
                "vendor": vendor,
                "label": adapter.label,
                "note": adapter.form_note,
                "fields": [
                    {
                        "field": self[f"{vendor}_{name}"],
                        "only": PRODUCT_ONLY.get(f"{vendor}_{name}"),
                    }
                    for name in adapter.form_fields
                ],
            }
            for vendor, adapter in adapters.items()
        ]

    def input_field(self, field: str) -> str | None:
        """The form field for :attr:`JobInputError.field` (``None``, a form-wide error, for
        ``options`` and inputs the form does not show)."""
        name = {
            "speaker_count": "speaker_count",
            "account": "account",
            "source": "media" if self.cleaned_data.get("media") is not None else "source_url",
        }.get(field)
        return name if name in self.fields else None

    def fields_with_errors(self) -> list:
        """Bound fields that have errors, in form order (the error summary links to them)."""
        return [self[name] for name in self.fields if name in self.errors]

    # -- validation -------------------------------------------------------------------------

    def clean_media(self):
        upload = self.cleaned_data.get("media")
        if upload is not None and upload.size > MAX_RECORDING_BYTES:
            raise forms.ValidationError("The recording is larger than 500 MB.")
        return upload

    def clean(self):
        data = super().clean()
        account: ProviderAccount | None = data.get("account")
        if account is None:
            return data
        missing = account.missing_secrets()
        if missing:
            self.add_error(
                "account",
                f"{account.label} is missing {', '.join(missing)}: a workspace admin must set "
                "it on the account page first.",
            )
        vendor = account.vendor
        adapter = adapters.get(vendor, VendorAdapter())
        check = getattr(self, f"_clean_{vendor}", None)
        raw = {name: data.get(f"{vendor}_{name}") for name in adapter.form_fields}
        mode = adapter.source_mode(raw)
        if mode != "none":
            self._clean_source(data, file_only=mode == "file", label=adapter.label)
        if check is not None:
            check(data)
        return data

    def _clean_source(self, data: dict, *, file_only: bool, label: str) -> None:
        url, media = data.get("source_url"), data.get("media")
        if "source_url" in self.errors or "media" in self.errors:
            return
        if file_only:
            if url:
                self.add_error("source_url", f"{label} takes an uploaded file, not a URL.")
            elif media is None:
                self.add_error("media", f"{label} needs an uploaded recording file.")
        elif url and media is not None:
            self.add_error("media", "Give a recording URL or a file, not both.")
        elif not url and media is None:
            self.add_error("source_url", "Give a recording URL or upload a file.")

    def _clean_elevenlabs(self, data: dict) -> None:
        if data.get("elevenlabs_product") != "pvc":
            return
        for name, label in (("elevenlabs_voice_id", "voice"), ("elevenlabs_sample_id", "sample")):
            if not data.get(name):
                self.add_error(name, f"A PVC job needs the {label} ID.")
        if data.get("source_url") or data.get("media") is not None:
            self.add_error(
                "source_url",
                "A PVC job separates a sample already uploaded to ElevenLabs: leave the URL and "
                "file empty.",
            )

    def _clean_phonexia(self, data: dict) -> None:
        if data.get("speaker_count") and data.get("phonexia_max_speakers"):
            self.add_error(
                "phonexia_max_speakers",
                "Give either the exact speaker count or the most speakers, not both.",
            )

    def _clean_deepaffects(self, data: dict) -> None:
        if not data.get("deepaffects_encoding"):
            self.add_error("deepaffects_encoding", "DeepAffects needs the recording's encoding.")
        if not data.get("deepaffects_sample_rate") and "deepaffects_sample_rate" not in self.errors:
            self.add_error("deepaffects_sample_rate", "DeepAffects needs the sample rate in Hz.")
        if not getattr(settings, "PUBLIC_BASE_URL", ""):
            self.add_error(
                "account",
                "DeepAffects answers only by webhook, and this portal has no public address "
                "(PUBLIC_BASE_URL) for it to call.",
            )

    # -- what the service gets --------------------------------------------------------------

    def job_options(self) -> dict:
        """``Job.options`` for the chosen account's vendor (its adapter's ``job_options``)."""
        data = self.cleaned_data
        adapter = adapters.get(data["account"].vendor)
        return adapter.job_options(data) if adapter is not None else {}

    def job_input(self) -> dict:
        """Keyword arguments of :func:`sync.services.job_create` but ``kind``/``conversation``."""
        data = self.cleaned_data
        options = self.job_options()
        pvc = options.get("product") == "pvc"
        title = data.get("title") or (f"PVC sample {options['sample_id']}" if pvc else "")
        return {
            "account": data["account"],
            "title": title,
            "source_url": "" if pvc else data.get("source_url") or "",
            "media": None if pvc else data.get("media"),
            "speaker_count": data.get("speaker_count"),
            "language": (data.get("language") or "").strip(),
            "options": options,
        }
