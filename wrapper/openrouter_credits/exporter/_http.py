"""A small HTTP/1.1 server side on asyncio streams that serves a few short texts and holds up under abuse.

It answers GET and HEAD with a synchronous route function (keep-alive, pipelining, HTTP/1.0) and guarantees, for
every connection, whatever the client does:

* no wait on a client is unbounded: the request head, a declared body, the silence between kept-alive requests and
  the taking of each response all have a deadline (:class:`Limits`); past it, the connection is aborted;
* memory is bounded: a head, a request-target and a body each have a cap (431, 414, 413), a body is discarded as it
  arrives, and a client that does not read holds a kernel send buffer of ``send_buffer_bytes`` (which Linux counts
  twice) and at most that plus one response in the process, until its write deadline aborts it with a reset;
* the connection count is bounded: past ``max_connections`` (lowered at start if the open-files limit is too low to
  reach it), a new connection gets a 503 and is closed without being read;
* a malformed or ambiguous request (bad request line, unknown version, bare LF, header line without a colon,
  Content-Length other than ASCII digits or given twice differently, any Transfer-Encoding) gets a 400 and the
  connection is closed;
* a client's mistakes and timeouts are logged as one warning line, at most once per address per minute; a route
  that raises is logged with its traceback and answered with a 500, and the connection goes on;
* :meth:`HTTPServer.close` returns within about a second, however many clients are stalled.

Why not uvicorn, which the mock uses: it would become a run-time dependency of ``serve`` for two
short texts, and it still has no timeout on a request body, none on a client that does not read, and
no 414 or 431; each would need code around it anyway. The standard library's asyncio does it here.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import errno
import logging
import os
import re
import socket
import struct
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

if sys.platform != "win32":
    import resource

__all__ = [
    "BODY_TIMEOUT",
    "DEFAULT_LIMITS",
    "GZIP_MIN_BYTES",
    "HEAD_TIMEOUT",
    "IDLE_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "MAX_HEAD_BYTES",
    "MAX_TARGET_BYTES",
    "SEND_BUFFER_BYTES",
    "WRITE_TIMEOUT",
    "HTTPServer",
    "Limits",
    "Response",
    "Route",
    "quiet_loop_errors",
    "raise_open_files_limit",
]

Response = tuple[int, bytes, str]
"""What a route returns: the status, the body and its content type."""
Route = Callable[[str, str], Response]
"""``route(method, path)``, the path without its query; only GET and HEAD reach it."""

#: Open connections beyond which a new one gets a 503 and is closed at once.
MAX_CONNECTIONS = 1024
#: Seconds within which a whole request head must arrive (from its first byte, or from the connect).
HEAD_TIMEOUT = 10.0
#: Seconds within which a declared request body must arrive.
BODY_TIMEOUT = 10.0
#: Seconds a kept-alive connection may stay silent.
IDLE_TIMEOUT = 15.0
#: Seconds within which the client must take a response.
WRITE_TIMEOUT = 10.0
#: A request head larger than this gets a 431.
MAX_HEAD_BYTES = 16384
#: A request-target longer than this gets a 414.
MAX_TARGET_BYTES = 4096
#: A declared body larger than this gets a 413.
MAX_BODY_BYTES = 16384
#: The kernel send buffer of each connection, and the high-water mark of its transport's write buffer.
SEND_BUFFER_BYTES = 65536
#: Bodies from this size on go gzipped to a client that accepts it (Prometheus does): a discovering
#: key's /metrics of 1,000 keys is 461 KiB as text, about a tenth of that gzipped.
GZIP_MIN_BYTES = 4096

_LOGGER = logging.getLogger(__name__)
_PLAIN = "text/plain; charset=utf-8"
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_VERSIONS = (b"HTTP/1.1", b"HTTP/1.0")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
#: Bytes asked of the stream per read.
_READ_SIZE = 16384
#: The listen backlog, which is also how many connections asyncio may accept in one go.
_BACKLOG = 128
#: File descriptors kept free below the open-files limit, so a burst of accepts is answered rather than refused.
_FD_RESERVE = 2 * _BACKLOG
#: How long, and how much, is read and discarded after an error response before the connection is closed.
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 65536
#: A client's mistakes are logged at most once per this many seconds per address, for this many addresses.
_CLIENT_LOG_WINDOW = 60.0
_CLIENT_LOG_ADDRESSES = 1024
#: SO_LINGER on with a zero timeout: closing the socket resets it and frees its send queue at once.
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ECONNREFUSED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """The bounds a server holds every connection to; see the module constants for what each one means."""

    max_connections: int = MAX_CONNECTIONS
    head_timeout: float = HEAD_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    write_timeout: float = WRITE_TIMEOUT
    max_head_bytes: int = MAX_HEAD_BYTES
    max_target_bytes: int = MAX_TARGET_BYTES
    max_body_bytes: int = MAX_BODY_BYTES
    send_buffer_bytes: int = SEND_BUFFER_BYTES

    def __post_init__(self) -> None:
        """Refuse a bound that is not positive."""
        for field in dataclasses.fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"Limits.{field.name} must be positive, not {getattr(self, field.name)!r}")


#: The limits a server holds to unless given others.
DEFAULT_LIMITS = Limits()


class _Reject(Exception):
    """A request the client got wrong: answered with ``status`` and ``body``, logged with ``reason``."""

    def __init__(self, status: int, reason: str, body: bytes) -> None:
        """Keep the status and body to answer with and the reason to log."""
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.body = body


def _bad(reason: str) -> _Reject:
    """Return the 400 for a malformed request."""
    return _Reject(400, f"bad request ({reason})", b"bad request\n")


@dataclasses.dataclass(frozen=True, slots=True)
class _Request:
    """The parts of a request head the server acts on."""

    method: str
    path: str
    close: bool
    length: int
    gzip: bool = False


class _Throttle:
    """Lets one event per key through per window, remembering a bounded number of keys."""

    def __init__(self, every: float, clock: Callable[[], float], capacity: int) -> None:
        """Let one event per key through every ``every`` seconds of ``clock``, for at most ``capacity`` keys."""
        self._every = every
        self._clock = clock
        self._capacity = capacity
        # key -> (when it was last let through, events held back since); oldest first.
        self._seen: collections.OrderedDict[str, tuple[float, int]] = collections.OrderedDict()

    def allow(self, key: str) -> int | None:
        """Return None to hold the event back, or how many were held back for this key before it."""
        now = self._clock()
        while self._seen:  # entries past two windows are forgotten, held-back count and all
            first = next(iter(self._seen.values()))
            if now - first[0] < 2 * self._every:
                break
            self._seen.popitem(last=False)
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self._every:
            self._seen[key] = (entry[0], entry[1] + 1)
            return None
        if entry is not None:
            del self._seen[key]
        elif len(self._seen) >= self._capacity:
            return None
        self._seen[key] = (now, 0)
        return entry[1] if entry is not None else 0


def _held_back(count: int, every: float) -> str:
    """Return the note that ends a log line after ``count`` similar ones were held back."""
    return f" ({count} more like it in the last {every:g} s not logged)" if count else ""


def _response(status: int, body: bytes, kind: str, *, close: bool, head_only: bool = False, extra: str = "") -> bytes:
    """Return a whole response: its status line, headers and (unless ``head_only``) body."""
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n"
        f"Cache-Control: no-store\r\n{extra}\r\n"
    ).encode("latin-1")
    return head if head_only else head + body


def _abort(transport: asyncio.WriteTransport) -> None:
    """Drop a connection now, with a reset, so that neither the process nor the kernel keeps its unsent bytes."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
    transport.abort()


