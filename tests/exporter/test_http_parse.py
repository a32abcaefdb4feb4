"""Tests of the HTTP side's request parsing as pure functions: bytes in, requests or a refusal out."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openrouter_credits.exporter._http import Limits
from openrouter_credits.exporter._http.parse import Refusal, Request, RequestBuffer, accepts_gzip, parse_head

SMALL = Limits(max_head_bytes=256, max_target_bytes=64, max_body_bytes=100)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refusal_of(head: bytes, limits: Limits = SMALL) -> tuple[int, str]:
    """Return the status and reason ``parse_head`` refuses ``head`` with."""
    with pytest.raises(Refusal) as caught:
        parse_head(head, limits)
    return caught.value.status, caught.value.reason


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(b"GET / HTTP/1.1", Request("GET", "/", False, 0), id="minimal"),
        pytest.param(b"HEAD /metrics?x=1&y HTTP/1.1", Request("HEAD", "/metrics", False, 0), id="query-dropped"),
        pytest.param(b"GET / HTTP/1.0", Request("GET", "/", True, 0), id="http10-closes"),
        pytest.param(b"GET / HTTP/1.1\r\nConnection: x, Close", Request("GET", "/", True, 0), id="close-token"),
        pytest.param(b"GET / HTTP/1.1\r\nConnection: keep-alive", Request("GET", "/", False, 0), id="keep-alive"),
        pytest.param(b"GET / HTTP/1.1\r\nConnection: closed", Request("GET", "/", False, 0), id="not-close"),
        pytest.param(b"POST /x HTTP/1.1\r\nContent-Length: 5", Request("POST", "/x", False, 5), id="length"),
        pytest.param(b"GET / HTTP/1.1\r\ncontent-length:\t 007 ", Request("GET", "/", False, 7), id="length-ows"),
        pytest.param(
            b"GET / HTTP/1.1\r\nContent-Length: 2\r\nCONTENT-LENGTH: 02", Request("GET", "/", False, 2), id="same-twice"
        ),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: 100", Request("GET", "/", False, 100), id="length-at-cap"),
        pytest.param(b"GET / HTTP/1.1\r\nAccept-Encoding: gzip", Request("GET", "/", False, 0, True), id="gzip"),
        pytest.param(
            b"GET / HTTP/1.1\r\nAccept-Encoding: br\r\nAccept-Encoding: GZip;q=0.1",
            Request("GET", "/", False, 0, True),
            id="gzip-second-header",
        ),
        pytest.param(
            b"GET / HTTP/1.1\r\nAccept-Encoding: gzip;q=0", Request("GET", "/", False, 0, False), id="gzip-refused"
        ),
        pytest.param(b"GET / HTTP/1.1\r\nX-Empty:", Request("GET", "/", False, 0), id="empty-value"),
        pytest.param(b"M-SEARCH * HTTP/1.1", Request("M-SEARCH", "*", False, 0), id="any-token-method"),
        pytest.param(b"GET /" + b"a" * 63 + b" HTTP/1.1", Request("GET", "/" + "a" * 63, False, 0), id="target-at-cap"),
    ],
)
def test_parse_head_reads_a_well_formed_head(head: bytes, expected: Request) -> None:
    """A well-formed head gives the method, the path without its query, close, the body length and gzip."""
    assert parse_head(head, SMALL) == expected


@pytest.mark.parametrize(
    ("head", "status", "reason"),
    [
        pytest.param(b"GET /", 400, "request line not of three parts", id="two-parts"),
        pytest.param(b"GET / HTTP/1.1 x", 400, "request line not of three parts", id="four-parts"),
        pytest.param(b"GET  / HTTP/1.1", 400, "request line not of three parts", id="double-space"),
        pytest.param(b"", 400, "request line not of three parts", id="empty"),
        pytest.param(b"GET / HTTP/2.0", 400, "unknown HTTP version", id="http2"),
        pytest.param(b"GET / http/1.1", 400, "unknown HTTP version", id="lower-case-version"),
        pytest.param(b"G(T / HTTP/1.1", 400, "malformed method", id="method-not-token"),
        pytest.param(b"GET /\x7f HTTP/1.1", 400, "malformed method or request-target", id="target-del"),
        pytest.param("GET /é HTTP/1.1".encode(), 400, "malformed method or request-target", id="target-non-ascii"),
        pytest.param(b"GET / HTTP/1.1\nHost: t", 400, "bare LF or CR", id="bare-lf"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\rb", 400, "bare LF or CR", id="bare-cr"),
        pytest.param(b"GET / HTTP/1.1\r\nHost t", 400, "malformed header line", id="no-colon"),
        pytest.param(b"GET / HTTP/1.1\r\n Host: t", 400, "malformed header line", id="folded"),
        pytest.param(b"GET / HTTP/1.1\r\nHo st: t", 400, "malformed header line", id="space-in-name"),
        pytest.param(b"GET / HTTP/1.1\r\n: t", 400, "malformed header line", id="empty-name"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: -1", 400, "not ASCII digits", id="negative"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: +1", 400, "not ASCII digits", id="signed"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: 1, 1", 400, "not ASCII digits", id="list"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length:", 400, "not ASCII digits", id="empty-length"),
        pytest.param("GET / HTTP/1.1\r\nContent-Length: ١٢".encode(), 400, "not ASCII digits", id="arabic-indic"),
        pytest.param("GET / HTTP/1.1\r\nContent-Length: ²".encode(), 400, "not ASCII digits", id="superscript"),
        pytest.param(
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2", 400, "conflicting Content-Length", id="two"
        ),
        pytest.param(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked", 400, "Transfer-Encoding", id="chunked"),
        pytest.param(b"GET / HTTP/1.1\r\ntransfer-encoding: identity", 400, "Transfer-Encoding", id="identity"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: 101", 413, "body of 101 bytes", id="body-over-cap"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: " + b"9" * 19, 413, "body of ", id="19-digits"),
        pytest.param(b"GET / HTTP/1.1\r\nContent-Length: " + b"9" * 5000, 413, "body of ", id="5000-digits"),
        pytest.param(b"GET /" + b"a" * 64 + b" HTTP/1.1", 414, "request-target of 65 bytes", id="target-over-cap"),
        pytest.param(b"GET /" + b"a" * 64 + b" HTTP/2", 414, "request-target of 65 bytes", id="target-before-version"),
    ],
)
def test_parse_head_refuses_a_malformed_or_oversized_head(head: bytes, status: int, reason: str) -> None:
    """Each malformed or ambiguous head is refused with 400, a body over the cap 413, a long target 414."""
    got_status, got_reason = refusal_of(head)
    assert got_status == status
    assert reason in got_reason


@pytest.mark.parametrize(
    ("head", "status", "body"),
    [
        (b"BAD", 400, b"bad request\n"),
        (b"GET / HTTP/1.1\r\nContent-Length: 999", 413, b"request body too large\n"),
        (b"GET /" + b"a" * 99 + b" HTTP/1.1", 414, b"request-target too long\n"),
    ],
)
def test_a_refusal_carries_the_body_to_answer_with(head: bytes, status: int, body: bytes) -> None:
    """A refusal's body says what was wrong in a few words, and echoes nothing the client sent."""
    with pytest.raises(Refusal) as caught:
        parse_head(head, SMALL)
    assert (caught.value.status, caught.value.body) == (status, body)


