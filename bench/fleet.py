"""The whole account from one management key, for make bench: list_keys() of 1,000 keys at 200 ms of
latency against one page, the CPU of pace and projection over 10,000 keys, of their teams, and of
by_model() over 6,000 rows, and the exporter with one discovering key of 1,000 keys (/metrics latency at 200
scrapes/s, one poll's CPU, RSS over 1,000 polls).

    python bench/fleet.py [BASE_URL]      # prints its section of bench/results.md (no URL: a mock of its own)

BASE_URL is a running mock (openrouter-credits-mock); its keys and latency are changed, then reset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from exporter import rss_mib, scrape_latency, start  # noqa: E402  (bench/exporter.py)
from run import control  # noqa: E402

KEY = "sk-or-v1-mock-provisioning"
KEYS = 1000
LATENCY = 0.2
ROUNDS = 5
PACE_KEYS = 10_000
ROWS = 6000
POLLS = 1000


#: The second figure's account: this many keys in the default workspace, the rest in another.
SPLIT = 900


def default_workspace_keys(count: int) -> list[dict[str, object]]:
    """``count`` keys, all in the default workspace (the mock's ``add`` puts one in ten in another)."""
    return [{"name": f"key-{n:04d}", "usage": 1.0} for n in range(count)]


def listing(base_url: str) -> dict[str, float]:
    """Median wall time of list_keys() of 1,000 keys (in one workspace, then 900 in the default one and
    100 in another) and of one page (GET /keys), at 200 ms latency."""
    from openrouter_credits import CreditsClient
    from openrouter_credits._call.operations import KEYS as PAGE

    control(base_url, "keys", {"keys": default_workspace_keys(KEYS)})
    control(base_url, "latency", {"seconds": LATENCY})
    whole, split, page = [], [], []
    try:
        with CreditsClient(KEY, base_url=base_url) as client:
            for _ in range(ROUNDS):
                started = time.perf_counter()
                keys = client.list_keys(include_disabled=True)
                whole.append(time.perf_counter() - started)
                assert len(keys) == KEYS, len(keys)
                started = time.perf_counter()
                client._call(PAGE)
                page.append(time.perf_counter() - started)
            control(base_url, "keys", {"keys": default_workspace_keys(SPLIT)})
            control(base_url, "workspaces", {"add": {"name": "Research", "keys": KEYS - SPLIT}})
            for _ in range(ROUNDS):
                started = time.perf_counter()
                keys = client.list_keys(include_disabled=True)
                split.append(time.perf_counter() - started)
                assert len(keys) == KEYS, len(keys)
    finally:
        control(base_url, "latency", {"seconds": 0})
        control(base_url, "reset", {})
    return {"whole": statistics.median(whole), "split": statistics.median(split), "page": statistics.median(page)}


def cpu() -> dict[str, float]:
    """CPU seconds of pace and projection for 10,000 keys (then of exhaustion and status), of by_model() and
    by_provider() over 6,000 rows (median of ROUNDS)."""
    from openrouter_credits import Activity, ApiKey
    from openrouter_credits.testing import activity_row
    from openrouter_credits.testing._listing import generated_keys
    from openrouter_credits_client.models.activity_item import ActivityItem
    from openrouter_credits_client.models.list_api_keys_response_200_data_item import (
        ListApiKeysResponse200DataItem,
    )

    now = dt.datetime(2026, 11, 25, 13, 0, tzinfo=dt.UTC)
    keys = [
        ApiKey.from_generated(ListApiKeysResponse200DataItem.from_dict(item))
        for item in generated_keys(PACE_KEYS, 0, now)
    ]
    today = now.date()
    rows = [
        ActivityItem.from_dict(
            activity_row(today - dt.timedelta(days=1 + n % 30), round(0.01 * (n % 97), 2), model=f"p{n % 7}/m{n % 60}")
        )
        for n in range(ROWS)
    ]
    activity = Activity(rows, today)
    from openrouter_credits._apps.teams import Team, Teams, assign, team_spend
    from openrouter_credits.testing._records import OTHER_WORKSPACE

    teams = Teams((*(Team(f"team-{n}", keys=(f"key-{n}*", f"*-{n}9*")) for n in range(4)),
                   Team("other", workspaces=(OTHER_WORKSPACE,))))  # fmt: skip
    pace, status, models, grouped = [], [], [], []
    for _ in range(ROUNDS):
        started = time.process_time()
        for key in keys:
            key.pace_per_day(now)
            key.projected_at_reset(now)
        pace.append(time.process_time() - started)
        started = time.process_time()
        for key in keys:
            key.exhausts_at(now)
            key.status(now)
        status.append(time.process_time() - started)
        started = time.process_time()
        activity.by_model()
        activity.by_provider()
        models.append(time.process_time() - started)
        started = time.process_time()
        team_spend(keys, teams, assign(keys, teams))
        grouped.append(time.process_time() - started)
    return {
        "pace": statistics.median(pace),
        "status": statistics.median(status),
        "models": statistics.median(models),
        "teams": statistics.median(grouped),
    }


def exporter_figures(base_url: str, folder: Path) -> dict[str, Any]:
    """The exporter with one discovering key of 1,000 keys: /metrics latency (a served exporter), one
    poll's CPU and the RSS over 1,000 polls (in-process, /keys asked on each: a minute apart in
    virtual time)."""
    from openrouter_credits._apps.config_file import KeySpec
    from openrouter_credits.exporter import Exporter

    control(base_url, "keys", {"keys": [], "add": KEYS})
    config = folder / "keys.toml"
    config.write_text('[keys.account]\napi_key_env = "BENCH_KEY"\ndiscover = true\n')
    proc, url = start(base_url, config, folder / "state")
    try:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "account_key_usage_dollars{" not in httpx.get(url + "/metrics").text:
            time.sleep(0.2)
        scrapes = scrape_latency(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    class Clock:
        now = 1_800_000_000.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()

    async def main() -> dict[str, float]:
        watcher = Exporter([KeySpec("account", KEY, discover=True)], base_url=base_url, clock=clock, monotonic=clock)
        measured: dict[str, float] = {}
        cpu_per_poll = []
        for n in range(1, POLLS + 1):
            started = time.process_time()
            await watcher.poll("account")
            cpu_per_poll.append(time.process_time() - started)
            clock.now += 60
            if n in (100, POLLS):
                measured[f"rss_{n}"] = rss_mib()
        listed = watcher.states["account"].listed
        assert listed is not None
        assert len(listed) == KEYS
        measured["poll_cpu"] = statistics.median(cpu_per_poll)
        await watcher.aclose()
        return measured

    memory = asyncio.run(main())
    return {"scrapes": scrapes, **memory}


def section(base_url: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="openrouter-credits-bench-fleet-") as tmp:
        try:
            listed = listing(base_url)
            print("bench: list_keys done", flush=True)
            spent = cpu()
            print("bench: pace and by_model done", flush=True)
            served = exporter_figures(base_url, Path(tmp))
            print("bench: discovering exporter done", flush=True)
        finally:
            control(base_url, "reset", {})
    ratio = listed["whole"] / listed["page"]
    scrapes = served["scrapes"]
    growth = served[f"rss_{POLLS}"] - served["rss_100"]
    return [
        "",
        f"## The whole account: {KEYS:,} keys from one management key",
        "",
        "| measure | value | goal |",
        "|---|---:|---:|",
        f"| list_keys() of {KEYS:,} keys at {LATENCY * 1000:.0f} ms latency (median of {ROUNDS})"
        f" | {listed['whole'] * 1000:.0f} ms | |",
        f"| one page (GET /keys) | {listed['page'] * 1000:.0f} ms | |",
        f"| the listing over one page | {ratio:.2f} x | at most 2.5 x |",
        f"| list_keys() of {SPLIT:,} + {KEYS - SPLIT:,} keys in two workspaces | {listed['split'] * 1000:.0f} ms"
        f" ({listed['split'] / listed['page']:.2f} x one page) | |",
        f"| pace and projection of {PACE_KEYS:,} keys, CPU | {spent['pace'] * 1000:.1f} ms | at most 50 ms |",
        f"| exhaustion time and status of the same, CPU | {spent['status'] * 1000:.1f} ms | |",
        f"| their teams (5: 8 globs, a workspace) and each team's spend, CPU | {spent['teams'] * 1000:.1f} ms | |",
        f"| by_model() and by_provider() over {ROWS:,} rows, CPU | {spent['models'] * 1000:.1f} ms | at most 50 ms |",
        f"| exporter, one discovering key: /metrics at {scrapes['rate']:.0f} scrapes/s, p99"
        f" | {scrapes['p99']:.2f} ms | |",
        f"| the same, p50 | {scrapes['p50']:.2f} ms | |",
        f"| /metrics size | {scrapes['bytes'] / 1024:.0f} KiB | |",
        f"| one poll's CPU (/credits, /key, /keys of {KEYS:,}; median) | {served['poll_cpu'] * 1000:.1f} ms | |",
        f"| RSS after 100 polls | {served['rss_100']:.1f} MiB | |",
        f"| RSS after {POLLS:,} polls | {served[f'rss_{POLLS}']:.1f} MiB ({growth:+.1f}) | |",
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print("\n".join(section(sys.argv[1])))
    else:  # a mock of its own
        from run import start_server

        server, base = start_server()
        try:
            print("\n".join(section(base)))
        finally:
            server.terminate()
            server.wait(timeout=10)
