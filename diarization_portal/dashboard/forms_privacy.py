"""The workspace privacy and retention form (workspace admins)."""

from __future__ import annotations

from django import forms

from diarization_portal.workspaces.models import Workspace
from diarization_portal.workspaces.services import PRIVACY_FIELDS


class PrivacyForm(forms.ModelForm):
    """The fields of :data:`PRIVACY_FIELDS`, with the model's help texts. Deleting with
    ``retention_days = -1`` (keep for ever) is refused: it would never happen."""

    class Meta:
        model = Workspace
        fields = list(PRIVACY_FIELDS)
        widgets = {"retention_days": forms.NumberInput(attrs={"min": -1, "step": 1})}

    def clean(self):
        data = super().clean()
        days = data.get("retention_days")
        deleting = data.get("delete_audio") or data.get("delete_transcript_and_pii")
        if days == -1 and deleting:
            self.add_error(
                "retention_days",
                "Set a number of days (0 or more): with -1 nothing is ever deleted.",
            )
        return data


class DueWindowForm(forms.Form):
    """``?days=N``: how far ahead the list of conversations due for deletion looks (1-365)."""

    days = forms.IntegerField(min_value=1, max_value=365, initial=30, required=False)

    def window(self) -> int:
        if self.is_valid() and self.cleaned_data.get("days"):
            return self.cleaned_data["days"]
        return 30
