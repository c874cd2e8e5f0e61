"""File imports (Symbl JSON, RTTM, WebVTT, SRT and vendor JSON, :mod:`providers.formats`) and
exports (:mod:`diarization_portal.conversations.services.exports`)."""

from __future__ import annotations

from rest_framework import serializers

from diarization_portal.conversations.services.exports import FORMATS as EXPORT_FORMATS
from providers.formats import ALL_FORMATS


class AppendImportFormSerializer(serializers.Serializer):
    """Multipart form of ``POST /conversations/{id}/import``."""

    file = serializers.FileField(
        help_text="Symbl JSON, RTTM, WebVTT (voice tags), SRT (Name: prefixes), or the JSON of "
        "Deepgram, AssemblyAI, AWS Transcribe, ElevenLabs STT or PVC, Phonexia or DeepAffects; "
        "up to the portal's import limit (`IMPORT_MAX_BYTES`, 413 above it)."
    )
    format = serializers.ChoiceField(
        choices=["auto", *ALL_FORMATS],
        default="auto",
        help_text="`auto` (the default) detects it from the content.",
    )


class ImportFormSerializer(AppendImportFormSerializer):
    """Multipart form of ``POST /conversations/import``."""

    title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The conversation's name (default: from the file).",
    )
    workspace = serializers.SlugField(
        required=False,
        help_text="The workspace (slug). Default: the only workspace you edit.",
    )


class ImportCountsSerializer(serializers.Serializer):
    """Rows an import created: members, messages and insights."""

    members = serializers.IntegerField()
    messages = serializers.IntegerField()
    insights = serializers.IntegerField()


class ImportReplySerializer(serializers.Serializer):
    """What an import brought: ``members``/``messages``/``insights`` of the file that the
    conversation now holds, and how many rows were ``created`` (all zero when the same file
    was imported into the conversation before)."""

    conversationId = serializers.CharField()
    jobId = serializers.CharField(help_text="The import job (`GET /jobs/{id}`).")
    members = serializers.IntegerField(help_text="Speakers in the file.")
    messages = serializers.IntegerField(help_text="Utterances (segments) in the file.")
    insights = serializers.IntegerField(help_text="Insights in the file.")
    created = ImportCountsSerializer(help_text="New rows.")


class BackgroundImportReplySerializer(serializers.Serializer):
    """A file too large to import within the request: its import job, queued. Follow it at
    ``GET /jobs/{jobId}``: ``done``, or ``rejected`` with the line or field at fault in
    ``errorMessage``."""

    conversationId = serializers.CharField(
        help_text="The conversation the file goes into (a new one is created at once)."
    )
    jobId = serializers.CharField(help_text="The import job (`GET /jobs/{id}`).")
    state = serializers.CharField(help_text="`queued`.")


class ExportQuerySerializer(serializers.Serializer):
    """Query parameters of ``GET /conversations/{id}/export``."""

    format = serializers.ChoiceField(
        choices=list(EXPORT_FORMATS),
        help_text="`vtt` (WebVTT, `<v Name>` voice spans), `srt` (SubRip, `Name:` prefixes), "
        "`rttm` (NIST RTTM, no text) or `json` (Symbl Conversation API bundle).",
    )
