"""The command's tests' fixture: the module's live mock (``server``, which the ``mock`` fixture resets
around each test) that knows ``KEY`` and ``ORDINARY`` at ``NOW`` (``commanding``); a module that needs
other keys or figures has its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from commanding import KEY, NOW, ORDINARY

from helpers import account_mock
from openrouter_credits.testing import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with account_mock(KEY, ORDINARY, lambda: NOW) as running:
        yield running