def _connection_room(wanted: int) -> int:
    """Return ``wanted``, lowered if needed to leave some file descriptors free below the open-files limit."""
    if sys.platform == "win32":
        return wanted
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return wanted
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return wanted
    return max(1, min(wanted, soft - min(_FD_RESERVE, soft // 2)))


def _parse_head(head: bytes, limits: Limits) -> _Request:
    """Return the request a complete head (without its blank line) makes, or raise the :class:`_Reject` it earns."""
    lines = head.split(b"\r\n")
    if head.count(b"\n") != len(lines) - 1 or head.count(b"\r") != len(lines) - 1:
        raise _bad("bare LF or CR in the head")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        raise _bad("request line not of three parts")
    method, target, version = parts
    if len(target) > limits.max_target_bytes:
        raise _Reject(414, f"request-target of {len(target)} bytes", b"request-target too long\n")
    if version not in _VERSIONS:
        raise _bad("unknown HTTP version")
    if not _TOKEN.fullmatch(method) or not _TARGET.fullmatch(target):
        raise _bad("malformed method or request-target")
    close = version == b"HTTP/1.0"
    length: int | None = None
    gzip = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise _bad("malformed header line")
        name = name.lower()
        if name == b"content-length":
            value = value.strip(b" \t")
            if not value.isdigit():  # bytes.isdigit() is ASCII only: no "-1", "+1", "١٢" or "²"
                raise _bad("Content-Length not ASCII digits")
            size = int(value) if len(value) <= 18 else sys.maxsize  # int() refuses over 4300 digits
            if length is not None and size != length:
                raise _bad("conflicting Content-Length")
            length = size
        elif name == b"transfer-encoding":
            raise _bad("Transfer-Encoding")
        elif name == b"connection" and b"close" in (token.strip(b" \t").lower() for token in value.split(b",")):
            close = True
        elif name == b"accept-encoding":
            gzip = gzip or any(_accepts_gzip(token) for token in value.split(b","))
    if length is not None and length > limits.max_body_bytes:
        raise _Reject(413, f"body of {length} bytes", b"request body too large\n")
    path = target.decode("ascii").partition("?")[0]
    return _Request(method.decode("ascii"), path, close, length or 0, gzip)


def _accepts_gzip(token: bytes) -> bool:
    """Whether one Accept-Encoding entry takes gzip (``gzip``, ``gzip;q=0.5``; not ``gzip;q=0``)."""
    coding, *params = token.lower().split(b";")
    weight = 1.0
    for param in params:
        name, _, value = param.partition(b"=")
        if name.strip() == b"q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
    return coding.strip() == b"gzip" and weight > 0


def _overflow(buf: bytearray, limits: Limits) -> _Reject:
    """Return the refusal of a head that outgrew ``max_head_bytes``: 414 if its request line is to blame, else 431."""
    line_end = buf.find(b"\r\n", 0, limits.max_head_bytes)
    if line_end < 0:
        return _Reject(414, "request line over the head limit", b"request-target too long\n")
    parts = bytes(buf[:line_end]).split(b" ")
    if len(parts) == 3 and len(parts[1]) > limits.max_target_bytes:
        return _Reject(414, f"request-target of {len(parts[1])} bytes", b"request-target too long\n")
    return _Reject(431, f"head over {limits.max_head_bytes} bytes", b"request head too large\n")


class HTTPServer:
    """Serves ``route`` over HTTP/1.1 on one listening address, holding every connection to ``limits``."""

    def __init__(
        self,
        route: Route,
        *,
        limits: Limits = DEFAULT_LIMITS,
        logger: logging.Logger = _LOGGER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Prepare a server; ``clock`` times the once-a-minute logging of client errors, not the timeouts."""
        self._route = route
        self._gzip_cache: tuple[bytes, bytes] | None = None
        self._limits = limits
        self._logger = logger
        self._throttle = _Throttle(_CLIENT_LOG_WINDOW, clock, _CLIENT_LOG_ADDRESSES)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.WriteTransport, asyncio.Task[Any]] = {}
        self._max_connections = limits.max_connections
        self._closing = False
        self._busy = _response(503, b"too many connections\n", _PLAIN, close=True, extra="Retry-After: 1\r\n")

    @property
    def connections(self) -> int:
        """Return how many connections are open and being served."""
        return len(self._connections)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on ``host:port`` (port 0 picks a free one) and return the address bound."""
        if self._server is not None or self._closing:
            raise RuntimeError("this server was already started")
        room = _connection_room(self._limits.max_connections)
        if room < self._limits.max_connections:
            self._logger.warning(
                "the open-files limit leaves room for %d connections: max_connections lowered from %d",
                room,
                self._limits.max_connections,
            )
        self._max_connections = room
        self._server = await asyncio.start_server(
            self._serve, host, port, limit=self._limits.max_head_bytes, backlog=_BACKLOG
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
            _abort(transport)
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
            _abort(transport)
            return
        if len(self._connections) >= self._max_connections:
            self._warn("", f"HTTP connection limit of {self._max_connections} reached: new connections get 503")
            writer.write(self._busy)  # a fresh socket takes these few bytes at once
            if transport.get_write_buffer_size():
                _abort(transport)
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
            _abort(transport)
            raise
        except OSError:  # reset, broken pipe: the client went away
            _abort(transport)
        except Exception:
            self._logger.exception("HTTP connection handler failed")
            _abort(transport)
        finally:
            self._connections.pop(transport, None)
            if not transport.is_closing():
                _abort(transport)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ip: str) -> None:
        """Answer the requests of one connection in order until it ends, one way or another."""
        limits = self._limits
        transport = writer.transport
        loop = asyncio.get_running_loop()
        buf = bytearray()
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
                    buf += chunk
                deadline = loop.time() + limits.head_timeout
            try:
                request = await self._read_head(reader, buf, deadline)
            except TimeoutError:
                self._client_error(ip, f"request head not received within {limits.head_timeout:g} s")
                _abort(transport)
                return
            except _Reject as reject:
                self._client_error(ip, f"{reject.status} {reject.reason}")
                writer.write(_response(reject.status, reject.body, _PLAIN, close=True))
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
                    _abort(transport)
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
                    _abort(transport)
                    return
            served = True
            if buf:  # pipelined requests: let other connections have a turn between two responses
                await asyncio.sleep(0)

    async def _read_head(self, reader: asyncio.StreamReader, buf: bytearray, deadline: float) -> _Request | None:
        """Take the next request head off ``buf``, reading more until ``deadline``; None if the client went away."""
        limits = self._limits
        scanned = 0
        while True:
            while buf[:2] == b"\r\n":  # blank lines before a request line are allowed
                del buf[:2]
                scanned = 0
            end = buf.find(b"\r\n\r\n", max(scanned - 3, 0))
            if end >= 0:
                if end + 4 > limits.max_head_bytes:
                    raise _overflow(buf, limits)
                head = bytes(buf[:end])
                del buf[: end + 4]
                return _parse_head(head, limits)
            if buf.count(b"\n", scanned) != buf.count(b"\r\n", max(scanned - 1, 0)):
                raise _bad("bare LF in the head")
            if len(buf) >= limits.max_head_bytes:
                raise _overflow(buf, limits)
            scanned = len(buf)
            async with asyncio.timeout_at(deadline):
                chunk = await reader.read(_READ_SIZE)
            if not chunk:
                return None
            buf += chunk

    async def _discard_body(self, reader: asyncio.StreamReader, buf: bytearray, length: int) -> bool:
        """Read and drop a body of ``length`` bytes within ``body_timeout``; False if the client went away."""
        taken = min(length, len(buf))
        del buf[:taken]
        remaining = length - taken
        if remaining:
            async with asyncio.timeout(self._limits.body_timeout):
                while remaining:
                    chunk = await reader.read(min(remaining, _READ_SIZE))
                    if not chunk:
                        return False
                    remaining -= len(chunk)
        return True

    def _respond(self, request: _Request) -> bytes:
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
            _abort(transport)
            return
        transport.close()

    def _client_error(self, ip: str, reason: str) -> None:
        """Log a client's mistake, unless one from the same address was logged within the last minute."""
        self._warn(ip, f"HTTP client {ip}: {reason}")

    def _warn(self, key: str, message: str) -> None:
        """Log ``message`` as a warning, unless one under the same key was logged within the last minute."""
        held_back = self._throttle.allow(key)
        if held_back is not None:
            self._logger.warning("%s%s", message, _held_back(held_back, _CLIENT_LOG_WINDOW))


def raise_open_files_limit(wanted: int = 65536) -> tuple[int, int]:
    """Raise the soft open-files limit toward ``min(wanted, hard)`` and return the (soft, hard) limits; never raise."""
    if sys.platform == "win32":
        return (-1, -1)
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            with contextlib.suppress(OSError, ValueError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return (-1, -1)
    return (soft, hard)


def _quiet_kind(exception: object) -> str | None:
    """Return the kind of an accept() or connection-level error (its errno name), or None for anything else."""
    if not isinstance(exception, OSError):
        return None
    code = exception.errno
    if code is not None and (code in _RESOURCE_ERRNOS or code in _CONNECTION_ERRNOS):
        return f"{errno.errorcode.get(code, str(code))} ({os.strerror(code)})"
    if isinstance(exception, ConnectionError):
        return type(exception).__name__
    return None


def quiet_loop_errors(
    loop: asyncio.AbstractEventLoop,
    logger: logging.Logger,
    *,
    every: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Log accept() and connection-level loop errors as one line per kind per ``every`` seconds, without traceback.

    Anything else goes to the loop's default exception handler.
    """
    throttle = _Throttle(every, clock, capacity=64)

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        kind = _quiet_kind(context.get("exception"))
        if kind is None:
            loop.default_exception_handler(context)
            return
        held_back = throttle.allow(kind)
        if held_back is not None:
            message = context.get("message") or "event loop error"
            logger.warning("%s: %s%s", message, kind, _held_back(held_back, every))

    loop.set_exception_handler(handle)
