"""The guards' cost and speed (make bench): what five guards add to a poll of 1,000 discovered keys, and
how long after the listing that shows a spike the PATCH goes out, in process (injected time, no
network) and against the mock over loopback.

    python bench/guard.py          # prints the figures; exits 1 when the CPU added passes 10 ms a poll

A benchmark, not a test: the figures depend on the machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from openrouter_credits import ApiKey
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._apps.guard_config import GuardSpec
from openrouter_credits.exporter import Exporter
from openrouter_credits.exporter._guards import Guards
from openrouter_credits.testing import MockOpenRouter, MockServer
from openrouter_credits.testing._listing import generated_keys, listed_key
from openrouter_credits_client.models.list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem

KEYS = 1_000
RUNS = 200
BUDGET = 0.010
MANAGEMENT = "sk-or-v1-bench-guard-management-0000"
#: Friday 2027-01-15 09:00 UTC.
NOW = dt.datetime(2027, 1, 15, 9, tzinfo=dt.UTC).timestamp()
ACCOUNT = KeySpec("account", MANAGEMENT, discover=True)
FIVE = [
    GuardSpec("spiking", ("key-*",), when="spike", factor=5.0),  # every key
    GuardSpec("exhausting", ("key-0*",), when="will_exhaust"),  # every key (key-0000 to key-0999)
    GuardSpec("over", (), ("Default",), when="over", amount=30.0, action="limit"),  # every key of Default: 900
    GuardSpec("low", ("key-02*", "key-03*"), when="below_fraction", fraction=0.05),  # 200
    GuardSpec("other", (), ("Other",), when="spike", factor=3.0, restore="never"),  # every key of Other: 100
]
SPIKE = {"usage_daily": 14.2, "usage_weekly": 20.0}


def listing(extra: Sequence[dict[str, Any]] = (), *, quiet: bool = True) -> list[ApiKey]:
    """1,000 keys as the mock generates them (a quarter without a limit, daily, weekly, monthly
    limits, some near them). ``quiet``: each spends today at its week's pace (no spike), as on most
    polls; else as generated, where hundreds of keys spike at once (a storm)."""
    records = generated_keys(KEYS, 0, dt.datetime.fromtimestamp(NOW, dt.UTC))
    if quiet:
        for record in records:
            record["usage_weekly"] = max(record["usage_weekly"], round(record["usage_daily"] * 7, 2))
    records += list(extra)
    keys = [ApiKey.from_generated(ListApiKeysResponse200DataItem.from_dict(r)) for r in records]
    names = {"00000000-0000-4000-8000-000000000000": "Default", "00000000-0000-4000-8000-000000000001": "Other"}
    return [key.in_workspace(names.get(str(key.workspace_id))) for key in keys]


class Client:
    """Stands in for the client in process: its PATCH answers at once, the time it was asked noted."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def update_key(self, key_hash: str, **fields: Any) -> Any:
        self.asked.append(time.perf_counter())
        return type("Changed", (), fields)()


async def nothing(spec: KeySpec, alert: Any) -> None:
    return None


async def cpu_added(*, quiet: bool) -> list[float]:
    """CPU of five guards (all dry runs) deciding about 1,000 keys, once the keys they would act on are
    said (the steady state of a poll: the guards decide, and do nothing new)."""
    keys = listing(quiet=quiet)
    guards = Guards(FIVE, None, None, clock=lambda: NOW)
    client: Any = Client()
    await guards.run(ACCOUNT, keys, client, own_label=None, complete=True, notify=nothing)
    times = []
    for _ in range(RUNS):
        start = time.process_time()
        await guards.run(ACCOUNT, keys, client, own_label=None, complete=True, notify=nothing)
        times.append(time.process_time() - start)
    return times


async def in_process() -> list[float]:
    """From the fresh listing in hand to the PATCH asked: one acting guard, 1,000 keys, one spiking."""
    spiking = listed_key("ci-nightly", **SPIKE)
    delays = []
    for _ in range(RUNS // 4):
        keys = listing([spiking])
        guards = Guards([GuardSpec("runaway", ("ci-*",), when="spike", factor=5.0, dry_run=False)], None, None,
                        clock=lambda: NOW)  # fmt: skip
        client = Client()
        start = time.perf_counter()
        await guards.run(ACCOUNT, keys, client, own_label=None, complete=True, notify=nothing)  # type: ignore[arg-type]
        delays.append(client.asked[0] - start)
    return delays


async def loopback() -> tuple[list[float], list[float]]:
    """Against the mock over loopback, in the exporter: the poll that lists 1,000 keys (one spiking)
    and the PATCH it sends, the poll's start to the PATCH answered, and the guard's part of it (from
    the listing in hand)."""
    clock = [NOW]
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys=[])
    polls, parts = [], []
    with MockServer(app) as server:
        for _ in range(10):
            app.reset()
            app.set_keys([listed_key("ci-nightly", **SPIKE)])
            app.add_keys(KEYS)
            watcher = Exporter(
                [ACCOUNT], base_url=server.base_url, max_retries=0, clock=lambda: clock[0], monotonic=lambda: clock[0],
                guards=[GuardSpec("runaway", ("ci-*",), when="spike", factor=5.0, dry_run=False)],
            )  # fmt: skip
            run = watcher.guards.run
            timed: list[float] = []

            async def guard_run(*args: Any, run: Any = run, timed: list[float] = timed, **kwargs: Any) -> None:
                start = time.perf_counter()
                await run(*args, **kwargs)
                timed.append(time.perf_counter() - start)

            watcher.guards.run = guard_run  # type: ignore[method-assign]
            start = time.perf_counter()
            await watcher.poll("account")
            polls.append(time.perf_counter() - start)
            parts.append(timed[0])
            assert [m for m, _, _ in app.requests].count("PATCH") == 1, app.requests
            await watcher.aclose()
    return polls, parts


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms, slowest {max(values) * 1000:.2f} ms"


def main() -> int:
    added = asyncio.run(cpu_added(quiet=True))
    storm = asyncio.run(cpu_added(quiet=False))
    print(f"guards: {KEYS:,} discovered keys, five guards naming most of them (dry runs, steady state)")
    print(f"  CPU added to a poll: {ms(added)} of {RUNS} polls (budget {BUDGET * 1000:g} ms)")
    print(f"  the same while hundreds of keys spike at once, each poll held back by the hourly cap: {ms(storm)}")
    delays = asyncio.run(in_process())
    print(f"  in process, the fresh listing in hand to the PATCH asked: {ms(delays)}")
    polls, parts = asyncio.run(loopback())
    print(
        f"  against the mock over loopback: the poll that sees the spike, its start to the PATCH answered: "
        f"{ms(polls)}; the listing in hand to the PATCH answered: {ms(parts)} (of 10 polls)"
    )
    return 0 if statistics.median(added) <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
