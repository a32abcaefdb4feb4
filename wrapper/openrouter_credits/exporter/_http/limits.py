"""The bounds the HTTP side holds every connection to, each declared once, with its default and its meaning.

``serve`` sets ``max_connections`` (``--max-connections``); the others bound what a slow, silent or
hostile client can cost, and no well-behaved client comes near them.
"""

from __future__ import annotations

from typing import Any

import attrs

from ... import _defaults

__all__ = ["Limits"]


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    """Refuse a bound that is not positive (NaN included)."""
    if not value > 0:
        raise ValueError(f"Limits.{attribute.name} must be positive, not {value!r}")


@attrs.frozen
class Limits:
    """The bounds a server holds every connection to; ``Limits()`` is the defaults, ``Limits(head_timeout=5)`` one
    changed. Timeouts are in seconds, sizes in bytes; each must be positive."""

    #: Open connections beyond which a new one gets a 503 and is closed without being read (lowered at start if the
    #: open-files limit is too low to reach it).
    max_connections: int = attrs.field(default=_defaults.SERVE_MAX_CONNECTIONS, validator=_positive)
    #: Within this, a whole request head must arrive (from its first byte, or from the connect); else an abort.
    head_timeout: float = attrs.field(default=10.0, validator=_positive)
    #: Within this, a declared request body must arrive; else an abort.
    body_timeout: float = attrs.field(default=10.0, validator=_positive)
    #: A kept-alive connection silent for this long after a response is closed.
    idle_timeout: float = attrs.field(default=15.0, validator=_positive)
    #: Within this, the client must take a response (each time the write buffer is over ``send_buffer_bytes``, and
    #: the last one before a close); else an abort with a reset.
    write_timeout: float = attrs.field(default=10.0, validator=_positive)
    #: A request head (request line and headers) larger than this gets a 431, or a 414 when its request line is.
    max_head_bytes: int = attrs.field(default=16384, validator=_positive)
    #: A request-target longer than this gets a 414.
    max_target_bytes: int = attrs.field(default=4096, validator=_positive)
    #: A declared body larger than this gets a 413 (bodies are read and dropped: no route takes one).
    max_body_bytes: int = attrs.field(default=16384, validator=_positive)
    #: The kernel send buffer of each connection (which Linux counts twice), and the high-water mark of its
    #: transport's write buffer: a client that does not read holds at most this plus one response in the process.
    send_buffer_bytes: int = attrs.field(default=65536, validator=_positive)
