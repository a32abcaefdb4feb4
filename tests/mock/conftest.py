"""The mock's tests' fixtures: the module's live mock (``server``) that knows ``MANAGEMENT`` and
``ORDINARY`` on ``CLOCK`` (a module that needs other keys has its own), and the ``mock`` fixture that
also puts ``CLOCK`` back at ``NOW`` around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mocking import CLOCK, MANAGEMENT, ORDINARY

from helpers import account_mock
from openrouter_credits.testing import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with account_mock(MANAGEMENT, ORDINARY, CLOCK) as running:
        yield running


@pytest.fixture
def mock(mock: MockServer) -> Iterator[MockServer]:
    """The live mock, reset, with ``CLOCK`` at ``NOW`` before and after the test."""
    CLOCK.rewind()
    yield mock
    CLOCK.rewind()
