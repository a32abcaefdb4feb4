"""make bench: our cost per call, at import and at scale, beside the floor and the official SDK.

A benchmark, not a test: it prints figures (and writes bench/results.md) and never fails on speed.
Every contender talks to the same local server (the mock, faults off) in a process of its own; the
server runs in another process, so process CPU time is the client's alone. Contenders are interleaved
round by round and the median is reported, so the ratios hold on a noisy machine.

    python bench/run.py [--rounds 7] [--calls 400] [--concurrent 1000] [--out bench/results.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sk-or-v1-mock-provisioning"
LATENCY = 0.2

# --- contenders: each runs inside a worker process ---------------------------------------------


def sync_contenders(base_url: str) -> dict[str, Callable[[], Callable[[], Any]]]:
    """name -> setup() returning one call (reused connection)."""

    def stdlib() -> Callable[[], Any]:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
        headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}

        def call() -> Any:
            conn.request("GET", parts.path + "/credits", headers=headers)
            return json.loads(conn.getresponse().read())["data"]

        return call

    def bare_httpx() -> Callable[[], Any]:
        import httpx

        client = httpx.Client(headers={"Authorization": f"Bearer {KEY}"})
        url = base_url + "/credits"
        return lambda: client.get(url).json()["data"]

    def generated() -> Callable[[], Any]:
        from openrouter_credits_client import AuthenticatedClient
        from openrouter_credits_client.api.credits_ import get_credits

        client = AuthenticatedClient(base_url=base_url, token=KEY)
        return lambda: get_credits.sync_detailed(client=client).parsed

    def wrapper() -> Callable[[], Any]:
        from openrouter_credits import CreditsClient

        client = CreditsClient(KEY, base_url=base_url)
        return client.get_credits

    def official() -> Callable[[], Any]:
        from openrouter import OpenRouter

        sdk = OpenRouter(api_key=KEY, server_url=base_url)
        return sdk.credits.get_credits

    return {
        "http.client (stdlib)": stdlib,
        "httpx.Client GET + json()": bare_httpx,
        "generated package alone": generated,
        "CreditsClient.get_credits()": wrapper,
        "official SDK credits.get_credits()": official,
    }


def async_contenders(base_url: str) -> dict[str, Callable[[], Any]]:
    """name -> setup() returning (one async call, aclose)."""

    def wrapper() -> Any:
        from openrouter_credits import AsyncCreditsClient

        client = AsyncCreditsClient(KEY, base_url=base_url)
        return client.get_credits, client.aclose

    def bare_httpx() -> Any:
        import httpx

        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=120)
        url = base_url + "/credits"

        async def call() -> Any:
            return (await client.get(url)).json()["data"]

        return call, client.aclose

    def bounded_httpx() -> Any:
        import httpx

        limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=120, limits=limits)
        slots = asyncio.Semaphore(20)
        url = base_url + "/credits"

        async def call() -> Any:
            async with slots:
                return (await client.get(url)).json()["data"]

        return call, client.aclose

    def official() -> Any:
        from openrouter import OpenRouter

        sdk = OpenRouter(api_key=KEY, server_url=base_url, timeout_ms=120_000)

        async def aclose() -> None:
            return None

        return sdk.credits.get_credits_async, aclose

    return {
        "AsyncCreditsClient": wrapper,
        "httpx.AsyncClient (defaults)": bare_httpx,
        "httpx.AsyncClient, 20 connections + semaphore": bounded_httpx,
        "official SDK get_credits_async()": official,
    }


def peak_rss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def control(base_url: str, action: str, body: dict[str, Any]) -> None:
    """Steer the mock server through its /_mock/ endpoint."""
    import httpx

    url = base_url.removesuffix("/api/v1") + "/_mock/" + action
    httpx.post(url, json=body, timeout=60).raise_for_status()


def heavy_month(today: Any) -> list[dict[str, Any]]:
    """30 days x 200 models: 6,000 activity rows."""
    import datetime as dt

    from openrouter_credits.testing import activity_row

    return [
        activity_row(today - dt.timedelta(days=back), round(0.0001 * (model + back), 6), model=f"vendor/model-{model}")
        for back in range(1, 31)
        for model in range(200)
    ]


def view_worker(name: str, base_url: str, count: int) -> dict[str, float]:
    """Wall seconds of ``count`` get_credits() and as many get_balance(), interleaved (latency is set)."""
    from openrouter_credits import AsyncCreditsClient, CreditsClient

    walls: dict[str, list[float]] = {"credits": [], "balance": []}
    if name == "sync":
        with CreditsClient(KEY, base_url=base_url) as client:
            client.get_balance()  # warm up: connections open, modules loaded
            for _ in range(count):
                for what, call in (("credits", client.get_credits), ("balance", client.get_balance)):
                    started = time.perf_counter()
                    call()
                    walls[what].append(time.perf_counter() - started)
    else:

        async def main() -> None:
            async with AsyncCreditsClient(KEY, base_url=base_url) as client:
                await client.get_balance()
                for _ in range(count):
                    for what, call in (("credits", client.get_credits), ("balance", client.get_balance)):
                        started = time.perf_counter()
                        await call()
                        walls[what].append(time.perf_counter() - started)

        asyncio.run(main())
    return {what: statistics.median(values) for what, values in walls.items()}


def activity_worker(base_url: str, count: int) -> dict[str, float]:
    """CPU seconds of one get_activity() of the heavy month (median of ``count``), and its row count."""
    from openrouter_credits import CreditsClient

    with CreditsClient(KEY, base_url=base_url, timeout=60) as client:
        rows = len(client.get_activity().rows)  # warm up
        cpu = []
        for _ in range(count):
            started = time.process_time()
            client.get_activity()
            cpu.append(time.process_time() - started)
    return {"cpu_s": statistics.median(cpu), "rows": rows}


def worker(kind: str, name: str, base_url: str, count: int) -> dict[str, float]:
    if kind == "view":
        return view_worker(name, base_url, count)
    if kind == "activity":
        return activity_worker(base_url, count)
    if kind == "sync":
        call = sync_contenders(base_url)[name]()
        for _ in range(30):  # warm up: connection open, caches filled
            call()
        cpu = time.process_time()
        for _ in range(count):
            call()
        return {"cpu_us_per_call": (time.process_time() - cpu) / count * 1e6, "rss_kib": peak_rss_kib()}
    setup = async_contenders(base_url)[name]

    async def burst(call: Callable[[], Any]) -> float:
        started = time.perf_counter()
        results = await asyncio.gather(*(call() for _ in range(count)))
        assert len(results) == count
        return time.perf_counter() - started

    async def main() -> tuple[float, float]:
        call, aclose = setup()
        cold = await burst(call)  # a fresh client: every connection still to open
        warm = await burst(call)  # the same client again, its pool open
        await aclose()
        return cold, warm

    cold, warm = asyncio.run(main())
    return {"cold_s": cold, "warm_s": warm, "rss_kib": peak_rss_kib()}


# --- the driver ----------------------------------------------------------------------------------


RSS_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
report = {"wall": wall, "rss": rss, "code": result.returncode, "out": result.stdout, "err": result.stderr[-2000:]}
print(json.dumps(report))
"""


