"""Fixtures of the vendor client tests."""

import pytest
import responses


@pytest.fixture
def mocked():
    """A ``responses`` mock in which every registered call must be made."""
    with responses.RequestsMock() as rsps:
        yield rsps
