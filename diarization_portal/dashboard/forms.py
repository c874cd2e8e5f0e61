"""Forms of the dashboard: they validate input before a service is called."""

from __future__ import annotations

from django import forms

from providers.formats import FORMATS

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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
        help_text="Symbl JSON, RTTM, WebVTT (voice tags) or SRT (Name: prefixes)"
    )
    format = forms.ChoiceField(
        choices=[("auto", "Detect from content")] + [(f, f.upper()) for f in FORMATS],
        initial="auto",
    )
    title = forms.CharField(max_length=200, required=False, help_text="Default: from the file")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 50 MB.")
        return upload
