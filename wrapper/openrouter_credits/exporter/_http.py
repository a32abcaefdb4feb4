"""A small HTTP/1.1 server side, enough for Prometheus scrapes: GET and HEAD, keep-alive, no bodies.

The exporter serves two short texts; a web framework (or uvicorn, which the mock uses) would be a
run-time dependency for that, so the standard library's asyncio streams do it here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

__all__ = ["MAX_REQUEST_BYTES", "serve_connection"]

#: A request head (or a body, which nothing here reads) larger than this is refused.
MAX_REQUEST_BYTES = 16384
#: How long a kept-alive connection may stay silent.
IDLE_TIMEOUT = 30.0
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}

Route = Callable[[str, str], tuple[int, bytes, str]]


async def _send(writer: asyncio.StreamWriter, status: int, body: bytes, kind: str, close: bool, length: int) -> None:
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: {kind}\r\nContent-Length: {length}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


async def serve_connection(route: Route, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the requests of one connection with ``route(method, path)`` until it closes."""
    plain = "text/plain; charset=utf-8"
    try:
        while not reader.at_eof():
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=IDLE_TIMEOUT)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            fields = (line.partition(":") for line in lines[1:] if line)
            headers = {name.strip().lower(): value.strip() for name, _, value in fields}
            length = headers.get("content-length", "0")
            if len(parts) != 3 or "transfer-encoding" in headers or not length.isdigit():
                await _send(writer, 400, b"bad request\n", plain, True, len(b"bad request\n"))
                return
            if int(length) > MAX_REQUEST_BYTES:
                await _send(writer, 400, b"request body too large\n", plain, True, len(b"request body too large\n"))
                return
            await reader.readexactly(int(length))  # a body no route here reads
            method, target, version = parts
            close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
            status, body, kind = route(method, target.split("?", 1)[0])
            await _send(writer, status, b"" if method == "HEAD" else body, kind, close, len(body))
            if close:
                return
    except (ConnectionError, OSError):
        return
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


class HTTPServer:
    """Interim: the old server behind the new interface."""

    def __init__(self, route: Route, *, logger: object = None) -> None:
        self.route = route
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        import functools

        def routed(method: str, path: str) -> tuple[int, bytes, str]:
            if method not in ("GET", "HEAD"):
                return 405, b"only GET\n", "text/plain; charset=utf-8"
            return self.route(method, path)

        self._server = await asyncio.start_server(
            functools.partial(serve_connection, routed), host, port, limit=MAX_REQUEST_BYTES
        )
        bound = self._server.sockets[0].getsockname()
        return bound[0], bound[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), timeout=1)