@pytest.mark.parametrize(
    ("token", "takes"),
    [
        (b"gzip", True),
        (b" GZIP ", True),
        (b"gzip;q=0.5", True),
        (b"gzip; q=1", True),
        (b"gzip;level=1", True),
        (b"gzip;q=0", False),
        (b"gzip;q=0.000", False),
        (b"gzip;q=nan", False),
        (b"gzip;q=x", False),
        (b"gzip;q=", False),
        (b"x-gzip", False),
        (b"br", False),
        (b"*", False),
        (b"", False),
    ],
)
def test_accepts_gzip(token: bytes, takes: bool) -> None:
    """One Accept-Encoding entry takes gzip when it names gzip with a weight above 0."""
    assert accepts_gzip(token) is takes


def test_a_buffer_gives_nothing_until_a_head_is_complete_then_the_requests_in_order() -> None:
    """Bytes fed in pieces give None until a head is whole; pipelined heads come out one by one."""
    buffer = RequestBuffer(SMALL)
    assert buffer.next_request() is None
    for piece in (b"GET /a HTTP/1.1\r", b"\n", b"Host: t\r\n\r", b"\nGET /b HTTP/1.1\r\n\r\n", b"GET /c"):
        buffer.feed(piece)
    assert buffer.next_request() == Request("GET", "/a", False, 0)
    assert buffer.next_request() == Request("GET", "/b", False, 0)
    assert buffer.next_request() is None
    assert len(buffer) == len(b"GET /c")
    buffer.feed(b" HTTP/1.0\r\n\r\n")
    assert buffer.next_request() == Request("GET", "/c", True, 0)
    assert len(buffer) == 0


def test_a_buffer_skips_blank_lines_before_a_request_line() -> None:
    """CRLFs before a request line are skipped, fed at once or one byte at a time."""
    buffer = RequestBuffer(SMALL)
    for byte in b"\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n":
        buffer.feed(bytes([byte]))
        request = buffer.next_request()
    assert request == Request("GET", "/", False, 0)
    assert len(buffer) == 0


