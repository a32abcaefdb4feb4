"""AsyncCreditsClient in more than one event loop (a script calling ``asyncio.run()`` twice): its own
pool is made anew for each loop and closed with it; an httpx client passed in is refused, saying why."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import KEY, ok
from openrouter_credits import AsyncCreditsClient, ConfigurationError
from openrouter_credits.testing import MockOpenRouter, MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)})) as running:
        yield running


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the interpreter could not raise (an unclosed socket's ResourceWarning at collection)."""
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def test_two_asyncio_runs_share_one_client(mock: MockServer, unraisable: list[Any]) -> None:
    """Each asyncio.run() gets a pool of its own, closed as its loop ends: no 'Event loop is closed',
    and no socket left open."""
    client = AsyncCreditsClient(KEY, base_url=mock.base_url, max_retries=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(client.get_credits()).remaining == 17.5
        assert asyncio.run(client.get_credits()).remaining == 17.5
        balance = asyncio.run(client.get_balance())  # three calls at once on the third loop's pool
        assert balance.spendable == 17.5
        asyncio.run(client.aclose())
        gc.collect()
    assert [str(w.message) for w in caught] == []
    assert unraisable == []
    assert len(mock.app.requests) == 5


def closed_soon(mock: MockServer) -> bool:
    """Whether the server sees every connection closed within 2 s (it notices a close a moment later)."""
    for _ in range(200):
        if mock.open_connections == 0:
            return True
        time.sleep(0.01)
    return False


def test_the_pool_closes_with_its_loop(mock: MockServer) -> None:
    """The end of the loop a call was made in closes the client's connections (the server sees none
    left open); inside a loop, aclose() closes them at once; the next loop gets connections of its own."""
    client = AsyncCreditsClient(KEY, base_url=mock.base_url)
    assert asyncio.run(client.get_credits()).remaining == 17.5
    assert closed_soon(mock)

    async def within() -> tuple[int, bool]:
        async with client:
            assert (await client.get_credits()).remaining == 17.5
            open_in_the_loop = mock.open_connections  # kept alive for the next call
        for _ in range(200):  # aclose(): closed while the loop still runs
            if mock.open_connections == 0:
                return open_in_the_loop, True
            await asyncio.sleep(0.01)
        return open_in_the_loop, False

    assert asyncio.run(within()) == (1, True)
    assert len(mock.app.requests) == 2


def test_a_client_passed_in_stays_in_its_loop() -> None:
    """An httpx.AsyncClient passed in belongs to the loop it was first used in: another loop gets a
    ConfigurationError that says why and what to do, before any request."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return ok(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncCreditsClient(KEY, http_client=http)
    assert asyncio.run(client.get_credits()).remaining == 17.5
    with pytest.raises(ConfigurationError) as info:
        asyncio.run(client.get_credits())
    assert str(info.value) == (
        "This client's http_client was first used in another event loop, and its connections belong to that "
        "loop (each asyncio.run() starts a new one). Make the httpx.AsyncClient and the client inside one "
        "asyncio.run(), or leave out http_client: the client then keeps a connection pool for each event loop."
    )
    assert len(requests) == 1
    assert not http.is_closed  # the caller's to close
    asyncio.run(http.aclose())
