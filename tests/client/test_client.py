"""CreditsClient and AsyncCreditsClient against httpx.MockTransport: results, errors, retries, limits."""

from __future__ import annotations

import email.utils
import json
import logging
import math
import pickle
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import openrouter_credits
from helpers import KEY, Harness, ok
from openrouter_credits import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    Credits,
    CreditsClient,
    MalformedBudgetError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnexpectedStatusError,
)
from openrouter_credits._call import retry as _retry
from openrouter_credits_client.models import GetCreditsResponse200Data


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """A handler answering every request with ``code``, a JSON (or raw bytes) body and headers."""

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(code, content=body, headers=headers)
        return httpx.Response(code, json=body, headers=headers)

    return handler


def body(raw: bytes | str) -> Any:
    """A handler answering 200 with exactly these bytes as application/json."""
    content = raw.encode() if isinstance(raw, str) else raw
    return status(200, content, {"content-type": "application/json"})


def sequence(*handlers: Any) -> Any:
    """A handler that answers with each of ``handlers`` in turn, the last one from then on."""
    it: Iterator[Any] = iter(handlers)
    current: list[Any] = [handlers[0]]

    def handler(request: httpx.Request) -> httpx.Response:
        current[0] = next(it, current[0])
        return current[0](request)  # type: ignore[no-any-return]

    return handler


def fail(exc_type: type[httpx.HTTPError], message: str = "boom") -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type(message, request=request)  # type: ignore[call-arg]

    return handler


# --- results ----------------------------------------------------------------------------------


def test_documented_200(mode: str) -> None:
    """A 200 gives Credits with the numbers sent, and the request carries the bearer key."""
    h = Harness(mode, ok)
    assert h.call() == Credits(total_credits=25.0, total_usage=7.5)
    (request,) = h.requests
    assert request.method == "GET"
    assert str(request.url) == "https://openrouter.ai/api/v1/credits"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "application/json"


def test_extra_fields_are_kept(mode: str) -> None:
    """Fields beyond the schema are reachable, read-only, through Credits.extra."""
    h = Harness(mode, body('{"data": {"total_credits": 3, "total_usage": 1, "limit": null, "tier": "pro"}}'))
    credits = h.call()
    assert credits.total_credits == 3.0
    assert isinstance(credits.total_credits, int)  # a JSON integer for a number field stays an int
    assert dict(credits.extra) == {"limit": None, "tier": "pro"}
    with pytest.raises(TypeError):
        credits.extra["tier"] = "free"  # type: ignore[index]


def test_remaining_has_no_binary_noise() -> None:
    """10.0 - 9.9 is 0.1, not 0.09999999999999964."""
    assert Credits(total_credits=10.0, total_usage=9.9).remaining == 0.1
    assert Credits(total_credits=0.3, total_usage=0.1).remaining == 0.2
    assert Credits(total_credits=1e-300, total_usage=-1e-300).remaining == 2e-300


def test_credits_is_immutable_and_readable() -> None:
    """Credits cannot be changed, and its repr shows the numbers and what remains."""
    model = GetCreditsResponse200Data(total_credits=25.0, total_usage=7.5)
    model["a"] = 1
    credits = Credits.from_generated(model)
    model["a"] = 2  # the copy does not follow the generated model
    with pytest.raises(AttributeError):
        credits.total_usage = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="Credits is immutable"):
        credits["a"] = 3
    assert repr(credits) == "Credits(total_credits=25.0, total_usage=7.5, remaining=17.5, extra={'a': 1})"
    assert hash(credits) == hash(Credits(total_credits=25.0, total_usage=7.5))
    with pytest.raises(AttributeError):
        del credits.total_credits
    assert pickle.loads(pickle.dumps(credits)) == credits
    assert credits != Credits(total_credits=25.0, total_usage=7.5)
    assert credits != (25.0, 7.5)


