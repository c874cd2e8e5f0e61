"""Forms of the dashboard: they validate input before a service is called."""

from __future__ import annotations

from django import forms
from django.conf import settings

from diarization_portal.uploads import human_size, too_large_message
from providers.formats import ALL_FORMATS

FORMAT_LABELS = {
    "symbl": "Symbl Conversation API JSON",
    "rttm": "RTTM (diarization only)",
    "vtt": "WebVTT with voice tags",
    "srt": "SRT with Name: prefixes",
    "deepgram": "Deepgram JSON",
    "assemblyai": "AssemblyAI JSON",
    "aws": "AWS Transcribe JSON",
    "elevenlabs": "ElevenLabs Speech-to-Text JSON",
    "phonexia": "Phonexia speaker diarization JSON",
    "deepaffects": "DeepAffects diarization webhook JSON",
    "pvc": "ElevenLabs PVC speaker separation JSON",
}


class RenameForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)
    email = forms.EmailField(required=False, max_length=254)


class MergeForm(forms.Form):
    target = forms.TypedChoiceField(coerce=int, label="Merge into")

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(m.pk, m.name) for m in targets]


class SelectionForm(forms.Form):
    """The transcript's checked messages, plus either a member (reassign) or a name (split)."""

    messages = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Messages")
    member = forms.IntegerField(required=False, min_value=1)
    name = forms.CharField(max_length=200, required=False, strip=True)

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        # Any submitted id is a candidate; the service checks that it is in the conversation.
        submitted = data.getlist("messages") if hasattr(data, "getlist") else []
        self.fields["messages"].choices = [(v, v) for v in submitted]
        self.fields["messages"].error_messages["required"] = "Tick at least one message first."

    def clean_messages(self) -> list[int]:
        return sorted(set(self.cleaned_data["messages"]))


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="Symbl JSON, RTTM, WebVTT (voice tags), SRT (Name: prefixes), or the JSON of "
        "Deepgram, AssemblyAI, AWS Transcribe, ElevenLabs, Phonexia or DeepAffects"
    )
    format = forms.ChoiceField(
        choices=[("auto", "Detect from content")] + [(f, FORMAT_LABELS[f]) for f in ALL_FORMATS],
        initial="auto",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Default: from the file")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = human_size(settings.IMPORT_MAX_BYTES)
        self.fields["file"].help_text += f"; up to {limit}"

    def clean_file(self):
        """The upload, refused (code ``too_large``: the view answers 413) over
        ``settings.IMPORT_MAX_BYTES``."""
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(too_large_message(upload.size), code="too_large")
        return upload
