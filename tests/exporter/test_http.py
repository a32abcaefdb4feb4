"""Tests of the HTTP server side over real loopback sockets, with small limits so that timeouts pass quickly.

No test bounds how fast the server is: a test of one timeout sets that one to CUT and the others to LONG, so
that what it waits for is the one thing that can close the connection within WELL_BEFORE (or, if the server
broke, nothing does, for LONG); "closed at once" means before any timeout could have done it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import attrs
import httpx
import pytest

from openrouter_credits.exporter._http import HTTPServer, Limits, Response, quiet_loop_errors, raise_open_files_limit

T = TypeVar("T")
LOGGER_NAME = "test.http_server"
BIG = b"x" * 65536
FAST = Limits(
    head_timeout=0.3,
    body_timeout=0.3,
    idle_timeout=0.3,
    write_timeout=0.3,
    max_head_bytes=2048,
    max_target_bytes=512,
    max_body_bytes=1024,
    send_buffer_bytes=16384,
)
#: The timeout a test waits for.
CUT = 0.3
#: The timeouts a test does not wait for: what a connection would wait for if the behaviour under test broke.
LONG = 30.0
#: How long a test waits for a close that CUT, or nothing, brings: far past CUT, far short of LONG, generous
#: on a loaded machine.
WELL_BEFORE = 5.0
#: asyncio may run a timer up to its clock's resolution early: a close is "not before a timeout" to within this.
EARLY = 0.01
#: FAST's sizes, with no timeout a test reaches.
PATIENT = attrs.evolve(FAST, head_timeout=LONG, body_timeout=LONG, idle_timeout=LONG, write_timeout=LONG)


def route(method: str, path: str) -> Response:
    """Answer /boom with an exception, /big with 64 KiB and anything else with the method and path."""
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/big":
        return 200, BIG, "application/octet-stream"
    return 200, f"{method} {path}\n".encode(), "text/plain; charset=utf-8"


class Served:
    """An HTTPServer running on its own event loop in a background thread."""

    def __init__(self, limits: Limits, calls: list[tuple[str, str]]) -> None:
        """Start the server on 127.0.0.1 and a free port."""

        def recorded(method: str, path: str) -> Response:
            calls.append((method, path))
            return route(method, path)

        self.loop = asyncio.new_event_loop()
        self.http = HTTPServer(recorded, limits=limits, logger=logging.getLogger(LOGGER_NAME))
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

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        """Run a coroutine on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Close the server and stop its loop and thread."""
        try:
            self.call(self.http.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5.0)


class Client:
    """A blocking loopback socket that reads HTTP responses byte-exactly."""

    def __init__(self, address: tuple[str, int], *, receive_buffer: int = 0) -> None:
        """Connect to ``address``, with a small receive buffer if asked."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(5.0)
        self.sock.connect(address)
        self.buf = b""

    def send(self, data: bytes) -> None:
        """Send all of ``data``."""
        self.sock.sendall(data)

    def _more(self) -> None:
        """Receive at least one more byte, or fail on EOF."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"connection closed; got {self.buf!r}")
        self.buf += chunk

    def response(self, *, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        """Return the status, headers (lower-case names) and body of the next response."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = 0 if head_only else int(headers["content-length"])
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        assert status_line.startswith("HTTP/1.1 ")
        return int(status_line.split(" ")[1]), headers, body

    def closed_within(self, seconds: float) -> float:
        """Wait for the server to close (or reset) the connection, with nothing more sent, and return how long."""
        start = time.monotonic()
        self.sock.settimeout(seconds)
        try:
            while chunk := self.sock.recv(65536):
                self.buf += chunk
        except ConnectionResetError:
            pass
        assert self.buf == b"", f"unexpected bytes before the close: {self.buf[:200]!r}"
        return time.monotonic() - start

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


@pytest.fixture
def calls() -> list[tuple[str, str]]:
    """Return the list the route records its calls in."""
    return []


