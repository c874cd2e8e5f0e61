"""Bodies, query parameters and replies of the recording submit endpoints, after Symbl's Async
API (vendor-apis.md §1.2): ``POST /process/audio/url`` ``{url, name, languageCode, …}`` with
``enableSpeakerDiarization``/``diarizationSpeakerCount`` in the body or the query string,
answered 201 ``{conversationId, jobId}``.

Portal additions: ``accountId`` (the provider account that diarizes the recording) and
``options`` (that vendor's options, :data:`VENDOR_OPTIONS`). In a query string or a multipart
form ``options`` is a JSON-encoded object.
"""

from __future__ import annotations

import json

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import Vendor
from providers.elevenlabs import MAX_SPEAKERS

#: Largest recording the portal takes (bytes); vendors get it whole in one request.
MAX_RECORDING_BYTES = 500 * 1024 * 1024


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JsonObjectField(serializers.Field):
    """A JSON object, or a string holding one (query strings and multipart forms)."""

    default_error_messages = {"invalid": "must be a JSON object"}

    def to_internal_value(self, data) -> dict:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "example": '{"product": "stt"}'})
class JsonStringObjectField(JsonObjectField):
    """A JSON object encoded as a string (documented as a string: query strings, forms)."""


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is absent when left out of a query string or form (DRF reads a missing
    checkbox as false)."""

    default_empty_html = serializers.empty


class SubmitQuerySerializer(serializers.Serializer):
    """Query parameters of the submit endpoints (Symbl sends the diarization flags here); the
    same fields in a body or form win over these."""

    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The conversation's name (default: the file name or the URL's last part). "
        "Ignored on appends.",
    )
    languageCode = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="Such as en-US (ElevenLabs: en). Default: the vendor's.",
    )
    enableSpeakerDiarization = OptionalBooleanField(
        required=False,
        help_text="The portal always diarizes: leave it out or send true; false is a 400.",
    )
    diarizationSpeakerCount = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SPEAKERS,
        required=False,
        allow_null=True,
        help_text="Speakers in the recording: exact for Symbl and Phonexia, a maximum for "
        "ElevenLabs. Default: the vendor decides.",
    )
    accountId = serializers.RegexField(
        r"^[0-9]{1,18}$",
        required=False,
        help_text="The provider account (`GET /accounts`). Default: for a new conversation, "
        "your only account in the workspaces you edit; for an append, the account of the "
        "conversation's latest vendor job.",
    )
    options = JsonStringObjectField(
        required=False,
        help_text="The vendor's options as a JSON-encoded object (see the operation's "
        "description).",
    )


class UrlSubmitSerializer(SubmitQuerySerializer):
    """JSON body of ``POST /process/audio/url`` and ``PUT /process/audio/url/{id}``."""

    url = serializers.CharField(
        max_length=2000,
        required=False,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="A public, direct http(s) address of the recording (no redirects). "
        "Required, except for ElevenLabs PVC jobs.",
    )
    options = JsonObjectField(
        required=False, help_text="The vendor's options (see the operation's description)."
    )


class FileSubmitFormSerializer(SubmitQuerySerializer):
    """Multipart form of ``POST /process/audio`` and ``PUT /process/audio/{id}``."""

    file = serializers.FileField(help_text="The recording (audio or video), up to 500 MB.")


class SubmitReplySerializer(serializers.Serializer):
    """Symbl's submit reply: ``{conversationId, jobId}``; ``ignored`` lists request fields
    the portal does not use (Symbl options such as ``confidenceThreshold``), when any."""

    conversationId = serializers.CharField(help_text="The conversation (decimal string).")
    jobId = serializers.CharField(help_text="The job: poll `GET /job/{jobId}` or `/jobs/{id}`.")
    ignored = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Fields not used."
    )


# -- vendor options -------------------------------------------------------------------------


class _Options(serializers.Serializer):
    def job_options(self) -> dict:
        """``Job.options`` (see :mod:`diarization_portal.sync.vendors`)."""
        raise NotImplementedError


class SymblOptions(_Options):
    """Symbl takes no options: the speaker count is ``diarizationSpeakerCount``."""

    def job_options(self) -> dict:
        """No options: ``{}``."""
        return {}


class ElevenLabsOptions(_Options):
    """ElevenLabs options (vendor-apis.md §2): ``product`` ``stt`` (Speech-to-Text with
    ``modelId``) or ``pvc`` (separate the speakers of sample ``sampleId`` of voice
    ``voiceId``, both required then)."""

    product = serializers.ChoiceField(
        choices=["stt", "pvc"],
        default="stt",
        help_text="stt: Speech-to-Text; pvc: separate a voice sample already on ElevenLabs.",
    )
    modelId = serializers.ChoiceField(choices=["scribe_v1", "scribe_v2"], default="scribe_v1")
    voiceId = serializers.CharField(max_length=100, required=False)
    sampleId = serializers.CharField(max_length=100, required=False)

    def validate(self, data: dict) -> dict:
        if data["product"] == "pvc":
            missing = {
                key: ["a PVC job needs it"] for key in ("voiceId", "sampleId") if not data.get(key)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return data

    def job_options(self) -> dict:
        """``{product: "pvc", voice_id, sample_id}`` or ``{product: "stt", model_id}``."""
        data = self.validated_data
        if data["product"] == "pvc":
            return {"product": "pvc", "voice_id": data["voiceId"], "sample_id": data["sampleId"]}
        return {"product": "stt", "model_id": data["modelId"]}


class PhonexiaOptions(_Options):
    """Phonexia options (vendor-apis.md §3): ``channelMode`` (``split``: diarize each channel
    on its own, ``mix``) and ``maxSpeakers`` (an upper bound, instead of
    ``diarizationSpeakerCount``)."""

    channelMode = serializers.ChoiceField(choices=["split", "mix"], default="split")
    maxSpeakers = serializers.IntegerField(
        min_value=1, max_value=MAX_SPEAKERS, required=False, help_text="An upper bound."
    )

    def job_options(self) -> dict:
        """``{channel_mode, max_speakers?}``."""
        data = self.validated_data
        options = {"channel_mode": data["channelMode"]}
        if data.get("maxSpeakers"):
            options["max_speakers"] = data["maxSpeakers"]
        return options


class DeepAffectsOptions(_Options):
    """DeepAffects options (vendor-apis.md §4), all describing the recording: ``encoding``,
    ``sampleRate`` (Hz) and ``audioType``."""

    encoding = serializers.ChoiceField(choices=["FLAC", "Wave", "MP3"])
    sampleRate = serializers.IntegerField(min_value=8000, max_value=192000, help_text="Hz.")
    audioType = serializers.ChoiceField(choices=["meeting", "callcenter"], default="meeting")

    def job_options(self) -> dict:
        """``{encoding, sample_rate, audio_type}``."""
        data = self.validated_data
        return {
            "encoding": data["encoding"],
            "sample_rate": data["sampleRate"],
            "audio_type": data["audioType"],
        }


VENDOR_OPTIONS: dict[str, type[_Options]] = {
    Vendor.SYMBL: SymblOptions,
    Vendor.ELEVENLABS: ElevenLabsOptions,
    Vendor.PHONEXIA: PhonexiaOptions,
    Vendor.DEEPAFFECTS: DeepAffectsOptions,
}

OPTIONS_HELP = (
    "`options` per vendor: Symbl none; ElevenLabs `product` (`stt` default, or `pvc`), "
    "`modelId` (`scribe_v1` default, `scribe_v2`), and for `pvc` `voiceId` and `sampleId` "
    "(no URL or file: the sample is on ElevenLabs); Phonexia `channelMode` (`split` default, "
    "`mix`) and `maxSpeakers` (uploaded files only); DeepAffects `encoding` (`FLAC`, `Wave`, "
    "`MP3`) and `sampleRate` (Hz), both required, and `audioType` (`meeting` default, "
    "`callcenter`)."
)
