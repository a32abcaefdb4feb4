"""The HTTP/1.1 server on asyncio streams: one task per connection, each held to :class:`Limits`.

It answers GET and HEAD with a synchronous route function (keep-alive, pipelining, HTTP/1.0) and guarantees, for
every connection, whatever the client does:

* no wait on a client is unbounded: the request head, a declared body, the silence between kept-alive requests and
  the taking of each response all have a deadline; past it, the connection is aborted;
* memory is bounded: a head, a request-target and a body each have a cap (431, 414, 413), a body is discarded as it
  arrives, and a client that does not read holds a kernel send buffer of ``send_buffer_bytes`` (which Linux counts
  twice) and at most that plus one response in the process, until its write deadline aborts it with a reset;
* the connection count is bounded: past ``max_connections`` (lowered at start if the open-files limit is too low to
  reach it), a new connection gets a 503 and is closed without being read;
* a malformed or ambiguous request (what :mod:`.parse` refuses) gets a 400 and the connection is closed;
* a client's mistakes and timeouts are logged as one warning line, at most once per address per minute; a route
  that raises is logged with its traceback and answered with a 500, and the connection goes on;
* :meth:`HTTPServer.close` returns within about a second, however many clients are stalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from ..._logging import EXPORTER_LOGGER
from .limits import Limits
from .parse import Refusal, Request, RequestBuffer
from .system import BACKLOG, Throttle, abort, connection_room, held_back

__all__ = ["GZIP_MIN_BYTES", "HTTPServer", "Response", "Route"]

Response = tuple[int, bytes, str]
"""What a route returns: the status, the body and its content type."""
Route = Callable[[str, str], Response]
"""``route(method, path)``, the path without its query; only GET and HEAD reach it."""

#: Bodies from this size on go gzipped to a client that accepts it (Prometheus does): a discovering
#: key's /metrics of 1,000 keys is 461 KiB as text, about a tenth of that gzipped.
GZIP_MIN_BYTES = 4096

_LOGGER = logging.getLogger(EXPORTER_LOGGER)
_PLAIN = "text/plain; charset=utf-8"
_REASONS = {status.value: status.phrase for status in HTTPStatus}
#: Bytes asked of the stream per read.
_READ_SIZE = 16384
#: How long, and how much, is read and discarded after an error response before the connection is closed.
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 65536
#: A client's mistakes are logged at most once per this many seconds per address, for this many addresses.
_CLIENT_LOG_WINDOW = 60.0
_CLIENT_LOG_ADDRESSES = 1024


def _response(status: int, body: bytes, kind: str, *, close: bool, head_only: bool = False, extra: str = "") -> bytes:
    """Return a whole response: its status line, headers and (unless ``head_only``) body."""
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n"
        f"Cache-Control: no-store\r\n{extra}\r\n"
    ).encode("latin-1")
    return head if head_only else head + body


class HTTPServer:
    """Serves ``route`` over HTTP/1.1 on one listening address, holding every connection to ``limits``."""

    def __init__(
        self,
        route: Route,
        *,
        limits: Limits | None = None,
        logger: logging.Logger = _LOGGER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Prepare a server (``Limits()`` unless given others); ``clock`` times the once-a-minute logging of client
        errors, not the timeouts."""
        limits = Limits() if limits is None else limits
        self._route = route
        self._gzip_cache: tuple[bytes, bytes] | None = None
        self._gzip_count = 0
        self._limits = limits
        self._logger = logger
        self._throttle = Throttle(_CLIENT_LOG_WINDOW, clock, _CLIENT_LOG_ADDRESSES)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.WriteTransport, asyncio.Task[Any]] = {}
        self._max_connections = limits.max_connections
        self._closing = False
        self._busy = _response(503, b"too many connections\n", _PLAIN, close=True, extra="Retry-After: 1\r\n")

    @property
    def connections(self) -> int:
        """Return how many connections are open and being served."""
        return len(self._connections)

    @property
    def unsent_bytes(self) -> int:
        """Return how many response bytes the open connections hold in the process, written and not yet sent."""
        return sum(transport.get_write_buffer_size() for transport in self._connections)

    @property
    def compressions(self) -> int:
        """Return how many bodies were gzipped so far (once per body object, however many clients take it)."""
        return self._gzip_count

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on ``host:port`` (port 0 picks a free one) and return the address bound."""
        if self._server is not None or self._closing:
            raise RuntimeError("this server was already started")
        room = connection_room(self._limits.max_connections)
        if room < self._limits.max_connections:
            self._logger.warning(
                "the open-files limit leaves room for %d connections: max_connections lowered from %d",
                room,
                self._limits.max_connections,
            )
        self._max_connections = room
        self._server = await asyncio.start_server(
            self._serve, host, port, limit=self._limits.max_head_bytes, backlog=BACKLOG
        )
        name = self._server.sockets[0].getsockname()
        return str(name[0]), int(name[1])

    async def close(self) -> None:
        """Stop accepting, abort every open connection and wait (a second at most) for their handlers to end."""
        self._closing = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._connections.values())
        for transport in list(self._connections):
            abort(transport)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=1.0)
            for task in pending:
                task.cancel()
        if server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one accepted connection, whatever happens to it, and leave its transport closed."""
        transport = writer.transport
        if self._closing:
            abort(transport)
            return
        if len(self._connections) >= self._max_connections:
            self._warn("", f"HTTP connection limit of {self._max_connections} reached: new connections get 503")
            writer.write(self._busy)  # a fresh socket takes these few bytes at once
            if transport.get_write_buffer_size():
                abort(transport)
            else:
                transport.close()
            return
        task = asyncio.current_task()
        if task is not None:  # always, in a handler
            self._connections[transport] = task
        try:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self._limits.send_buffer_bytes)
            transport.set_write_buffer_limits(high=self._limits.send_buffer_bytes)
            peer = transport.get_extra_info("peername")
            ip = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
            await self._converse(reader, writer, ip)
        except asyncio.CancelledError:
            abort(transport)
            raise
        except OSError:  # reset, broken pipe: the client went away
            abort(transport)
        except Exception:
            self._logger.exception("HTTP connection handler failed")
            abort(transport)
        finally:
            self._connections.pop(transport, None)
            if not transport.is_closing():
                abort(transport)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ip: str) -> None:
        """Answer the requests of one connection in order until it ends, one way or another."""
        limits = self._limits
        transport = writer.transport
        loop = asyncio.get_running_loop()
        buf = RequestBuffer(limits)
        deadline = loop.time() + limits.head_timeout  # the first head is timed from the connect
        served = False
        while not transport.is_closing():  # closing: aborted by close(), so pipelined requests are left
            if served:
                if not buf:
                    try:
                        async with asyncio.timeout(limits.idle_timeout):
                            chunk = await reader.read(_READ_SIZE)
                    except TimeoutError:
                        await self._finish(reader, writer)
                        return
                    if not chunk:
                        await self._finish(reader, writer)
                        return
                    buf.feed(chunk)
                deadline = loop.time() + limits.head_timeout
            try:
                request = await self._read_head(reader, buf, deadline)
            except TimeoutError:
                self._client_error(ip, f"request head not received within {limits.head_timeout:g} s")
                abort(transport)
                return
            except Refusal as refusal:
                self._client_error(ip, f"{refusal.status} {refusal.reason}")
                writer.write(_response(refusal.status, refusal.body, _PLAIN, close=True))
                await self._finish(reader, writer, linger=True)
                return
            if request is None:  # the client closed between requests, or within a head
                await self._finish(reader, writer)
                return
            if request.length:
                try:
                    if not await self._discard_body(reader, buf, request.length):
                        await self._finish(reader, writer)
                        return
                except TimeoutError:
                    self._client_error(ip, f"request body not received within {limits.body_timeout:g} s")
                    abort(transport)
                    return
            writer.write(self._respond(request))
            if request.close:
                await self._finish(reader, writer)
                return
            if transport.get_write_buffer_size() > limits.send_buffer_bytes:  # drain() would wait
                try:
                    async with asyncio.timeout(limits.write_timeout):
                        await writer.drain()
                except TimeoutError:
                    self._client_error(ip, f"response not taken within {limits.write_timeout:g} s")
                    abort(transport)
                    return
            served = True
            if buf:  # pipelined requests: let other connections have a turn between two responses
                await asyncio.sleep(0)

    async def _read_head(self, reader: asyncio.StreamReader, buf: RequestBuffer, deadline: float) -> Request | None:
        """Return the next request, reading more until ``deadline``; None if the client went away first."""
        while (request := buf.next_request()) is None:
            async with asyncio.timeout_at(deadline):
                chunk = await reader.read(_READ_SIZE)
            if not chunk:
                return None
            buf.feed(chunk)
        return request

    async def _discard_body(self, reader: asyncio.StreamReader, buf: RequestBuffer, length: int) -> bool:
        """Read and drop a body of ``length`` bytes within ``body_timeout``; False if the client went away."""
        remaining = buf.drop(length)
        if remaining:
            async with asyncio.timeout(self._limits.body_timeout):
                while remaining:
                    chunk = await reader.read(min(remaining, _READ_SIZE))
                    if not chunk:
                        return False
                    remaining -= len(chunk)
        return True

    def _respond(self, request: Request) -> bytes:
        """Return the whole response to a well-formed request."""
        head_only = request.method == "HEAD"
        if request.method not in ("GET", "HEAD"):
            body = b"method not allowed\n"
            return _response(405, body, _PLAIN, close=request.close, extra="Allow: GET, HEAD\r\n")
        try:
            status, body, kind = self._route(request.method, request.path)
            if request.gzip and len(body) >= GZIP_MIN_BYTES:
                return _response(
                    status,
                    self._gzipped(body),
                    kind,
                    close=request.close,
                    head_only=head_only,
                    extra="Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n",
                )
            return _response(status, body, kind, close=request.close, head_only=head_only)
        except Exception:
            self._logger.exception("route failed for %s %s", request.method, request.path)
            return _response(500, b"internal error\n", _PLAIN, close=request.close, head_only=head_only)

    def _gzipped(self, body: bytes) -> bytes:
        """``body`` gzipped, once per body object: a route that answers the same bytes until they change
        (the exporter's /metrics and page, rendered once per poll) costs one compression per change."""
        cached = self._gzip_cache
        if cached is not None and cached[0] is body:
            return cached[1]
        import gzip

        packed = gzip.compress(body, compresslevel=6, mtime=0)
        self._gzip_cache = (body, packed)
        self._gzip_count += 1
        return packed

    async def _finish(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, linger: bool = False
    ) -> None:
        """Close a connection once the client took what was written, within ``write_timeout``, else abort it.

        With ``linger``, the write side is shut first and what the client still sends is read and dropped for a
        moment, so that closing does not reset the connection before the client has read the error response.
        """
        transport = writer.transport
        try:
            if transport.get_write_buffer_size():
                transport.set_write_buffer_limits(high=0)  # drain() now waits for an empty buffer
                async with asyncio.timeout(self._limits.write_timeout):
                    await writer.drain()
            if linger:
                transport.write_eof()
                dropped = 0
                async with asyncio.timeout(min(_LINGER_SECONDS, self._limits.head_timeout)):
                    while dropped < _LINGER_BYTES and (chunk := await reader.read(_READ_SIZE)):
                        dropped += len(chunk)
        except (TimeoutError, OSError):
            abort(transport)
            return
        transport.close()

    def _client_error(self, ip: str, reason: str) -> None:
        """Log a client's mistake, unless one from the same address was logged within the last minute."""
        self._warn(ip, f"HTTP client {ip}: {reason}")

    def _warn(self, key: str, message: str) -> None:
        """Log ``message`` as a warning, unless one under the same key was logged within the last minute."""
        count = self._throttle.allow(key)
        if count is not None:
            self._logger.warning("%s%s", message, held_back(count, _CLIENT_LOG_WINDOW))