@pytest.fixture
def serve(calls: list[tuple[str, str]]) -> Iterator[Callable[..., Served]]:
    """Start servers with given limits, and stop them after the test."""
    started: list[Served] = []

    def start(limits: Limits = FAST) -> Served:
        started.append(Served(limits, calls))
        return started[-1]

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def connect() -> Iterator[Callable[..., Client]]:
    """Open clients, and close them after the test."""
    clients: list[Client] = []

    def open_client(address: tuple[str, int], *, receive_buffer: int = 0) -> Client:
        clients.append(Client(address, receive_buffer=receive_buffer))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


def has_connections(served: Served, count: int) -> bool:
    """Return whether the server has ``count`` connections open."""
    return served.http.connections == count


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until it holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_get_answers_with_the_route_and_the_fixed_headers(
    serve: Callable[..., Served], connect: Callable[..., Client], calls: list[tuple[str, str]]
) -> None:
    """A GET gets the route's answer for the path without its query, with every fixed header."""
    client = connect(serve().address)
    client.send(b"GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\n\r\n")
    status, headers, body = client.response()
    assert (status, body) == (200, b"GET /metrics\n")
    assert headers["content-length"] == str(len(body))
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["connection"] == "keep-alive"
    assert headers["cache-control"] == "no-store"
    assert calls == [("GET", "/metrics")]


def test_head_gets_the_headers_of_get_without_a_body(
    serve: Callable[..., Served], connect: Callable[..., Client]
) -> None:
    """A HEAD gets the Content-Length of the GET and no body, so the next response follows at once."""
    client = connect(serve().address)
    client.send(b"HEAD /big HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n")
    status, headers, _ = client.response(head_only=True)
    assert (status, headers["content-length"]) == (200, str(len(BIG)))
    assert client.response()[2] == b"GET /x\n"


def test_keep_alive_serves_several_requests_on_one_connection(
    serve: Callable[..., Served], connect: Callable[..., Client]
) -> None:
    """A kept-alive connection serves one request after another."""
    client = connect(serve().address)
    for n in range(5):
        client.send(f"GET /{n} HTTP/1.1\r\n\r\n".encode())
        assert client.response()[2] == f"GET /{n}\n".encode()


def test_pipelined_requests_are_answered_in_order(serve: Callable[..., Served], connect: Callable[..., Client]) -> None:
    """Requests sent in one go are answered in the order sent."""
    client = connect(serve().address)
    client.send(b"".join(f"GET /{n} HTTP/1.1\r\n\r\n".encode() for n in range(20)))
    assert [client.response()[2] for _ in range(20)] == [f"GET /{n}\n".encode() for n in range(20)]


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.1\r\nConnection: x, Close\r\n\r\n",
    ],
)
def test_http10_and_connection_close_close_after_the_response(
    serve: Callable[..., Served], connect: Callable[..., Client], request_bytes: bytes
) -> None:
    """HTTP/1.0 and Connection: close get one response, marked close, then the connection is closed (at once:
    no timeout could close it)."""
    client = connect(serve(PATIENT).address)
    client.send(request_bytes)
    status, headers, _ = client.response()
    assert (status, headers["connection"]) == (200, "close")
    client.closed_within(WELL_BEFORE)