def run_child(command: list[str], env: dict[str, str] | None = None) -> tuple[str, float, int]:
    """Run ``command`` under a small wrapper process; return its stdout, wall seconds and peak RSS (KiB).

    The wrapper starts the command and reports its wall time (the wrapper's own start-up excluded)
    and the peak RSS of its only child.
    """
    done = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, *command], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    report = json.loads(done.stdout)
    if report["code"] != 0:
        raise RuntimeError(f"{command[:4]} exited {report['code']}: {report['err']}")
    return report["out"], report["wall"], report["rss"]


def start_server() -> tuple[subprocess.Popen[str], str]:
    mock = str(Path(sys.executable).parent / "openrouter-credits-mock")
    proc = subprocess.Popen([mock, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("Mock OpenRouter at "):
        proc.kill()
        raise RuntimeError(f"the mock server did not start: {line!r}")
    return proc, line.split(" at ", 1)[1].strip()


def measure_workers(
    kind: str, names: list[str], base_url: str, rounds: int, count: int
) -> dict[str, list[dict[str, float]]]:
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_index in range(rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            out, _, _ = run_child([sys.executable, __file__, "--worker", kind, name, base_url, str(count)])
            results[name].append(json.loads(out))
    return results


MINIMAL = "minimal httpx script"
IMPORT_TARGETS = ["httpx", "openrouter_credits_client", "openrouter_credits", "openrouter"]
IMPORT_CODE = (
    "import time, resource; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def measure_imports(rounds: int) -> dict[str, list[tuple[float, int]]]:
    results: dict[str, list[tuple[float, int]]] = {m: [] for m in IMPORT_TARGETS}
    for _ in range(rounds):
        for module in IMPORT_TARGETS:
            out, _, _ = run_child([sys.executable, "-c", IMPORT_CODE.format(module=module)])
            seconds, rss = out.split()
            results[module].append((float(seconds), int(rss)))
    return results


def measure_one_shot(base_url: str, rounds: int) -> dict[str, list[tuple[float, int]]]:
    env = {**os.environ, "OPENROUTER_API_KEY": KEY}
    commands = {
        "openrouter-credits --json": [
            str(Path(sys.executable).parent / "openrouter-credits"),
            "--json",
            "--base-url",
            base_url,
        ],
        MINIMAL: [sys.executable, str(HERE / "minimal_httpx.py"), base_url],
    }
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            _, wall, rss = run_child(command, env)
            results[name].append((wall, rss))
    return results


def machine() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("httpx", "httpcore", "attrs", "openrouter", "uvicorn"))
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores",
        f"- Python {platform.python_version()} ({platform.python_implementation()}),"
        f" {platform.system()} {platform.release()}",
        f"- {versions}, openrouter-credits {metadata.version('openrouter-credits')}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--import-rounds", type=int, default=12)
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    args = parser.parse_args()

    server, base_url = start_server()
    try:
        print(f"bench: server at {base_url}; {args.rounds} rounds", flush=True)
        sync_names = list(sync_contenders(base_url))
        sync = measure_workers("sync", sync_names, base_url, args.rounds, args.calls)
        print("bench: sync done", flush=True)
        async_names = list(async_contenders(base_url))
        asynchronous = measure_workers("async", async_names, base_url, max(5, args.rounds // 2 + 1), args.concurrent)
        print("bench: async done", flush=True)
        imports = measure_imports(args.import_rounds)
        print("bench: imports done", flush=True)
        one_shot = measure_one_shot(base_url, max(10, args.rounds))
        print("bench: one-shot done", flush=True)
        control(base_url, "latency", {"seconds": LATENCY})
        views = measure_workers("view", ["sync", "async"], base_url, 3, 5)
        control(base_url, "latency", {"seconds": 0})
        print("bench: default view done", flush=True)
        import datetime as dt

        control(base_url, "activity", {"rows": heavy_month(dt.datetime.now(dt.UTC).date())})
        heavy = measure_workers("activity", ["get_activity()"], base_url, 3, 15)["get_activity()"]
        control(base_url, "reset", {})
        import exporter  # bench/exporter.py, beside this file
        import fleet  # bench/fleet.py

        exporter_lines = exporter.section(base_url)
        exporter_lines += fleet.section(base_url)
    finally:
        server.terminate()
        server.wait(timeout=10)

    med = statistics.median
    floor = med(r["cpu_us_per_call"] for r in sync["httpx.Client GET + json()"])
    lines = ["# Benchmark results", "", f"`make bench` on {time.strftime('%Y-%m-%d')}.", "", *machine(), ""]
    lines += [
        f"## Client CPU per call, reused connection (median of {args.rounds} rounds x {args.calls} calls)",
        "",
        "| contender | CPU µs / call | ratio to bare httpx | peak RSS MiB |",
        "|---|---:|---:|---:|",
    ]
    for name in sync_names:
        cpu = med(r["cpu_us_per_call"] for r in sync[name])
        rss = max(r["rss_kib"] for r in sync[name]) / 1024
        lines.append(f"| {name} | {cpu:.0f} | {cpu / floor:.2f} | {rss:.1f} |")
    floor_name = "httpx.AsyncClient (defaults)"
    async_rounds = len(asynchronous[floor_name])
    lines += [
        "",
        f"## {args.concurrent:,} concurrent async calls on one client (median of {async_rounds} rounds)",
        "",
        "Cold: the first burst on a fresh client, every connection still to open. Warm: a second burst",
        "on the same client.",
        "",
        "| contender | cold wall s | cold calls / s | ratio | warm wall s | warm calls / s | ratio | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    floor = {phase: med(r[f"{phase}_s"] for r in asynchronous[floor_name]) for phase in ("cold", "warm")}
    for name in async_names:
        row = [name]
        for phase in ("cold", "warm"):
            wall = med(r[f"{phase}_s"] for r in asynchronous[name])
            row += [f"{wall:.2f}", f"{args.concurrent / wall:,.0f}", f"{floor[phase] / wall:.2f}"]
        row.append(f"{max(r['rss_kib'] for r in asynchronous[name]) / 1024:.1f}")
        lines.append("| " + " | ".join(row) + " |")
    httpx_import = med(s for s, _ in imports["httpx"])
    lines += [
        "",
        f"## Import time in a fresh process (median of {args.import_rounds})",
        "",
        "| import | ms | ratio to httpx | peak RSS MiB |",
        "|---|---:|---:|---:|",
    ]
    for module in IMPORT_TARGETS:
        seconds = med(s for s, _ in imports[module])
        rss = max(r for _, r in imports[module]) / 1024
        lines.append(f"| `import {module}` | {seconds * 1000:.1f} | {seconds / httpx_import:.2f} | {rss:.1f} |")
    script = med(w for w, _ in one_shot[MINIMAL])
    lines += [
        "",
        f"## One-shot command, wall time including interpreter start (median of {len(one_shot[MINIMAL])})",
        "",
        "| command | ms | ratio to minimal script | peak RSS MiB |",
        "|---|---:|---:|---:|",
    ]
    for name, runs in one_shot.items():
        wall = med(w for w, _ in runs)
        rss = max(r for _, r in runs) / 1024
        lines.append(f"| {name} | {wall * 1000:.0f} | {wall / script:.2f} | {rss:.1f} |")
    lines += [
        "",
        f"## The default view under {LATENCY * 1000:.0f} ms of latency on each endpoint (median of 3 x 5 calls)",
        "",
        "`get_balance()` makes its three calls at once: its wall time against one `get_credits()` call.",
        "",
        "| client | get_credits() ms | get_balance() ms | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, runs in views.items():
        one = med(r["credits"] for r in runs)
        three = med(r["balance"] for r in runs)
        lines.append(f"| {name} | {one * 1000:.0f} | {three * 1000:.0f} | {three / one:.2f} |")
    lines += [
        "",
        f"## get_activity() for a heavy account: {int(heavy[0]['rows']):,} rows (median of 3 x 15)",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| client CPU per call (read, validate, parse, aggregate) | {med(r['cpu_s'] for r in heavy) * 1000:.1f} ms |",
    ]
    lines += exporter_lines
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    args.out.write_text(text)
    print(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))))
    else:
        sys.exit(main())
