"""The command's tests' fixture: the module's live mock (``server``, which the ``mock`` fixture resets
around each test) that knows ``KEY`` and ``ORDINARY`` at ``NOW`` (``commanding``); a module that needs
other keys or figures has its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from commanding import KEY, NOW, ORDINARY

from openrouter_credits.testing import MockOpenRouter, MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys=[ORDINARY], clock=lambda: NOW)
    with MockServer(app) as running:
        yield running