def test_a_buffer_drops_a_body_and_says_how_much_is_still_to_come() -> None:
    """drop() takes a body's bytes off the front, returning those still to be read; the next head follows."""
    buffer = RequestBuffer(SMALL)
    buffer.feed(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello")
    request = buffer.next_request()
    assert request is not None
    assert buffer.drop(request.length) == 5
    assert len(buffer) == 0
    buffer.feed(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /n HTTP/1.1\r\n\r\n")
    request = buffer.next_request()
    assert request is not None
    assert buffer.drop(request.length) == 0
    assert buffer.next_request() == Request("GET", "/n", False, 0)


@pytest.mark.parametrize(
    ("fed", "status"),
    [
        pytest.param(b"GET / HTTP/1.1\nHost", 400, id="bare-lf-before-the-head-ends"),
        pytest.param(b"\n", 400, id="bare-lf-first"),
        pytest.param(b"GET /" + b"a" * 300, 414, id="endless-request-line"),
        pytest.param(b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n" + b"x" * 200, 414, id="long-target-in-a-long-head"),
        pytest.param(b"GET / HTTP/1.1\r\n" + b"X-Pad: y\r\n" * 30, 431, id="endless-head"),
        pytest.param(b"GET / HTTP/1.1\r\n" + b"X-Pad: y\r\n" * 30 + b"\r\n", 431, id="whole-head-over-cap"),
    ],
)
def test_a_buffer_refuses_as_soon_as_the_bytes_show_it(fed: bytes, status: int) -> None:
    """A bare LF, or a head past max_head_bytes, is refused without waiting for the rest of the head."""
    buffer = RequestBuffer(SMALL)
    buffer.feed(fed)
    with pytest.raises(Refusal) as caught:
        buffer.next_request()
    assert caught.value.status == status


def test_a_head_exactly_at_the_cap_is_read() -> None:
    """A head whose blank line ends at max_head_bytes is read; one byte more is a 431."""
    line = b"GET / HTTP/1.1\r\nX: "
    pad = SMALL.max_head_bytes - len(line) - 4
    buffer = RequestBuffer(SMALL)
    buffer.feed(line + b"y" * pad + b"\r\n\r\n")
    assert buffer.next_request() == Request("GET", "/", False, 0)
    buffer.feed(line + b"y" * (pad + 1) + b"\r\n\r\n")
    with pytest.raises(Refusal) as caught:
        buffer.next_request()
    assert caught.value.status == 431


def outcomes(chunks: list[bytes], limits: Limits = SMALL) -> tuple[list[Request], int | None]:
    """Feed ``chunks`` as the server does (a declared body is dropped as it comes) and return the requests
    read and the status of the refusal that ended them, if any."""
    buffer = RequestBuffer(limits)
    requests: list[Request] = []
    owed = 0
    for chunk in chunks:
        taken = min(owed, len(chunk))
        owed -= taken
        buffer.feed(chunk[taken:])
        while not owed:
            try:
                request = buffer.next_request()
            except Refusal as refusal:
                return requests, refusal.status
            if request is None:
                break
            requests.append(request)
            owed = buffer.drop(request.length)
    return requests, None


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """Cut ``data`` at the given offsets (taken modulo its length, in order)."""
    points = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


REQUEST_PIECES = st.sampled_from(
    [
        b"GET / HTTP/1.1\r\n\r\n",
        b"HEAD /metrics?a=1 HTTP/1.0\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /g HTTP/1.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
        b"\r\n",
        b"\n",
        b"\r",
        b" ",
        b"Content-Length: 99999\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"X-Pad: " + b"y" * 100 + b"\r\n",
        b"GET /" + b"a" * 80 + b" HTTP/1.1\r\n\r\n",
        "é".encode(),
        b"\x00",
    ]
)
#: Bytes near HTTP: requests, pieces of them and stray bytes, as a client might send them.
NEAR_HTTP = st.lists(REQUEST_PIECES | st.binary(max_size=8), max_size=12).map(b"".join)


@PROPERTY_SETTINGS
@given(NEAR_HTTP | st.binary(max_size=600), st.lists(st.integers(0, 700), max_size=20))
@example(b"GET / HTTP/1.1\r\n\r", [17])
@example(b"GET / HTTP/1.1\r\nA: b\r\n\n", [23])
def test_any_bytes_in_any_pieces_give_requests_or_a_refusal_and_the_same_as_whole(data: bytes, cuts: list[int]) -> None:
    """Whatever the bytes and however they are split, the buffer raises nothing but a Refusal, and reads the
    same requests, and refuses or not, as when they come whole."""
    whole = outcomes([data])
    pieces = outcomes(split(data, cuts))
    assert pieces[0] == whole[0]
    assert (pieces[1] is None) == (whole[1] is None)
    assert pieces[1] in (None, 400, 413, 414, 431)


TOKENS = st.text(
    "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=8
)
PATHS = st.text("/abcxyz0123456789-._~!$&'()*+,;=:@%", min_size=1, max_size=40).map(lambda p: "/" + p)


@PROPERTY_SETTINGS
@given(
    TOKENS,
    PATHS,
    st.sampled_from(["HTTP/1.1", "HTTP/1.0"]),
    st.lists(st.tuples(TOKENS, st.text("abc ,;=0123456789", max_size=12)), max_size=4),
    st.none() | st.integers(0, 100),
    st.booleans(),
)
def test_a_well_formed_request_is_read_as_written(
    method: str, path: str, version: str, headers: list[tuple[str, str]], length: int | None, close: bool
) -> None:
    """A request written from parts is read back as those parts (the path without its query)."""
    special = {"content-length", "transfer-encoding", "connection", "accept-encoding"}
    lines = [f"{method} {path}?q=1 {version}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in special]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if close:
        lines.append("Connection: close")
    request = parse_head("\r\n".join(lines).encode(), SMALL)
    assert request == Request(method, path, close or version == "HTTP/1.0", length or 0, False)