def test_base_url_and_key_from_environment(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key comes from OPENROUTER_API_KEY (surrounding whitespace dropped); base_url may end in /."""
    monkeypatch.setenv("OPENROUTER_API_KEY", f"  {KEY}\n")
    h = Harness(mode, ok, api_key=None, base_url="http://127.0.0.1:9/api/v1/")
    h.call()
    assert str(h.requests[0].url) == "http://127.0.0.1:9/api/v1/credits"
    assert h.requests[0].headers["authorization"] == f"Bearer {KEY}"


# --- status -> error --------------------------------------------------------------------------

ERROR_SHAPE = {"error": {"code": 0, "message": "Server says no"}}


@pytest.mark.parametrize(
    ("code", "error", "phrase"),
    [
        (400, UnexpectedStatusError, "HTTP 400: Server says no"),
        (401, AuthenticationError, "Check that OPENROUTER_API_KEY or api_key holds a current key"),
        (403, PermissionDeniedError, "needs a provisioning (management) key"),
        (404, UnexpectedStatusError, "HTTP 404: Server says no"),
        (408, UnexpectedStatusError, "HTTP 408"),
        (422, UnexpectedStatusError, "HTTP 422"),
        (429, RateLimitError, "rate limiting"),
        (500, ServerError, "HTTP 500: Server says no"),
        (502, ServerError, "HTTP 502"),
        (503, ServerError, "HTTP 503"),
        (504, ServerError, "HTTP 504"),
        (599, ServerError, "HTTP 599"),
        (301, UnexpectedStatusError, "check base_url"),
        (304, UnexpectedStatusError, "HTTP 304"),
        (418, UnexpectedStatusError, "HTTP 418"),
        (299, UnexpectedStatusError, "HTTP 299"),
        (600, UnexpectedStatusError, "HTTP 600"),
        (999, UnexpectedStatusError, "HTTP 999"),
    ],
)
def test_status_table(mode: str, code: int, error: type[APIStatusError] | None, phrase: str | None) -> None:
    """Every status maps to its documented error, with the server's message and request id."""
    if error is None:
        h = Harness(mode, status(code, {"data": {"total_credits": 1, "total_usage": 0}}), max_retries=0)
        assert h.call().total_credits == 1.0
        return
    h = Harness(mode, status(code, ERROR_SHAPE, {"x-request-id": "req-42"}), max_retries=0)
    with pytest.raises(error) as info:
        h.call()
    exc = info.value
    assert exc.status_code == code
    assert exc.message == "Server says no"
    assert exc.request_id == "req-42"
    assert json.loads(exc.body) == ERROR_SHAPE
    assert phrase is not None
    assert phrase in str(exc)
    assert str(exc).endswith("(request id req-42)")
    assert len(h.requests) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body>Bad gateway</body></html>", "Bad gateway"),
        (b"", "Internal Server Error"),
        (b'{"error": "flat string"}', '{"error": "flat string"}'),
        (b'{"error": {"message": 5}}', '{"error": {"message": 5}}'),
        (b"x" * 5000, "x" * 200 + "…"),
    ],
)
def test_error_message_without_openrouter_shape(mode: str, content: bytes, message: str) -> None:
    """Without OpenRouter's error shape, the message is a short excerpt or the reason phrase."""
    h = Harness(mode, status(500, content), max_retries=0)
    with pytest.raises(ServerError) as info:
        h.call()
    assert info.value.message == message
    assert len(info.value.body) <= 2001


def test_redirect_is_not_followed(mode: str) -> None:
    """A redirect would carry the bearer token elsewhere: it is an error, and never followed."""
    h = Harness(mode, status(302, b"", {"location": "https://elsewhere.example/steal"}))
    with pytest.raises(UnexpectedStatusError) as info:
        h.call()
    assert info.value.status_code == 302
    assert [str(r.url) for r in h.requests] == ["https://openrouter.ai/api/v1/credits"]


