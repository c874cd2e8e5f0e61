"""Helpers shared by the vendor client tests."""

import pytest

from providers.types import ProviderError


def raised(call) -> ProviderError:
    """Run ``call()`` and return the ProviderError it must raise."""
    with pytest.raises(ProviderError) as info:
        call()
    return info.value
