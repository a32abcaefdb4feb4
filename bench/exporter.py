"""The exporter's benchmarks, for make bench: /metrics latency under load, memory over many polls,
and idle CPU, all with 50 keys against the mock server.

    python bench/exporter.py BASE_URL        # prints its section of bench/results.md

Every loop is bounded in count and time; the exporter process is stopped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "sk-or-v1-mock-provisioning"
KEYS = 50
SCRAPE_RATE = 200
SCRAPE_SECONDS = 10
POLLS = 10_000
IDLE_SECONDS = 65


def config(folder: Path) -> Path:
    """50 keys (the mock's one key under 50 names, as 50 teams sharing an account would be)."""
    path = folder / "keys.toml"
    path.write_text("".join(f'[keys.team-{n:02d}]\napi_key_env = "BENCH_KEY"\n\n' for n in range(KEYS)))
    return path


def start(base_url: str, keys_file: Path, state: Path, interval: str = "60") -> tuple[subprocess.Popen[str], str]:
    command = [str(Path(sys.executable).parent / "openrouter-credits"), "serve", "--config", str(keys_file)]
    command += ["--base-url", base_url, "--listen", "127.0.0.1:0", "--interval", interval, "--state-dir", str(state)]
    proc = subprocess.Popen(
        command, env={**os.environ, "BENCH_KEY": KEY}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"the exporter did not start: {line!r}")
    return proc, line.split(" on ", 1)[1].strip()


def wait_all_up(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = httpx.get(url + "/metrics").text
        if text.count("openrouter_credits_up{") == KEYS and " 0\n" not in "".join(
            line + "\n" for line in text.splitlines() if line.startswith("openrouter_credits_up{")
        ):
            return
        time.sleep(0.2)
    raise RuntimeError("not every key was polled within a minute")


def scrape_latency(url: str) -> dict[str, float]:
    """Scrape /metrics SCRAPE_RATE times a second for SCRAPE_SECONDS on one kept-alive connection
    (as Prometheus does); latency percentiles in ms."""
    import httpx

    latencies = []
    with httpx.Client() as http:
        started = time.perf_counter()
        for n in range(SCRAPE_RATE * SCRAPE_SECONDS):
            due = started + n / SCRAPE_RATE
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent = time.perf_counter()
            response = http.get(url + "/metrics")
            latencies.append(time.perf_counter() - sent)
            assert response.status_code == 200
        achieved = len(latencies) / (time.perf_counter() - started)
    latencies.sort()
    return {
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "max": latencies[-1] * 1000,
        "rate": achieved,
        "bytes": len(response.content),
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(base_url: str, folder: Path) -> float:
    """The exporter's CPU share over IDLE_SECONDS of the default 60 s interval, after its first polls."""
    proc, url = start(base_url, config(folder), folder / "state-idle")
    try:
        wait_all_up(url)
        before, started = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        return (cpu_seconds(proc.pid) - before) / (time.monotonic() - started) * 100
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_over_polls(base_url: str) -> dict[str, float]:
    """RSS of an exporter after 100 polls and after POLLS, polling its 50 keys in turn, in-process."""
    from openrouter_credits._apps.config_file import KeySpec
    from openrouter_credits.exporter import Exporter

    keys = [KeySpec(f"team-{n:02d}", KEY) for n in range(KEYS)]

    async def main() -> dict[str, float]:
        exporter = Exporter(keys, interval=60, base_url=base_url)
        names = list(exporter.states)
        measured: dict[str, float] = {}
        started = time.monotonic()
        for n in range(1, POLLS + 1):
            await exporter.poll(names[n % KEYS])
            if n in (100, POLLS):
                measured[f"rss_{n}"] = rss_mib()
        measured["seconds"] = time.monotonic() - started
        for client in exporter.clients.values():
            await client.aclose()
        return measured

    return asyncio.run(main())


def section(base_url: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="openrouter-credits-bench-") as tmp:
        folder = Path(tmp)
        proc, url = start(base_url, config(folder), folder / "state")
        try:
            wait_all_up(url)
            scrapes = scrape_latency(url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        print("bench: exporter scrapes done", flush=True)
        memory = memory_over_polls(base_url)
        print("bench: exporter memory done", flush=True)
        idle = idle_cpu(base_url, folder)
    growth = memory[f"rss_{POLLS}"] - memory["rss_100"]
    return [
        "",
        f"## The exporter, {KEYS} keys",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| /metrics latency at {scrapes['rate']:.0f} scrapes/s for {SCRAPE_SECONDS} s, p50"
        f" | {scrapes['p50']:.2f} ms |",
        f"| the same, p99 | {scrapes['p99']:.2f} ms |",
        f"| the same, slowest | {scrapes['max']:.2f} ms |",
        f"| /metrics size | {scrapes['bytes'] / 1024:.0f} KiB |",
        f"| RSS after 100 polls | {memory['rss_100']:.1f} MiB |",
        f"| RSS after {POLLS:,} polls ({memory['seconds']:.0f} s) | {memory[f'rss_{POLLS}']:.1f} MiB ({growth:+.1f}) |",
        f"| CPU while idle at the default 60 s interval, over {IDLE_SECONDS} s | {idle:.2f} % of a core |",
    ]


if __name__ == "__main__":
    print("\n".join(section(sys.argv[1])))
