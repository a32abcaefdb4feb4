"""Load against the live mock: many concurrent calls on one client, then nothing left open."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from openrouter_credits import AsyncCreditsClient, Credits, CreditsClient
from openrouter_credits.testing import MockServer

FD_DIR = Path("/proc/self/fd")


def open_fds() -> int:
    return len(os.listdir(FD_DIR))


def settle(measure: Callable[[], int], baseline: int) -> int:
    """Wait (at most 5 s) for ``measure()`` to come back to ``baseline``; return its last value."""
    value = measure()
    for _ in range(500):
        if value <= baseline:
            break
        time.sleep(0.01)
        value = measure()
    return value


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


@pytest.mark.skipif(not FD_DIR.is_dir(), reason="counts file descriptors through /proc")
def test_async_1000_concurrent_calls(server: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
    """1,000 concurrent calls on one AsyncCreditsClient all succeed; connections and fds return to baseline."""
    fds = open_fds()

    async def main() -> list[Credits]:
        async with AsyncCreditsClient(server.provisioning_key, base_url=server.base_url) as client:
            return await asyncio.gather(*(client.get_credits() for _ in range(1000)))

    started = time.perf_counter()
    results = asyncio.run(main())
    elapsed = time.perf_counter() - started
    assert len(results) == 1000
    assert all(r.remaining == 17.5 for r in results)
    assert [s for _, _, s in server.app.requests].count(200) == 1000
    assert settle(lambda: server.open_connections, 0) == 0
    assert settle(open_fds, fds) <= fds
    with capsys.disabled():
        print(f"\nload: 1,000 concurrent async calls in {elapsed:.2f} s ({1000 / elapsed:,.0f} calls/s)")


@pytest.mark.skipif(not FD_DIR.is_dir(), reason="counts file descriptors through /proc")
def test_16_threads_share_one_client(server: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
    """16 threads x 200 calls on one CreditsClient all succeed; connections and fds return to baseline."""
    fds = open_fds()
    failures: list[BaseException] = []
    counts = [0] * 16

    with CreditsClient(server.provisioning_key, base_url=server.base_url) as client:

        def worker(index: int) -> None:
            try:
                for _ in range(200):
                    assert client.get_credits().total_credits == 25.0
                    counts[index] += 1
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.perf_counter() - started
    assert failures == []
    assert counts == [200] * 16
    assert settle(lambda: server.open_connections, 0) == 0
    assert settle(open_fds, fds) <= fds
    with capsys.disabled():
        print(f"\nload: 16 threads x 200 sync calls in {elapsed:.2f} s ({3200 / elapsed:,.0f} calls/s)")


def test_the_wait_for_a_connection_counts_against_the_deadline(server: MockServer) -> None:
    """40 calls at once on one AsyncCreditsClient, which keeps at most 20 on the wire, each answered
    after 2 s, with a 2.2 s deadline: the second twenty wait 2 s for their turn, and that wait counts
    against their deadline, so they end with APITimeoutError when it runs out, about 2.2 s after the
    start; with the wait not counted, they ran to their answer's 4 s. The bound sits between the two."""
    from openrouter_credits import APITimeoutError

    server.app.latency = 2.0

    async def main() -> tuple[list[Credits | BaseException], float]:
        async with AsyncCreditsClient(server.provisioning_key, base_url=server.base_url, deadline=2.2) as client:
            started = time.monotonic()
            outcomes = await asyncio.gather(*(client.get_credits() for _ in range(40)), return_exceptions=True)
            return outcomes, time.monotonic() - started

    try:
        outcomes, took = asyncio.run(main())
    finally:
        server.app.latency = 0
    failed = [outcome for outcome in outcomes if not isinstance(outcome, Credits)]
    assert len(failed) >= 20
    assert all(isinstance(outcome, APITimeoutError) for outcome in failed)
    assert took < 3.3
