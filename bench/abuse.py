"""Measure scrape latency and memory of HTTPServer while 1,000 abusive clients are connected, all over loopback.

The server runs with its default limits on its own event loop in a thread of this process. 500 clients send half a
request head and stall; 500 more each pipeline 200 GET /metrics (20 KB answers) and never read. A well-behaved
scraper then does 400 sequential GET /metrics on one kept-alive connection, at once and again a second later,
then once more after the server's timeouts have cleared the abusers. Finally 1,000 fresh stalled clients are
connected and the server is closed, as a SIGTERM handler would. Run: ``python bench_abuse.py``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from openrouter_credits.exporter._http import HTTPServer, Response, quiet_loop_errors, raise_open_files_limit

T = TypeVar("T")
STALLED = 500
SLOW_READERS = 500
PIPELINED = 200
SCRAPES = 400
METRICS = b"".join(
    f'openrouter_credits_remaining{{key="k{n:04d}",account="bench"}} {n * 1.5:.2f}\n'.encode() for n in range(360)
)[:20480]
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n"


def route(method: str, path: str) -> Response:
    """Serve the 20 KB metrics text at /metrics and 404 elsewhere."""
    if path == "/metrics":
        return 200, METRICS, "text/plain; version=0.0.4; charset=utf-8"
    return 404, b"not found\n", "text/plain; charset=utf-8"


def status_kib(field: str) -> int:
    """Return a VmRSS-like field of this process from /proc/self/status, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def tcp_kernel_kib() -> int:
    """Return the memory the kernel holds for all TCP sockets (both ends of loopback), in KiB."""
    with open("/proc/net/sockstat") as sockstat:
        for line in sockstat:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * 4
    return -1


class Served:
    """The server on its own event loop in a background thread."""

    def __init__(self) -> None:
        """Start the server on 127.0.0.1 and a free port."""
        self.loop = asyncio.new_event_loop()
        quiet_loop_errors(self.loop, logging.getLogger("bench.loop"))
        self.http = HTTPServer(route, logger=logging.getLogger("bench.http"))
        self.thread = threading.Thread(target=self._run, name="http-server", daemon=True)
        self.thread.start()
        self.address = self.call(self.http.start("127.0.0.1", 0))

    def _run(self) -> None:
        """Run the loop until stopped, then cancel what is left and close it."""
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10.0)


def connect(address: tuple[str, int], first_bytes: bytes) -> socket.socket:
    """Open a connection and send ``first_bytes`` on it."""
    sock = socket.create_connection(address, timeout=5.0)
    sock.sendall(first_bytes)
    return sock


def wait_for_connections(served: Served, count: int, timeout: float = 5.0) -> None:
    """Wait (a bounded time) until the server has at least ``count`` connections open."""
    deadline = time.monotonic() + timeout
    while served.http.connections < count and time.monotonic() < deadline:
        time.sleep(0.005)


def read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one whole response off ``sock`` (leftovers stay in ``buf``) and return its status."""
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    length = next(int(line.split(":")[1]) for line in head if line.lower().startswith("content-length:"))
    del buf[: end + 4]
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    del buf[:length]
    return int(head[0].split(" ")[1])


def scrape(address: tuple[str, int], count: int) -> tuple[list[float], int]:
    """Do ``count`` sequential GET /metrics on a kept-alive connection; return the latencies (ms) and 503s."""
    latencies: list[float] = []
    refused = 0
    sock = socket.create_connection(address, timeout=5.0)
    buf = bytearray()
    try:
        for _ in range(count):
            start = time.perf_counter()
            sock.sendall(REQUEST)
            status = read_response(sock, buf)
            latencies.append((time.perf_counter() - start) * 1000)
            if status == 503:  # the server closes after a 503: reconnect
                refused += 1
                sock.close()
                sock, buf = socket.create_connection(address, timeout=5.0), bytearray()
    finally:
        sock.close()
    return latencies, refused


def report(name: str, latencies: list[float], refused: int) -> None:
    """Print latency percentiles and the count of 503s."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name}: {len(ordered)} scrapes, p50 {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms, "
        f"max {ordered[-1]:.2f} ms, 503s {refused}"
    )


def memory(label: str, served: Served) -> None:
    """Print the process's RSS, the kernel's TCP memory and the server's connection count."""
    print(
        f"{label}: RSS {status_kib('VmRSS') / 1024:.1f} MiB (peak {status_kib('VmHWM') / 1024:.1f} MiB), "
        f"kernel TCP memory {tcp_kernel_kib() / 1024:.1f} MiB, server connections {served.http.connections}"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    logging.basicConfig(level=logging.WARNING, format="  log %(levelname)s %(name)s: %(message)s")
    soft, hard = raise_open_files_limit()
    print(f"open-files limit: soft {soft}, hard {hard}")
    began = time.monotonic()
    served = Served()
    abusers: list[socket.socket] = []
    try:
        memory("before", served)
        report("baseline", *scrape(served.address, SCRAPES))

        for n in range(STALLED + SLOW_READERS):
            first_bytes = b"GET /metrics HTTP/1.1\r\nHost: bench\r\n" if n < STALLED else REQUEST * PIPELINED
            abusers.append(connect(served.address, first_bytes))
            if n % 100 == 99:  # let the server catch up, so the listen backlog does not overflow into SYN retries
                wait_for_connections(served, n + 1)
        opened = time.monotonic()
        print(f"opened {len(abusers)} abusive connections in {opened - began:.1f} s")
        memory("abusers connected", served)

        report(
            "under abuse, at once (the server still answering the pipelined requests)", *scrape(served.address, SCRAPES)
        )
        memory("after the scrapes", served)
        time.sleep(1.0)
        report("under abuse, 1 s later (every slow reader blocked)", *scrape(served.address, SCRAPES))

        time.sleep(max(0.0, opened + 11.0 - time.monotonic()))  # past the 10 s head and write timeouts
        memory("11 s after connecting (timeouts passed)", served)
        report("after the timeouts", *scrape(served.address, 50))

        for sock in abusers:
            sock.close()
        abusers.clear()
        for n in range(1000):
            abusers.append(connect(served.address, b"GET / HTTP/1.1\r\n"))
            if n % 100 == 99:
                wait_for_connections(served, n + 1)
        stalled = served.http.connections
        start = time.monotonic()
        served.call(served.http.close())
        print(f"close() with {stalled} stalled connections took {(time.monotonic() - start) * 1000:.0f} ms")
        memory("after close()", served)
    finally:
        for sock in abusers:
            sock.close()
        served.stop()
    print(f"total {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    main()
