"""The exporter's tests' fixtures: the live mock that knows the keys (``server``, which
the ``mock`` fixture resets around each test), virtual time and in-process exporters against the mock
(``clock``, ``exporter``, ``delivering``), webhook receivers on loopback (``receiver``),
and ``serve`` in a process of its own (``ServeProcess``, ``two_keys``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from exporting import (
    ORDINARY,
    TOKEN,
    Clock,
    MakeExporter,
    Receiver,
    mock_app,
)

from helpers import on_loopback, script_figures
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """The module's live ``mock_app()`` (the ``mock`` fixture resets it around each test)."""
    with MockServer(mock_app()) as running:
        yield running


@pytest.fixture
def mock(mock: MockServer) -> MockServer:
    """The live mock, reset, with ORDINARY's figures scripted again."""
    script_figures(mock.app, ORDINARY)
    return mock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def exporter(mock: MockServer, clock: Clock) -> MakeExporter:
    """Makes exporters of ``specs`` against the live mock, on ``clock``, without retries; a failed post
    is tried again at once (0.05 s), not in 2 s. Each test closes its own (``await watcher.aclose()``)."""

    def make(*specs: KeySpec, **options: Any) -> Exporter:
        made = Exporter(list(specs), base_url=mock.base_url, max_retries=0, clock=clock, monotonic=clock, **options)
        made.deliverer.backoff = lambda failures: 0.05
        return made

    return make


@pytest.fixture
def receiver() -> Iterator[str]:
    """The URL of a fresh receiver (its posts in ``Receiver.posts``), with a token in its path."""
    Receiver.posts = []
    Receiver.status = 200
    with on_loopback(Receiver) as base:
        yield f"{base}/hooks/{TOKEN}"
