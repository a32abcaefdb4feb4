"""What the HTTP side asks of the operating system, and how it keeps its log readable under load.

- the open-files limit: :func:`raise_open_files_limit` at start, :func:`connection_room` to fit the
  connection cap below it;
- a connection dropped at once with a reset, its unsent bytes freed in the process and the kernel (:func:`abort`);
- accept() and connection-level errors of the event loop as one line per kind per minute
  (:func:`quiet_loop_errors`), and any event as one line per key per window (:class:`Throttle`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
import os
import socket
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

if sys.platform != "win32":
    import resource

__all__ = [
    "BACKLOG",
    "Throttle",
    "abort",
    "connection_room",
    "held_back",
    "quiet_loop_errors",
    "raise_open_files_limit",
]

#: The listen backlog, which is also how many connections asyncio may accept in one go.
BACKLOG = 128
#: File descriptors kept free below the open-files limit, so a burst of accepts is answered rather than refused.
_FD_RESERVE = 2 * BACKLOG
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


class Throttle:
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


def held_back(count: int, every: float) -> str:
    """Return the note that ends a log line after ``count`` similar ones were held back."""
    return f" ({count} more like it in the last {every:g} s not logged)" if count else ""


def abort(transport: asyncio.WriteTransport) -> None:
    """Drop a connection now, with a reset, so that neither the process nor the kernel keeps its unsent bytes."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
    transport.abort()


def connection_room(wanted: int) -> int:
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
    throttle = Throttle(every, clock, capacity=64)

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        kind = _quiet_kind(context.get("exception"))
        if kind is None:
            loop.default_exception_handler(context)
            return
        count = throttle.allow(kind)
        if count is not None:
            message = context.get("message") or "event loop error"
            logger.warning("%s: %s%s", message, kind, held_back(count, every))

    loop.set_exception_handler(handle)