def test_other_methods_get_405_without_the_route_and_the_connection_goes_on(
    serve: Callable[..., Served], connect: Callable[..., Client], calls: list[tuple[str, str]]
) -> None:
    """A POST (its body read and dropped) gets 405 with Allow, the route is not called and the next request works."""
    client = connect(serve().address)
    client.send(b"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    status, headers, _ = client.response()
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    assert calls == []
    client.send(b"DELETE / HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
    assert client.response()[0] == 405
    assert client.response()[:3:2] == (200, b"GET /after\n")


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GET /\r\n\r\n", id="two-part-request-line"),
        pytest.param(b"GET / HTTP/1.1 x\r\n\r\n", id="four-part-request-line"),
        pytest.param(b"GET  / HTTP/1.1\r\n\r\n", id="double-space"),
        pytest.param(b"GET / HTTP/2.0\r\n\r\n", id="unknown-version"),
        pytest.param(b"GET / http/1.1\r\n\r\n", id="lower-case-version"),
        pytest.param(b"GET / HTTP/1.1\nHost: t\r\n\r\n", id="bare-lf-request-line"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: t\nAccept: */*\r\n\r\n", id="bare-lf-header"),
        pytest.param(b"GET / HTTP/1.1\n\n", id="bare-lf-head-end"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: t\r\n\n", id="bare-lf-last"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", id="bare-cr"),
        pytest.param(b"GET / HTTP/1.1\r\nHost t\r\n\r\n", id="header-without-colon"),
        pytest.param(b"GET / HTTP/1.1\r\n Host: t\r\n\r\n", id="folded-header"),
        pytest.param("GET / HTTP/1.1\r\nContent-Length: ١٢\r\n\r\n".encode(), id="arabic-indic-digits"),
        pytest.param("GET / HTTP/1.1\r\nContent-Length: ²\r\n\r\n".encode(), id="superscript-digit"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", id="negative-length"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx", id="signed-length"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx", id="list-length"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", id="two-lengths"),
        pytest.param(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", id="chunked"),
        pytest.param(b"GET / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", id="identity"),
    ],
)
def test_malformed_requests_get_400_and_the_connection_closed(
    serve: Callable[..., Served],
    connect: Callable[..., Client],
    calls: list[tuple[str, str]],
    request_bytes: bytes,
) -> None:
    """Each malformed or ambiguous request gets a 400, marked close, and the connection is closed at once (no
    timeout could close it)."""
    client = connect(serve(PATIENT).address)
    client.send(request_bytes)
    status, headers, body = client.response()
    assert (status, headers["connection"], body) == (400, "close", b"bad request\n")
    client.closed_within(WELL_BEFORE)
    assert calls == []


def test_same_content_length_twice_is_accepted(serve: Callable[..., Served], connect: Callable[..., Client]) -> None:
    """Two equal Content-Length headers are not a conflict; the body is read and dropped."""
    client = connect(serve().address)
    client.send(b"GET /a HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 02\r\n\r\nxyGET /b HTTP/1.1\r\n\r\n")
    assert [client.response()[2] for _ in range(2)] == [b"GET /a\n", b"GET /b\n"]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(b"POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n" + b"x" * 1025, 413, id="body"),
        pytest.param(b"POST / HTTP/1.1\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n", 431, id="huge-length"),
        pytest.param(b"POST / HTTP/1.1\r\nContent-Length: " + b"9" * 100 + b"\r\n\r\n", 413, id="long-length"),
        pytest.param(b"GET /" + b"a" * 600 + b" HTTP/1.1\r\n\r\n", 414, id="target"),
        pytest.param(b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\n\r\n", 414, id="request-line-over-head"),
        pytest.param(b"GET /" + b"a" * 3000, 414, id="endless-request-line"),
        pytest.param(b"GET / HTTP/1.1\r\n" + b"X-Pad: yyyyyyyy\r\n" * 200 + b"\r\n", 431, id="head"),
        pytest.param(b"GET / HTTP/1.1\r\n" + b"X-Pad: yyyyyyyy\r\n" * 200, 431, id="endless-head"),
    ],
)
def test_oversized_requests_get_413_414_or_431_and_the_connection_closed(
    serve: Callable[..., Served], connect: Callable[..., Client], request_bytes: bytes, status: int
) -> None:
    """A body over max_body_bytes gets 413, a long target or request line 414, a large head 431; then a close
    (at once: no timeout could close it)."""
    client = connect(serve(PATIENT).address)
    client.send(request_bytes)
    got, headers, _ = client.response()
    assert (got, headers["connection"]) == (status, "close")
    client.closed_within(WELL_BEFORE)


@pytest.mark.parametrize(
    "partial",
    [
        pytest.param(b"", id="nothing"),
        pytest.param(b"GET /metrics HTTP/1.1\r\nHost: t\r\n", id="half-a-head"),
        pytest.param(b"\r\n\r\n\r\n", id="blank-lines"),
    ],
)
def test_a_stalled_head_is_closed_within_head_timeout(
    serve: Callable[..., Served], connect: Callable[..., Client], partial: bytes
) -> None:
    """A client that sends nothing, or part of a head, is cut off once head_timeout has passed, not before."""
    served = serve(attrs.evolve(PATIENT, head_timeout=CUT))
    started = time.monotonic()  # before the connect, from which the server times the head
    client = connect(served.address)
    client.send(partial)
    client.closed_within(WELL_BEFORE)
    assert time.monotonic() - started >= CUT - EARLY
    wait_until(lambda: served.http.connections == 0)


def test_a_slow_head_is_timed_from_the_connect_not_reset_by_each_byte(
    serve: Callable[..., Served], connect: Callable[..., Client]
) -> None:
    """A head dribbled a byte at a time does not extend head_timeout: the connection is cut while the head is
    still coming (it would take 6 s), not head_timeout after its last byte."""
    client = connect(serve(attrs.evolve(PATIENT, head_timeout=CUT)).address)
    head = b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 100
    sent = 0
    with contextlib.suppress(OSError):
        while sent < len(head) and not select.select([client.sock], [], [], 0.05)[0]:  # readable: closed
            client.send(head[sent : sent + 1])
            sent += 1
    client.closed_within(WELL_BEFORE)
    assert sent < len(head)


def test_a_stalled_body_is_closed_within_body_timeout(
    serve: Callable[..., Served], connect: Callable[..., Client]
) -> None:
    """A client that declares a body and sends none of it is cut off once body_timeout has passed, not before."""
    served = serve(attrs.evolve(PATIENT, body_timeout=CUT, max_body_bytes=16384))
    client = connect(served.address)
    started = time.monotonic()  # before the head is sent, after which the server times the body
    client.send(b"POST / HTTP/1.1\r\nContent-Length: 16000\r\n\r\n" + b"x" * 100)
    client.closed_within(WELL_BEFORE)
    assert time.monotonic() - started >= CUT - EARLY
    wait_until(lambda: served.http.connections == 0)


def test_an_idle_kept_alive_connection_is_closed(serve: Callable[..., Served], connect: Callable[..., Client]) -> None:
    """A kept-alive connection silent for idle_timeout after a response is closed, not before."""
    client = connect(serve(attrs.evolve(PATIENT, idle_timeout=CUT)).address)
    started = time.monotonic()  # before the request, after whose response the server times the silence
    client.send(b"GET / HTTP/1.1\r\n\r\n")
    assert client.response()[0] == 200
    client.closed_within(WELL_BEFORE)
    assert time.monotonic() - started >= CUT - EARLY


def test_a_client_that_pipelines_and_never_reads_is_aborted(
    serve: Callable[..., Served], connect: Callable[..., Client]
) -> None:
    """A non-reading client holds at most the high-water mark plus one response, then is aborted by write_timeout."""
    served = serve(Limits(write_timeout=0.5, send_buffer_bytes=16384))
    client = connect(served.address, receive_buffer=4096)
    client.send(b"GET /big HTTP/1.1\r\n\r\n" * 200)

    async def held() -> tuple[int, int]:
        """The most connections open and response bytes held, watched on the server's loop until it is aborted."""
        most_connections = most_unsent = 0
        while not most_connections or served.http.connections:
            most_connections = max(most_connections, served.http.connections)
            most_unsent = max(most_unsent, served.http.unsent_bytes)
            await asyncio.sleep(0.005)
        return most_connections, most_unsent

    connections, unsent = served.call(held(), timeout=LONG)
    assert connections == 1
    assert 0 < unsent <= 16384 + len(BIG) + 200
    taken = 0
    with contextlib.suppress(ConnectionResetError, EOFError):
        while taken < 200:
            client.response()
            taken += 1
    assert taken < 200


def test_a_connection_past_max_connections_gets_503_at_once(
    serve: Callable[..., Served], connect: Callable[..., Client]
) -> None:
    """With max_connections open, one more gets 503 with Retry-After and is closed; the others still work."""
    served = serve(attrs.evolve(PATIENT, max_connections=3))
    clients = [connect(served.address) for _ in range(3)]
    wait_until(lambda: served.http.connections == 3)
    extra = connect(served.address)
    status, headers, _ = extra.response()
    assert (status, headers["retry-after"], headers["connection"]) == (503, "1", "close")
    extra.closed_within(WELL_BEFORE)  # at once: no timeout could close it
    assert served.http.connections == 3
    clients[0].send(b"GET /still HTTP/1.1\r\n\r\n")
    assert clients[0].response()[2] == b"GET /still\n"


def test_max_connections_is_lowered_to_fit_a_low_open_files_limit(
    serve: Callable[..., Served],
    connect: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under an open-files limit of 8, half is kept free: the fifth connection gets 503, and a warning says so."""
    resource = pytest.importorskip("resource")
    monkeypatch.setattr(resource, "getrlimit", lambda _: (8, 8))
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        served = serve(Limits(head_timeout=5.0))
    monkeypatch.undo()
    assert "room for 4 connections" in caplog.text
    clients = [connect(served.address) for _ in range(4)]
    wait_until(lambda: served.http.connections == 4)
    assert connect(served.address).response()[0] == 503
    clients[0].send(b"GET / HTTP/1.1\r\n\r\n")
    assert clients[0].response()[0] == 200


def test_close_with_200_stalled_clients_returns_quickly_and_quietly(
    serve: Callable[..., Served], connect: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    """close() aborts 200 stalled or non-reading connections, without waiting for their (30 s) timeouts, and logs
    nothing about them."""
    served = serve(Limits(head_timeout=LONG, write_timeout=LONG))
    clients: list[Client] = []
    for batch in range(1, 5):  # in batches, so that the listen backlog never overflows into SYN retries
        clients += [connect(served.address) for _ in range(50)]
        wait_until(functools.partial(has_connections, served, 50 * batch))
    for client in clients[:100:2]:
        client.send(b"GET / HTTP/1.1\r\nHost: t\r\n")
    for client in clients[100:150]:  # responses pending, and more requests buffered behind them
        client.send(b"GET /big HTTP/1.1\r\n\r\n" * 50)
    time.sleep(0.1)
    with caplog.at_level(logging.DEBUG):
        start = time.monotonic()
        served.call(served.http.close(), timeout=LONG)
        assert time.monotonic() - start < WELL_BEFORE
    assert served.http.connections == 0
    for client in clients[:100]:
        client.closed_within(WELL_BEFORE)
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_close_leaves_requests_pipelined_on_an_aborted_connection_alone(caplog: pytest.LogCaptureFixture) -> None:
    """Once close() has aborted a connection, the requests still buffered on it are neither routed nor answered."""
    routed: list[str] = []
    closing: list[asyncio.Task[None]] = []

    async def scenario() -> None:
        def closing_route(method: str, path: str) -> Response:
            routed.append(path)
            if path == "/close":
                closing.append(asyncio.get_running_loop().create_task(server.close()))
            return 200, b"ok\n", "text/plain"

        server = HTTPServer(closing_route, limits=FAST)
        host, port = await server.start("127.0.0.1", 0)
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /close HTTP/1.1\r\n\r\n" + b"GET /more HTTP/1.1\r\n\r\n" * 20)
        with contextlib.suppress(ConnectionResetError):
            async with asyncio.timeout(2.0):
                await reader.read()
        await closing[0]
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    assert routed == ["/close"]
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_many_bad_requests_from_one_address_log_one_warning(
    serve: Callable[..., Served], connect: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    """Fifty bad requests from one address give exactly one warning line, with the address and no traceback."""
    served = serve()
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        for _ in range(50):
            client = connect(served.address)
            client.send(b"BAD\r\n\r\n")
            assert client.response()[0] == 400
            client.close()
        wait_until(lambda: served.http.connections == 0)
    records = [record for record in caplog.records if record.name == LOGGER_NAME]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "127.0.0.1" in records[0].getMessage()
    assert "request line" in records[0].getMessage()
    assert records[0].exc_info is None


def test_a_route_that_raises_gets_500_and_the_connection_goes_on(
    serve: Callable[..., Served], connect: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    """A route that raises gives a 500 and one logged traceback; the next request on the connection works."""
    client = connect(serve().address)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        client.send(b"GET /boom HTTP/1.1\r\n\r\n")
        status, headers, body = client.response()
        assert (status, headers["connection"], body) == (500, "keep-alive", b"internal error\n")
        client.send(b"GET /fine HTTP/1.1\r\n\r\n")
        assert client.response()[:3:2] == (200, b"GET /fine\n")
    records = [record for record in caplog.records if record.name == LOGGER_NAME]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert records[0].exc_info is not None


def test_quiet_loop_errors_logs_one_line_per_kind_per_window(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeated EMFILE accept errors give one line per window, without traceback; other errors go to the default."""
    now = [1000.0]
    passed_on: list[dict[str, Any]] = []
    loop = asyncio.new_event_loop()
    try:
        monkeypatch.setattr(loop, "default_exception_handler", passed_on.append)
        quiet_loop_errors(loop, logging.getLogger(LOGGER_NAME), every=60.0, clock=lambda: now[0])
        emfile = {"message": "socket.accept() out of system resource", "exception": OSError(errno.EMFILE, "Too many")}
        with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
            for _ in range(100):
                loop.call_exception_handler(emfile)
            loop.call_exception_handler({"message": "Fatal read error", "exception": ConnectionResetError()})
            now[0] += 30.0
            loop.call_exception_handler(emfile)
            now[0] += 31.0
            loop.call_exception_handler(emfile)
            loop.call_exception_handler({"message": "Exception in callback", "exception": RuntimeError("bug")})
    finally:
        loop.close()
    lines = [record.getMessage() for record in caplog.records if record.name == LOGGER_NAME]
    assert len(lines) == 3
    assert lines[0].startswith("socket.accept() out of system resource: EMFILE")
    assert "ConnectionResetError" in lines[1]
    assert "100 more like it" in lines[2]
    assert all(record.exc_info is None for record in caplog.records)
    assert [context["exception"].args for context in passed_on] == [("bug",)]


def test_raise_open_files_limit_only_raises_up_to_the_hard_limit() -> None:
    """raise_open_files_limit returns a soft limit at least the previous one and at most the hard one."""
    resource = pytest.importorskip("resource")
    before, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = raise_open_files_limit(before + 1)
    assert soft >= before
    assert hard == resource.RLIM_INFINITY or soft <= hard
    assert (soft, hard) == resource.getrlimit(resource.RLIMIT_NOFILE)


@pytest.mark.parametrize(
    ("bound", "value"), [("head_timeout", 0), ("max_connections", -1), ("write_timeout", float("nan"))]
)
def test_limits_refuse_bounds_that_are_not_positive(bound: str, value: float) -> None:
    """A zero, negative or NaN bound is refused when Limits is built, naming the bound."""
    with pytest.raises(ValueError, match=f"^Limits.{bound} must be positive, not "):
        Limits(**{bound: value})


def test_large_bodies_go_gzipped_once_per_body() -> None:
    """A body of GZIP_MIN_BYTES or more goes gzipped to a client that accepts it (compressed once for
    the same bytes), plain to one that does not or refuses it (q=0); a small body always plain."""
    import gzip

    from openrouter_credits.exporter._http import GZIP_MIN_BYTES

    big = b"openrouter_credits_up 1\n" * (GZIP_MIN_BYTES // 10)

    def route(method: str, path: str) -> Response:
        return 200, big if path == "/big" else b"small\n", "text/plain"

    async def scenario() -> list[httpx.Response]:
        server = HTTPServer(route, limits=Limits(), logger=logging.getLogger(LOGGER_NAME))
        host, port = await server.start("127.0.0.1", 0)
        try:
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
                answers = [
                    await client.get("/big", headers={"Accept-Encoding": "gzip"}),
                    await client.get("/big", headers={"Accept-Encoding": "br, gzip;q=0.5"}),
                    await client.get("/big", headers={"Accept-Encoding": "identity"}),
                    await client.get("/big", headers={"Accept-Encoding": "gzip;q=0"}),
                    await client.get("/small", headers={"Accept-Encoding": "gzip"}),
                ]
            assert server.compressions == 1  # two gzipped answers of the same bytes
            return answers
        finally:
            await server.close()

    answers = asyncio.run(scenario())
    assert [a.headers.get("content-encoding") for a in answers] == ["gzip", "gzip", None, None, None]
    assert all(a.content == big for a in answers[:4])  # httpx decodes the gzipped ones
    assert int(answers[0].headers["content-length"]) == len(gzip.compress(big, mtime=0))
    assert answers[4].content == b"small\n"
