"""Shared helpers: drive the sync or the async client against small httpx.MockTransport handlers."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from openrouter_credits import AsyncCreditsClient, Credits, CreditsClient
from openrouter_credits.testing import MockServer

# Tests write nothing into the checkout: no hypothesis example database, and its other caches in a
# temporary folder (the pytest cache is off in pyproject.toml; tests' own files go under tmp_path).
settings.register_profile("project", database=None)
settings.load_profile("project")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="openrouter-credits-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)

KEY = "sk-or-v1-SECRET-7f3a9c1e5b2d4680-TOPSECRET"
Handler = Callable[[httpx.Request], httpx.Response]


def ok(request: httpx.Request) -> httpx.Response:
    """The documented 200."""
    return httpx.Response(200, json={"data": {"total_credits": 25.0, "total_usage": 7.5}})


class Harness:
    """Runs one get_credits() call through the sync or async client; records requests and sleeps."""

    def __init__(self, mode: str, handler: Handler, **options: Any) -> None:
        self.mode = mode
        self.handler = handler
        self.options = {"api_key": KEY, **options}
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def call(self) -> Credits:
        transport = httpx.MockTransport(self._handle)
        if self.mode == "sync":
            with (
                httpx.Client(transport=transport) as http,
                CreditsClient(http_client=http, sleep=self.sleeps.append, **self.options) as client,
            ):
                return client.get_credits()

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        async def main() -> Credits:
            async with (
                httpx.AsyncClient(transport=transport) as http,
                AsyncCreditsClient(http_client=http, sleep=sleep, **self.options) as client,
            ):
                return await client.get_credits()

        return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Each client test runs against CreditsClient and AsyncCreditsClient alike."""
    return str(request.param)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock(server: MockServer) -> Iterator[MockServer]:
    """The module's live ``server``, with faults, latency and balance reset around each test."""
    server.app.reset()
    server.app.set_balance(total_credits=25.0, total_usage=7.5)
    yield server
    for _ in range(200):  # a slow answer can outlive the client that gave up on it
        if server.app.in_flight == 0:
            break
        time.sleep(0.01)
    server.app.reset()
