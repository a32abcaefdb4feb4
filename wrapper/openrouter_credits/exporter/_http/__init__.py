"""The exporter's HTTP side: a small HTTP/1.1 server that serves a few short texts and holds up under abuse.

Four modules, each readable alone:

- ``limits``: :class:`Limits`, every bound a connection is held to, each declared once with its default;
- ``parse``: requests read from bytes and refused with a status (400, 413, 414, 431), without I/O;
- ``server``: :class:`HTTPServer`, the asyncio side: reads, timeouts, the connection cap, responses;
- ``system``: what it asks of the operating system (the open-files limit, resets) and its log under load.

Why not a server library. uvicorn, which the mock uses, has no timeout on a request head, a body or a
client that does not read, and its ``limit_concurrency`` answers 503 only once a request is parsed, so
idle and stalled connections are never capped; hypercorn has read timeouts but no connection cap;
aiohttp.web has neither; granian has a header timeout, 414 and 431 and backpressure, but no write
timeout and no 503, and is a compiled package. Each would become a run-time dependency of ``serve``
for two short texts and still need code around it; asyncio's streams do it here in a few hundred lines.
"""

from .limits import Limits
from .server import GZIP_MIN_BYTES, HTTPServer, Response, Route
from .system import quiet_loop_errors, raise_open_files_limit

__all__ = [
    "GZIP_MIN_BYTES",
    "HTTPServer",
    "Limits",
    "Response",
    "Route",
    "quiet_loop_errors",
    "raise_open_files_limit",
]