# --- malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [
        ("not json", "$: not JSON (Expecting value"),
        ("", "$: not JSON"),
        ('{"data": ', "$: not JSON"),
        ("[1, 2]", "$: expected object, got array"),
        ('"credits"', "$: expected object, got string"),
        ("null", "$: expected object, got null"),
        ("{}", "data: required field missing"),
        ('{"data": []}', "data: expected object, got array"),
        ('{"data": null}', "data: expected object, got null"),
        ('{"data": "x"}', "data: expected object, got string"),
        ('{"data": {"total_usage": 1}}', "data.total_credits: required field missing"),
        ('{"data": {"total_credits": 1}}', "data.total_usage: required field missing"),
        ('{"data": {"total_credits": "25", "total_usage": 1}}', "data.total_credits: expected number, got string"),
        ('{"data": {"total_credits": true, "total_usage": 1}}', "data.total_credits: expected number, got boolean"),
        ('{"data": {"total_credits": 1, "total_usage": null}}', "data.total_usage: expected number, got null"),
        ('{"data": {"total_credits": 1, "total_usage": [1]}}', "data.total_usage: expected number, got array"),
        ('{"data": {"total_credits": NaN, "total_usage": 1}}', "data.total_credits: expected a finite number, got nan"),
        (
            '{"data": {"total_credits": 1, "total_usage": Infinity}}',
            "data.total_usage: expected a finite number, got inf",
        ),
        (
            '{"data": {"total_credits": 1e400, "total_usage": 1}}',
            "data.total_credits: expected a finite number, got inf",
        ),
        (
            '{"data": {"total_credits": 1' + "0" * 400 + ', "total_usage": 1}}',
            "data.total_credits: expected a number, got an integer too large",
        ),
        ("[" * 100000 + "]" * 100000, "$: not JSON"),
        (b"\xff\xfe{}", "$: not JSON"),
    ],
)
def test_malformed_body(mode: str, raw: str | bytes, phrase: str) -> None:
    """A 200 whose body breaks the schema raises ResponseValidationError naming the field; no retry."""
    h = Harness(mode, body(raw))
    with pytest.raises(ResponseValidationError) as info:
        h.call()
    assert phrase in str(info.value)
    assert info.value.status_code == 200
    assert len(h.requests) == 1


def test_oversized_body_is_capped(mode: str) -> None:
    """A 200 larger than 1 MiB is refused without being read whole; an error body is kept short."""
    big = b'{"data": {"total_credits": 1, "total_usage": 0, "pad": "' + b"x" * (2 << 20) + b'"}}'
    with pytest.raises(ResponseValidationError, match="larger than 1048576 bytes"):
        Harness(mode, body(big)).call()
    with pytest.raises(ServerError) as info:
        Harness(mode, status(500, b"y" * (3 << 20)), max_retries=0).call()
    assert len(info.value.body) == 2001


# --- transport failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "error", "phrase"),
    [
        (httpx.ConnectError, APIConnectionError, "Could not connect"),
        (httpx.ConnectTimeout, APITimeoutError, "Timed out connecting"),
        (httpx.ReadTimeout, APITimeoutError, "Timed out waiting for the response"),
        (httpx.WriteTimeout, APITimeoutError, "Timed out sending the request"),
        (httpx.PoolTimeout, APITimeoutError, "Timed out waiting for a free connection"),
        (httpx.ReadError, APIConnectionError, "ReadError"),
        (httpx.RemoteProtocolError, APIConnectionError, "RemoteProtocolError"),
        (httpx.ProxyError, APIConnectionError, "ProxyError"),
        (httpx.UnsupportedProtocol, APIConnectionError, "UnsupportedProtocol"),
    ],
)
def test_transport_failures(mode: str, raised: type[httpx.HTTPError], error: type[Exception], phrase: str) -> None:
    """Each transport failure becomes its typed error after the retries, chained to the cause."""
    h = Harness(mode, fail(raised))
    with pytest.raises(error) as info:
        h.call()
    assert type(info.value) is error
    assert phrase in str(info.value)
    assert isinstance(info.value.__cause__, raised)
    assert len(h.requests) == 3
    assert len(h.sleeps) == 2


