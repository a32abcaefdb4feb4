"""HTTP/1.1 requests read from bytes, without I/O (as h11 keeps its parser apart from sockets).

Bytes go in (:meth:`RequestBuffer.feed`); out come the :class:`Request` each complete head makes, or the
:class:`Refusal` it earns, and nothing else is ever raised. A refusal carries the status to answer with
(400, 413, 414 or 431), the body of that answer and a reason to log; the connection is closed after it.

Refused, with a 400: a request line not of three parts separated by single spaces, a version other than
``HTTP/1.1`` or ``HTTP/1.0``, a method that is not a token, a request-target with bytes outside ``!``
to ``~``, a bare LF or CR anywhere in the head, a header line without a colon or with a name that is not
a token (so no folded lines), a Content-Length other than ASCII digits or given twice with different
values, and any Transfer-Encoding (no route takes a body: it would only be a way to smuggle one).
"""

from __future__ import annotations

import re
import sys

import attrs

from .limits import Limits

__all__ = ["Refusal", "Request", "RequestBuffer", "accepts_gzip", "parse_head"]

_VERSIONS = (b"HTTP/1.1", b"HTTP/1.0")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
#: Content-Length values longer than this many digits are read as "too large" without int(), which
#: refuses over 4,300 digits and takes quadratic time below that.
_MAX_LENGTH_DIGITS = 18


class Refusal(Exception):
    """A request the client got wrong: answered with ``status`` and ``body``, logged with ``reason``."""

    def __init__(self, status: int, reason: str, body: bytes) -> None:
        """Keep the status and body to answer with and the reason to log."""
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.body = body


def _bad(reason: str) -> Refusal:
    """Return the 400 for a malformed request."""
    return Refusal(400, f"bad request ({reason})", b"bad request\n")


def _target_too_long(reason: str) -> Refusal:
    """Return the 414 for a request-target (or a request line) over its limit."""
    return Refusal(414, reason, b"request-target too long\n")


@attrs.frozen
class Request:
    """The parts of a request head the server acts on."""

    #: The method, as sent (any token: the server answers those other than GET and HEAD with 405).
    method: str
    #: The request-target without its query.
    path: str
    #: Whether the connection closes after the response (HTTP/1.0, or ``Connection: close``).
    close: bool
    #: The length of the body that follows the head (read and dropped), 0 without Content-Length.
    length: int
    #: Whether the client takes a gzipped response (Accept-Encoding names gzip with a weight above 0).
    gzip: bool = False


def parse_head(head: bytes, limits: Limits) -> Request:
    """Return the request a complete head (without its blank line) makes, or raise the :class:`Refusal` it earns."""
    lines = head.split(b"\r\n")
    if head.count(b"\n") != len(lines) - 1 or head.count(b"\r") != len(lines) - 1:
        raise _bad("bare LF or CR in the head")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        raise _bad("request line not of three parts")
    method, target, version = parts
    if len(target) > limits.max_target_bytes:
        raise _target_too_long(f"request-target of {len(target)} bytes")
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
            size = int(value) if len(value) <= _MAX_LENGTH_DIGITS else sys.maxsize
            if length is not None and size != length:
                raise _bad("conflicting Content-Length")
            length = size
        elif name == b"transfer-encoding":
            raise _bad("Transfer-Encoding")
        elif name == b"connection" and b"close" in (token.strip(b" \t").lower() for token in value.split(b",")):
            close = True
        elif name == b"accept-encoding":
            gzip = gzip or any(accepts_gzip(token) for token in value.split(b","))
    if length is not None and length > limits.max_body_bytes:
        raise Refusal(413, f"body of {length} bytes", b"request body too large\n")
    path = target.decode("ascii").partition("?")[0]
    return Request(method.decode("ascii"), path, close, length or 0, gzip)


def accepts_gzip(token: bytes) -> bool:
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


def _overflow(buf: bytearray, limits: Limits) -> Refusal:
    """Return the refusal of a head that outgrew ``max_head_bytes``: 414 if its request line is to blame, else 431."""
    line_end = buf.find(b"\r\n", 0, limits.max_head_bytes)
    if line_end < 0:
        return _target_too_long("request line over the head limit")
    parts = bytes(buf[:line_end]).split(b" ")
    if len(parts) == 3 and len(parts[1]) > limits.max_target_bytes:
        return _target_too_long(f"request-target of {len(parts[1])} bytes")
    return Refusal(431, f"head over {limits.max_head_bytes} bytes", b"request head too large\n")


class RequestBuffer:
    """What a client has sent and the server has not used yet: bytes are fed in, requests and bodies taken out.

    A head is scanned where the last look stopped, so one dribbled a byte at a time costs linear time, not
    quadratic.
    """

    def __init__(self, limits: Limits) -> None:
        """Start empty, holding heads to ``limits``."""
        self._limits = limits
        self._buf = bytearray()
        # How much of the buffer's front has been scanned for the end of a head and for bare LFs.
        self._scanned = 0

    def __len__(self) -> int:
        """Return how many bytes are held, not yet taken as a head or dropped as a body."""
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        """Add bytes received from the client."""
        self._buf += data

    def next_request(self) -> Request | None:
        """Take the next complete head off the front and return its request; None until more bytes are fed.

        Raises the :class:`Refusal` the head earns, as soon as the bytes held show it (a bare LF, a head over
        ``max_head_bytes``) or once the head is complete. Blank lines before a request line are skipped.
        """
        buf, limits = self._buf, self._limits
        while buf[:2] == b"\r\n":
            del buf[:2]
            self._scanned = 0
        scanned = self._scanned
        end = buf.find(b"\r\n\r\n", max(scanned - 3, 0))
        if end >= 0:
            if end + 4 > limits.max_head_bytes:
                raise _overflow(buf, limits)
            head = bytes(buf[:end])
            del buf[: end + 4]
            self._scanned = 0
            return parse_head(head, limits)
        if buf.count(b"\n", scanned) != buf.count(b"\r\n", max(scanned - 1, 0)):
            raise _bad("bare LF in the head")
        if len(buf) >= limits.max_head_bytes:
            raise _overflow(buf, limits)
        self._scanned = len(buf)
        return None

    def drop(self, length: int) -> int:
        """Drop up to ``length`` bytes of a body off the front; return how many of them are still to come."""
        taken = min(length, len(self._buf))
        del self._buf[:taken]
        self._scanned = 0
        return length - taken
