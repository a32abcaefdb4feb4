"""`openrouter-credits serve` under abuse, measured from outside: a real exporter process on loopback,
polling two keys of a local mock every second, while 500 clients stall mid-head and 500 pipeline
requests and never read. A well-behaved scraper's /metrics latency, whether every poll still
succeeded, the exporter's RSS, and how long SIGTERM takes with 1,000 stalled clients connected.

    python bench/serve_abuse.py          (make bench runs it)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from abuse import read_response, report  # bench/abuse.py, beside this file

from openrouter_credits.exporter._http import raise_open_files_limit
from openrouter_credits.testing import MockOpenRouter, MockServer

MANAGEMENT = "sk-or-v1-bench-management-0000000000000000"
ORDINARY = "sk-or-v1-bench-ordinary-00000000000000000000"
STALLED = 500
SLOW_READERS = 500
PIPELINED = 200
SCRAPES = 400
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def metrics(address: tuple[str, int]) -> dict[str, float]:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    body = data.split(b"\r\n\r\n", 1)[1].decode()
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def scrape(address: tuple[str, int], count: int) -> tuple[list[float], int]:
    """Sequential GET /metrics at about 200 a second on one kept-alive connection."""
    latencies, refused = [], 0
    sock, buf = socket.create_connection(address, timeout=5), bytearray()
    try:
        for _ in range(count):
            started = time.perf_counter()
            sock.sendall(REQUEST)
            if read_response(sock, buf) == 503:
                refused += 1
                sock.close()
                sock, buf = socket.create_connection(address, timeout=5), bytearray()
            took = time.perf_counter() - started
            latencies.append(took * 1000)
            time.sleep(max(0.0, 0.005 - took))
    finally:
        sock.close()
    return latencies, refused


def main() -> None:
    soft, hard = raise_open_files_limit()
    print(f"open-files limit here: soft {soft}, hard {hard}")
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys={ORDINARY: 10.0})
    with MockServer(app) as mock, tempfile.TemporaryDirectory(prefix="serve-abuse-") as tmp:
        key_file = Path(tmp) / "ordinary.key"
        key_file.write_text(ORDINARY)
        key_file.chmod(0o600)
        config = Path(tmp) / "keys.toml"
        config.write_text(f'[keys.a]\napi_key_env = "BENCH_KEY"\n\n[keys.b]\napi_key_file = "{key_file}"\n')
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        address = ("127.0.0.1", listener.getsockname()[1])
        listener.close()
        command = [sys.executable, "-m", "openrouter_credits", "serve", "--config", str(config)]
        command += ["--base-url", mock.base_url, "--listen", f"{address[0]}:{address[1]}", "--interval", "1"]
        command += ["--state-dir", str(Path(tmp) / "state")]
        env = {**os.environ, "BENCH_KEY": MANAGEMENT}
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        abusers: list[socket.socket] = []
        try:
            assert proc.stdout is not None
            print(proc.stdout.readline().strip())
            time.sleep(3)
            report("baseline", *scrape(address, SCRAPES))
            print(f"exporter RSS {rss_mib(proc.pid):.1f} MiB")
            for n in range(STALLED + SLOW_READERS):
                sock = socket.create_connection(address, timeout=5)
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n" if n < STALLED else REQUEST * PIPELINED)
                abusers.append(sock)
            before = metrics(address)
            report("500 stalled + 500 slow readers connected", *scrape(address, SCRAPES))
            time.sleep(1.0)
            report("the same, 1 s later", *scrape(address, SCRAPES))
            after = metrics(address)
            print(f"exporter RSS {rss_mib(proc.pid):.1f} MiB with the abusers connected")
            polls = {k: after[k] - before.get(k, 0) for k in after if k.startswith("openrouter_credits_last_success")}
            errors = sum(v for k, v in after.items() if k.startswith("openrouter_credits_poll_errors_total"))
            ups = [v for k, v in after.items() if k.startswith("openrouter_credits_up{")]
            print(f"during the abuse: up {ups}, poll errors {errors:g}, last success advanced {polls}")
            for sock in abusers:
                sock.close()
            abusers = [socket.create_connection(address, timeout=5) for _ in range(1000)]
            for sock in abusers:
                sock.sendall(b"GET / HTTP/1.1\r\n")
            time.sleep(0.5)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            print(
                f"SIGTERM with 1,000 stalled clients: exit {proc.returncode} in {time.monotonic() - started:.2f} s, "
                f"{err.count('Traceback')} tracebacks, {len(err.splitlines())} log lines in all"
            )
        finally:
            for sock in abusers:
                sock.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