def test_undecodable_body(mode: str) -> None:
    """A body that claims gzip but is not becomes APIConnectionError, not a bare httpx error."""
    h = Harness(mode, status(200, b"not gzip", {"content-encoding": "gzip"}), max_retries=0)
    with pytest.raises(APIConnectionError, match="could not be decoded"):
        h.call()


# --- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_never_retried(mode: str, code: int) -> None:
    """Client errors are final at once."""
    h = Harness(mode, status(code, ERROR_SHAPE))
    with pytest.raises(APIStatusError):
        h.call()
    assert (len(h.requests), h.sleeps) == (1, [])


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_burst_shorter_than_max_retries_recovers(mode: str, code: int) -> None:
    """Two failures then a 200, with max_retries=2: the call succeeds after two backoff waits."""
    h = Harness(mode, sequence(status(code, ERROR_SHAPE), status(code, ERROR_SHAPE), ok))
    assert h.call().remaining == 17.5
    assert len(h.requests) == 3
    assert 0.375 <= h.sleeps[0] <= 0.5
    assert 0.75 <= h.sleeps[1] <= 1.0


def test_longer_burst_raises_after_max_retries(mode: str) -> None:
    """max_retries=3 means four attempts, then the last error."""
    h = Harness(mode, status(503, ERROR_SHAPE), max_retries=3)
    with pytest.raises(ServerError):
        h.call()
    assert len(h.requests) == 4
    assert len(h.sleeps) == 3


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"retry-after": "2"}, 2.0, 2.0),
        ({"retry-after": "0.25"}, 0.25, 0.25),
        ({"retry-after-ms": "1500"}, 1.5, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5, 1.5),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0, 3.0),
        ({"retry-after": "soon"}, 0.375, 0.5),
        ({"retry-after": "-4"}, 0.375, 0.5),
        ({"retry-after": "60"}, 60.0, 60.0),
    ],
)
def test_retry_after_headers(mode: str, headers: dict[str, str], low: float, high: float) -> None:
    """The wait comes from retry-after-ms, else Retry-After, else backoff; garbage is ignored."""
    h = Harness(mode, sequence(status(429, ERROR_SHAPE, headers), ok), deadline=120)
    h.call()
    assert len(h.sleeps) == 1
    assert low <= h.sleeps[0] <= high


def test_retry_after_http_date(mode: str) -> None:
    """Retry-After as an HTTP date waits until then."""
    h = Harness(mode, sequence(status(503, b"", {"retry-after": http_date(5)}), ok))
    h.call()
    assert 3.0 <= h.sleeps[0] <= 5.0


def test_retry_after_past_the_cap_raises_at_once(mode: str) -> None:
    """A server asking for more than 60 s gets its RateLimitError raised now, not a hung call."""
    h = Harness(mode, status(429, ERROR_SHAPE, {"retry-after": "3600"}), deadline=7200)
    with pytest.raises(RateLimitError) as info:
        h.call()
    assert info.value.retry_after == 3600.0
    assert "Wait 3600 s" in str(info.value)
    assert (len(h.requests), h.sleeps) == (1, [])


def test_wait_past_the_deadline_raises_at_once(mode: str) -> None:
    """A wait that would end after the deadline is not started."""
    h = Harness(mode, status(503, ERROR_SHAPE, {"retry-after": "20"}), deadline=10)
    with pytest.raises(ServerError):
        h.call()
    assert (len(h.requests), h.sleeps) == (1, [])


def test_deadline_bounds_slow_attempts(mode: str) -> None:
    """An attempt that eats the deadline stops the retries; the last real error is raised. The first 503
    comes at once (the deadline has time left: it is retried), the second after the whole deadline."""
    deadline = 0.5

    def slow_503(request: httpx.Request) -> httpx.Response:
        if h.requests[1:]:
            time.sleep(deadline)
        return httpx.Response(503, headers={"retry-after": "0"})

    h = Harness(mode, slow_503, deadline=deadline, max_retries=5)
    with pytest.raises(ServerError):
        h.call()
    assert (len(h.requests), h.sleeps) == (2, [0.0])  # not the 6 attempts allowed


