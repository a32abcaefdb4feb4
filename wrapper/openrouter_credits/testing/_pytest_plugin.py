"""pytest plugin (registered by the package): the ``openrouter_mock`` fixture.

    def test_low_balance(openrouter_mock):
        openrouter_mock.app.set_balance(total_usage=24.5)
        client = CreditsClient(openrouter_mock.provisioning_key, base_url=openrouter_mock.base_url)
        assert client.get_credits().remaining == 0.5

Importing this module costs nothing: uvicorn is loaded only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._server import MockServer


@pytest.fixture
def openrouter_mock() -> Iterator[MockServer]:
    """A mock OpenRouter served on 127.0.0.1 (a free port) for one test, stopped afterwards."""
    from ._server import MockServer

    with MockServer() as server:
        yield server
