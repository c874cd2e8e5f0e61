"""The vendor adapter registry and the fields of job input errors (sync.adapters)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from diarization_portal.conversations.models import Conversation, Vendor
from diarization_portal.sync import services
from diarization_portal.sync.adapters import VendorAdapter, adapter_for, adapters
from providers.types import ProviderError
from tests import factories

from .conftest import make_account


def test_every_vendor_but_file_imports_has_one_adapter_in_display_order():
    assert list(adapters) == [Vendor.SYMBL, Vendor.ELEVENLABS, Vendor.PHONEXIA, Vendor.DEEPAFFECTS]
    for vendor, adapter in adapters.items():
        assert isinstance(adapter, VendorAdapter) and adapter.vendor == vendor
        assert adapter_for(vendor) is adapter
    with pytest.raises(ProviderError) as caught:
        adapter_for(Vendor.FILE)
    assert caught.value.error_type == "config"


@pytest.mark.parametrize(
    "vendor, kwargs, field",
    [
        ("symbl", {"speaker_count": 0, "source_url": "https://example.com/a.wav"}, "speaker_count"),
        ("symbl", {}, "source"),
        ("phonexia", {"source_url": "https://example.com/a.wav"}, "source"),
        ("elevenlabs", {"options": {"product": "pvc", "voice_id": "v"}}, "options"),
        (
            "deepaffects",
            {"media": ContentFile(b"RIFF", name="a.wav"), "options": {"encoding": "Wave"}},
            "options",
        ),
    ],
)
def test_job_input_errors_name_their_field(workspace, vendor, kwargs, field):
    base_url = "https://phx.example.org:8600" if vendor == "phonexia" else ""
    account = make_account(workspace, vendor, base_url=base_url)
    with pytest.raises(services.JobInputError) as caught:
        services.job_create(account=account, **kwargs)
    assert caught.value.field == field


def test_a_conversation_of_another_workspace_is_an_account_error(workspace):
    account = make_account(workspace, "symbl")
    other = Conversation.objects.create(workspace=factories.workspace(), title="x")
    with pytest.raises(services.JobInputError) as caught:
        services.job_create(
            account=account, conversation=other, source_url="https://example.com/a.wav"
        )
    assert caught.value.field == "account"