def test_deadline_bounds_a_slow_body(mode: str) -> None:
    """A body trickling in past the deadline is abandoned with APITimeoutError."""

    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            time.sleep(0.02)
            yield b" "

    async def achunks() -> AsyncIterator[bytes]:
        for chunk in chunks():
            yield chunk

    def trickle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks() if mode == "sync" else achunks())

    h = Harness(mode, trickle, deadline=0.2, max_retries=0)
    with pytest.raises(APITimeoutError, match="deadline"):
        h.call()


@pytest.mark.parametrize(
    ("retries_done", "retry_after", "jitter", "expected"),
    [
        (0, None, 0.0, 0.5),
        (1, None, 0.0, 1.0),
        (2, None, 0.0, 2.0),
        (4, None, 0.0, 8.0),
        (9, None, 0.0, 8.0),
        (0, None, 1.0, 0.375),
        (3, None, 1.0, 3.0),
        (0, 7.0, 1.0, 7.0),
        (0, 0.0, 0.0, 0.0),
        (0, 60.0, 0.0, 60.0),
        (0, 60.5, 0.0, None),
    ],
)
def test_retry_delay_table(retries_done: int, retry_after: float | None, jitter: float, expected: float | None) -> None:
    """(retries done, Retry-After, jitter) -> delay before the next attempt, or None to give up."""
    error = ServerError("x", status_code=503, message="", body="", request_id=None, retry_after=retry_after, url="u")
    assert _retry.retry_delay(error, retries_done, 10, time_left=1000, jitter=jitter) == expected


