"""A 429 that says when the limit resets (``X-RateLimit-Reset``, milliseconds since the epoch) and not
how long to wait: the client waits until the reset, and never past its deadline."""

from __future__ import annotations

import time

import httpx
import pytest

from helpers import Harness, ok
from openrouter_credits import RateLimitError
from openrouter_credits._call.outcomes import retry_after

NOW = 1_790_000_000.0  # seconds since the epoch: the clock of the table
ERROR_SHAPE = {"error": {"code": 429, "message": "Rate limit exceeded"}}


@pytest.mark.parametrize(
    ("headers", "rate_limited", "expected"),
    [
        ({"x-ratelimit-reset": "1790000001500"}, True, 1.5),
        ({"X-RateLimit-Reset": "1790000030000"}, True, 30.0),
        ({"x-ratelimit-reset": "1790000000250.5"}, True, 0.2505),
        # retry-after-ms and Retry-After come first
        ({"x-ratelimit-reset": "1790000009000", "retry-after": "2"}, True, 2.0),
        ({"x-ratelimit-reset": "1790000009000", "retry-after-ms": "700"}, True, 0.7),
        # a Retry-After that says nothing leaves the reset to say it
        ({"x-ratelimit-reset": "1790000004000", "retry-after": "soon"}, True, 4.0),
        # a reset now or past, or garbage, says nothing: the backoff applies
        ({"x-ratelimit-reset": "1790000000000"}, True, None),
        ({"x-ratelimit-reset": "1789999990000"}, True, None),
        ({"x-ratelimit-reset": "tomorrow"}, True, None),
        ({"x-ratelimit-reset": "nan"}, True, None),
        ({"x-ratelimit-reset": "inf"}, True, None),
        # the reset of the rate limit's window is no wait for a 503
        ({"x-ratelimit-reset": "1790000001500"}, False, None),
        ({}, True, None),
    ],
)
def test_retry_after_table(headers: dict[str, str], rate_limited: bool, expected: float | None) -> None:
    """(headers, a 429 or not) -> the seconds to wait, by an injected clock."""
    wait = retry_after(httpx.Headers(headers), now=NOW, rate_limited=rate_limited)
    assert wait == (None if expected is None else pytest.approx(expected, abs=1e-6))


def reset_in(seconds: float) -> str:
    return str(round((time.time() + seconds) * 1000))


def test_waits_until_the_reset(mode: str) -> None:
    """429 with only X-RateLimit-Reset 1.5 s ahead, then 200: one wait of about 1.5 s."""

    def limited_once(request: httpx.Request) -> httpx.Response:
        if len(h.requests) == 1:
            return httpx.Response(429, json=ERROR_SHAPE, headers={"x-ratelimit-reset": reset_in(1.5)})
        return ok(request)

    h = Harness(mode, limited_once)
    assert h.call().remaining == 17.5
    assert len(h.requests) == 2
    (slept,) = h.sleeps
    assert slept == pytest.approx(1.5, abs=0.25)


def test_a_reset_past_the_deadline_raises_at_once(mode: str) -> None:
    """A reset 20 s ahead with a 10 s deadline: the RateLimitError now, carrying the wait; no sleep."""
    h = Harness(
        mode,
        lambda request: httpx.Response(429, json=ERROR_SHAPE, headers={"x-ratelimit-reset": reset_in(20)}),
        deadline=10,
    )
    with pytest.raises(RateLimitError) as info:
        h.call()
    assert (len(h.requests), h.sleeps) == (1, [])
    assert info.value.retry_after == pytest.approx(20, abs=0.5)
    assert "Wait 2" in str(info.value)  # "Wait 20 s" or "Wait 19.9 s", as the clock ticked
    assert str(info.value).endswith(" s before trying again.")
