"""`openrouter-credits serve` in an alert storm, measured from outside: a real exporter process on
loopback with one discovering management key whose first listing holds 2,000 keys, every one under
``key_below_fraction``, so 2,000 alerts come due at once; a webhook receiver on loopback takes them.
A well-behaved scraper GETs /metrics about 200 times a second throughout: its latency during the
storm, how many notifications arrived and when, and the state files' sizes. Then the listing changes
so that all 2,000 keys recover together, and the same is measured at the next listing (a minute
later: the listing is asked at most once a minute), on a warm process. (Before the outbox was written
off the event loop, each alert rewrote and fsynced both state files on it: /metrics stalled 15.4 s for
these 2,000 keys.)

    python bench/alerts_storm.py          (make bench runs it)
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from abuse import read_response, report  # bench/abuse.py, beside this file

from openrouter_credits.testing import MockOpenRouter, MockServer

MANAGEMENT = "sk-or-v1-bench-management-0000000000000000"
KEYS = 2000
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook that takes every post: when each arrived, and its text."""

    posts: ClassVar[list[tuple[float, str]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.posts.append((time.monotonic(), body["text"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def listing(usage: float = 9.5) -> list[dict[str, Any]]:
    """2,000 keys with a $10 limit, each having used ``usage``: at 9.5, all under 10 % left."""
    return [{"name": f"key-{n:04}", "hash": f"{n:012x}" + "0" * 52, "limit": 10.0, "usage": usage} for n in range(KEYS)]


def scrape_until(address: tuple[str, int], done: threading.Event) -> list[tuple[float, float]]:
    """Sequential GET /metrics at about 200 a second on one kept-alive connection until ``done``:
    (when it started, latency in ms) of each."""
    samples = []
    sock, buf = socket.create_connection(address, timeout=30), bytearray()
    try:
        while not done.is_set():
            started = time.monotonic()
            sock.sendall(REQUEST)
            read_response(sock, buf)
            took = time.monotonic() - started
            samples.append((started, took * 1000))
            time.sleep(max(0.0, 0.005 - took))
    finally:
        sock.close()
    return samples


def wait_for_posts(count: int, deadline: float) -> float:
    """Until the receiver holds ``count`` posts (bounded); when that was."""
    while len(Receiver.posts) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return time.monotonic()


def window(samples: list[tuple[float, float]], start: float, delivered: float, label: str) -> None:
    """The scrapes from ``start`` until 2.5 s after ``delivered``."""
    report(f"/metrics, {label}", [took for at, took in samples if start <= at <= delivered + 2.5], 0)


def main() -> None:
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys=[])
    app.set_keys(listing())
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with MockServer(app) as mock, tempfile.TemporaryDirectory(prefix="alerts-storm-") as tmp:
        config = Path(tmp) / "keys.toml"
        config.write_text('[keys.account]\napi_key_env = "BENCH_KEY"\ndiscover = true\nkey_below_fraction = 0.1\n')
        state = Path(tmp) / "state"
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        address = ("127.0.0.1", listener.getsockname()[1])
        listener.close()
        command = [sys.executable, "-m", "openrouter_credits", "serve", "--config", str(config)]
        command += ["--base-url", mock.base_url, "--listen", f"{address[0]}:{address[1]}", "--interval", "1"]
        command += ["--state-dir", str(state)]
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        env = {**os.environ, "BENCH_KEY": MANAGEMENT, "OPENROUTER_CREDITS_NOTIFY_URL": hook}
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            print(proc.stdout.readline().strip())
            started = time.monotonic()
            done = threading.Event()
            samples: list[tuple[float, float]] = []
            scraper = threading.Thread(target=lambda: samples.extend(scrape_until(address, done)))
            scraper.start()
            cold = wait_for_posts(2, started + 60)
            time.sleep(2.5)  # two polls more, with the states written
            flipped = time.monotonic()
            app.set_keys(listing(usage=1.0))  # at the next listing, all 2,000 recover at once
            warm = wait_for_posts(4, flipped + 90)
            time.sleep(2.5)
            done.set()
            scraper.join()
            window(samples, started, cold, f"first listing: {KEYS} listed keys cross key_below_fraction (a cold start)")
            storm = Receiver.posts[2][0] - 1.0 if len(Receiver.posts) > 2 else flipped
            window(samples, storm, warm, f"a later listing: the {KEYS} recover at once (a warm process)")
            whole = [took for _, took in samples]
            report(f"/metrics throughout ({time.monotonic() - started:.0f} s)", whole, 0)
            for at, text in Receiver.posts:
                print(f"  notification at {at - started:6.2f} s: {text[:100]}…")
            sizes = {path.name: path.stat().st_size for path in state.iterdir() if path.suffix == ".json"}
            print(f"state files: {', '.join(f'{name} {size:,} bytes' for name, size in sorted(sizes.items()))}")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            receiver.shutdown()
            receiver.server_close()
        print(f"serve stopped: exit {proc.returncode}, {err.count('Traceback')} tracebacks")


if __name__ == "__main__":
    main()