def test_retry_delay_gives_up() -> None:
    """No retry when the retries are spent, the wait outlasts the deadline, or the error is final."""
    error = ServerError("x", status_code=503, message="", body="", request_id=None, retry_after=None, url="u")
    assert _retry.retry_delay(error, 2, 2, time_left=100, jitter=0) is None
    assert _retry.retry_delay(error, 0, 2, time_left=0.4, jitter=0) is None
    invalid = ResponseValidationError("x", status_code=200, body="", request_id=None, url="u")
    assert _retry.retry_delay(invalid, 0, 2, time_left=100, jitter=0) is None


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        ({"api_key": None}, "No API key: set OPENROUTER_API_KEY or pass api_key, with a provisioning (management) key"),
        ({"api_key": "Bearer sk-or-v1-abc"}, "starts with 'Bearer ': give the key alone (sk-or-v1-...)"),
        ({"api_key": "OPENROUTER_API_KEY=sk-or-v1-abc"}, "starts with 'OPENROUTER_API_KEY=': give the key alone"),
        ({"api_key": ""}, "The API key in api_key is blank"),
        ({"api_key": " \t\n"}, "is blank"),
        ({"api_key": "sk-or-v1-abc\ndef"}, "The API key in api_key has 2 lines; it must hold the key alone"),
        ({"api_key": "sk-or-v1-abc\tdef"}, "cannot be sent in an HTTP header (at position 13)"),
        ({"api_key": "sk-or-v1-ab c"}, "cannot be sent in an HTTP header"),
        ({"api_key": "sk-or-v1-é"}, "cannot be sent in an HTTP header"),
        ({"api_key": 12345}, "api_key must be a string, not int"),
        ({"base_url": "openrouter.ai/api/v1"}, "must be an absolute http(s) URL"),
        ({"base_url": "ftp://openrouter.ai/api/v1"}, "must be an absolute http(s) URL"),
        ({"base_url": "http://openrouter.ai/api/v1"}, "unencrypted: use https"),
        ({"base_url": "http://10.0.0.8/api/v1"}, "unencrypted: use https"),
        ({"base_url": "https://user:pw@openrouter.ai/api/v1"}, "must not carry a user name or password"),
        ({"base_url": "https://openrouter.ai/api/v1?x=1"}, "must not have a query string"),
        ({"base_url": "https://[::1"}, "is not a valid URL"),
        ({"base_url": 42}, "base_url must be a string, not int"),
        ({"base_url": "https://openrouter.ai:0/api/v1"}, "has port 0: a port is a number from 1 to 65535"),
        ({"timeout": 0}, "timeout must be a positive number of seconds, not 0"),
        ({"timeout": -1.5}, "timeout must be a positive number"),
        ({"timeout": math.nan}, "timeout must be a positive number"),
        ({"timeout": True}, "timeout must be a positive number"),
        ({"timeout": httpx.Timeout(5, read=-1)}, "timeout.read must be a positive number"),
        ({"deadline": 0}, "deadline must be a positive number"),
        ({"deadline": math.inf}, "deadline must be a positive number"),
        ({"max_retries": -1}, "max_retries must be a whole number 0 or more, not -1"),
        ({"max_retries": 1.5}, "max_retries must be a whole number"),
        ({"max_retries": True}, "max_retries must be a whole number"),
        ({"http_client": "not a client"}, "http_client must be an httpx.Client, not str"),
    ],
)
def test_configuration_errors(options: dict[str, Any], phrase: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad configuration raises ConfigurationError before any I/O, saying what to fix."""
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    options = {"api_key": KEY, **options}
    with pytest.raises(ConfigurationError) as info:
        CreditsClient(**options)
    assert phrase in str(info.value)
    with pytest.raises(ConfigurationError):
        openrouter_credits.get_credits(**{k: v for k, v in options.items() if k != "http_client"}) if (
            "http_client" not in options
        ) else openrouter_credits.AsyncCreditsClient(**options)


def test_blank_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blank OPENROUTER_API_KEY is named as the source of the problem."""
    monkeypatch.setenv("OPENROUTER_API_KEY", "   ")
    with pytest.raises(ConfigurationError, match="The API key in OPENROUTER_API_KEY is blank"):
        CreditsClient()


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080/api/v1", "http://localhost/api/v1", "http://[::1]:1/api/v1", "http://127.9.9.9"]
)
def test_plain_http_to_loopback_is_allowed(base_url: str) -> None:
    """Loopback addresses may use plain http (the mock server, local proxies)."""
    assert CreditsClient(KEY, base_url=base_url).base_url == base_url.rstrip("/")


# --- clients ----------------------------------------------------------------------------------


def test_own_http_client_is_left_open() -> None:
    """A client passed in is the caller's to close; one the wrapper made is closed on exit."""
    http = httpx.Client(transport=httpx.MockTransport(ok))
    with CreditsClient(KEY, http_client=http) as client:
        client.get_credits()
    assert not http.is_closed
    http.close()
    with CreditsClient(KEY) as own:
        inner = own._http
    assert inner.is_closed


def test_one_pool_is_reused(mode: str) -> None:
    """Several calls on one client go through the same httpx client."""
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return ok(request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http, CreditsClient(KEY, http_client=http) as c:
        assert [c.get_credits().remaining for _ in range(3)] == [17.5] * 3
    assert len(seen) == 3


def test_get_credits_one_shot(monkeypatch: pytest.MonkeyPatch) -> None:
    """get_credits() opens a client, calls once, closes it."""
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        openrouter_credits.get_credits()


@pytest.mark.parametrize(
    "error",
    [
        ServerError("m", status_code=503, message="x", body="b", request_id="r", retry_after=1.0, url="u"),
        RateLimitError("m", status_code=429, message="x", body="b", request_id=None, retry_after=None, url="u"),
        ResponseValidationError("m", status_code=200, body="b", request_id=None, url="u"),
        APITimeoutError("m", url="u"),
        ConfigurationError("m"),
        MalformedBudgetError("data.budgets[0].scope", "is None, not a string"),
    ],
)
def test_errors_pickle(error: Exception) -> None:
    """Every error survives pickling with its message and attributes."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), copy.args, copy.__dict__) == (str(error), error.args, error.__dict__)


def test_public_surface() -> None:
    """__all__ is the public list, and everything in it exists."""
    for name in openrouter_credits.__all__:
        assert hasattr(openrouter_credits, name)
    assert issubclass(ConfigurationError, openrouter_credits.OpenRouterCreditsError)
    assert issubclass(APITimeoutError, APIConnectionError)


def test_logging(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """One DEBUG line per attempt, and one per retry with the reason and the delay (DEBUG too: the caller
    reports the call's outcome once; a library that warned on each retry would flood an exporter's log)."""
    caplog.set_level(logging.DEBUG, logger="openrouter_credits")
    h = Harness(mode, sequence(status(503, ERROR_SHAPE, {"retry-after": "1.5"}), ok))
    h.call()
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "openrouter_credits"]
    assert [level for level, _ in records] == ["DEBUG", "DEBUG", "DEBUG"]
    assert re.fullmatch(
        r"GET https://openrouter\.ai/api/v1/credits -> 503 in \d+\.\d ms \(attempt 1 of 3\)", records[0][1]
    )
    assert records[1][1] == (
        "Retrying GET https://openrouter.ai/api/v1/credits in 1.50 s (attempt 1 of 3 failed: "
        "OpenRouter failed to answer (HTTP 503: Server says no). Try again later.)"
    )
    assert re.fullmatch(r"GET \S+ -> 200 in \d+\.\d ms \(attempt 2 of 3\)", records[2][1])


# --- wording ------------------------------------------------------------------------------------


def test_short_key_is_not_redacted_from_words(mode: str) -> None:
    """Only a key long enough to be a key is redacted: a test key 'k' leaves 'Check' alone."""
    h = Harness(mode, status(401, {"error": {"code": 401, "message": "no key k"}}), api_key="k", max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        h.call()
    assert "Check that OPENROUTER_API_KEY or api_key holds a current key." in str(info.value)
    assert "[redacted]" not in str(info.value)


def test_messages_name_settings_in_the_callers_terms(mode: str) -> None:
    """str() names the keyword arguments; describe() puts a caller's own names in their place."""
    h = Harness(mode, status(503, ERROR_SHAPE), max_retries=2)
    with pytest.raises(ServerError) as info:
        h.call()
    assert str(info.value).endswith("Try again later. (after 3 attempts)")
    with pytest.raises(ConfigurationError) as config:
        CreditsClient(KEY, base_url="ftp://x")
    assert str(config.value).startswith("base_url 'ftp://x' must be an absolute http(s) URL")
    assert config.value.describe({"base_url": "--base-url"}).startswith("--base-url 'ftp://x' must be")
    copy = pickle.loads(pickle.dumps(config.value))
    assert copy.describe({"base_url": "--base-url"}) == config.value.describe({"base_url": "--base-url"})


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENROUTER_BASE_URL is the default base URL; an explicit base_url wins."""
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1/")
    assert CreditsClient(KEY).base_url == "http://127.0.0.1:9/api/v1"
    assert CreditsClient(KEY, base_url="https://example.org/v1").base_url == "https://example.org/v1"
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://example.org/v1")
    with pytest.raises(ConfigurationError, match=r"^OPENROUTER_BASE_URL 'http://example\.org/v1' uses plain http"):
        CreditsClient(KEY)


def test_a_404_from_a_base_url_without_api_v1_suggests_it(mode: str) -> None:
    """A 404 from https://openrouter.ai (no /api/v1): the message says where the API is."""
    h = Harness(mode, status(404, ERROR_SHAPE), base_url="https://openrouter.ai", max_retries=0)
    with pytest.raises(UnexpectedStatusError) as info:
        h.call()
    assert str(info.value) == (
        "OpenRouter answered with an unexpected status (HTTP 404: Server says no). Check base_url: OpenRouter's "
        "API is under /api/v1 (https://openrouter.ai/api/v1)."
    )
    assert str(h.requests[0].url) == "https://openrouter.ai/credits"
