"""analytics_meta() and query_analytics() against the live mock (a year of history, several
workspaces, the rate limit) and small httpx.MockTransport handlers (answers that cannot be read, a
429 that says when to try again): counts as int, amounts as exact Decimals, dates, labels that
repeat, the same sums as /activity for the same days, 400s and 403s as typed errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from helpers import KEY, Clock, account_mock, client_call
from openrouter_credits import (
    AnalyticsMeta,
    AnalyticsResult,
    AsyncCreditsClient,
    BadRequestError,
    ConfigurationError,
    CreditsClient,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
)
from openrouter_credits.testing import MockServer

MANAGEMENT = "sk-or-v1-analytics-SECRET-management-3c9d"
ORDINARY = "sk-or-v1-analytics-SECRET-ordinary-4e0f"
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
MONTH_START = TODAY - dt.timedelta(days=30)


#: The mock's idea of now, moved by the tests that need it to.
CLOCK = Clock(NOW)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with account_mock(MANAGEMENT, ORDINARY, CLOCK) as running:
        yield running


@pytest.fixture
def live(mock: MockServer) -> Iterator[MockServer]:
    CLOCK.rewind()
    yield mock
    CLOCK.rewind()


def call(mock: MockServer, mode: str, method: str, *, key: str = MANAGEMENT, **arguments: Any) -> Any:
    """``client.<method>(**arguments)`` with the sync or the async client, no retries."""
    return client_call(mode, key, method, {"base_url": mock.base_url, "max_retries": 0, "clock": CLOCK}, **arguments)


def test_meta(live: MockServer, mode: str) -> None:
    """The metrics and dimensions on offer, with how each metric reads; an ordinary key gets a 403."""
    meta = call(live, mode, "analytics_meta")
    assert isinstance(meta, AnalyticsMeta)
    assert {"total_usage", "request_count", "tokens_total"} <= set(meta.metric_names)
    assert {"model", "api_key_id", "workspace", "user", "app"} <= set(meta.dimension_names)
    assert "day" in meta.granularity_names
    total = meta.metric("total_usage")
    assert total is not None
    assert total.display_format == "currency"
    assert meta.metric("no_such_metric") is None
    with pytest.raises(PermissionDeniedError, match="management"):
        call(live, mode, "analytics_meta", key=ORDINARY)


def test_same_days_same_sums(live: MockServer, mode: str) -> None:
    """The 30 days /activity shows and a daily query over them agree, day by day, to the cent;
    counts come as ints and amounts as exact Decimals, each day a date."""
    with CreditsClient(MANAGEMENT, base_url=live.base_url, clock=CLOCK) as client:
        activity = client.get_activity()
    result = call(live, mode, "query_analytics", metrics=["total_usage", "request_count"], start=MONTH_START, end=TODAY)
    assert isinstance(result, AnalyticsResult)
    assert not result.truncated
    by_day = {row.date: row for row in result}
    for day in activity.daily_spend:
        row = by_day.get(day.date)
        usage = Decimal(0) if row is None else row["total_usage"]
        assert usage == Decimal(repr(day.usage)), day
    assert result.total("total_usage") == Decimal(repr(activity.total))
    requests = sum(item.requests for item in activity.rows)
    assert result.total("request_count") == requests
    first = result.rows[0]
    assert isinstance(first.metrics["request_count"], int)
    assert isinstance(first.metrics["total_usage"], Decimal)
    assert first.date == TODAY - dt.timedelta(days=1)  # the newest day first


def test_a_year_by_month(live: MockServer) -> None:
    """A year of history (365 days), month by month: thirteen months, the total within the account's
    lifetime usage ($7.50)."""
    result = call(
        live,
        "sync",
        "query_analytics",
        metrics=["total_usage"],
        start=TODAY - dt.timedelta(days=365),
        end=TODAY,
        granularity="month",
    )
    assert [row.date for row in result][:2] == [dt.date(2026, 11, 1), dt.date(2026, 10, 1)]
    assert len(result) == 13
    assert all(row.date is not None and row.date.day == 1 for row in result)
    assert Decimal("5") < result.total("total_usage") <= Decimal("7.50")


@pytest.mark.parametrize("form", ["date", "timestamp"])
def test_both_date_forms(live: MockServer, form: str) -> None:
    """date__day written 2026-11-24 or 2026-11-24T00:00:00.000Z reads as the same date."""
    live.app.set_analytics_date_format(form)
    result = call(
        live, "sync", "query_analytics", metrics=["request_count"], start=TODAY - dt.timedelta(days=2), end=TODAY
    )
    assert [row.date for row in result] == [TODAY - dt.timedelta(days=1), TODAY - dt.timedelta(days=2)]


def test_labels_repeat_but_rows_do_not_merge(live: MockServer) -> None:
    """Two keys named "ci": two rows labelled "ci", each with its own spend; a filter takes the hash;
    a hash no key has matches nothing and says so."""
    live.app.set_keys([{"name": "ci", "hash": "a" * 64}, {"name": "ci", "hash": "b" * 64}])
    window = {"start": MONTH_START, "end": TODAY, "granularity": None}
    both = call(live, "sync", "query_analytics", metrics=["total_usage"], dimensions=["api_key_id"], **window)
    assert [row.labels["api_key_id"] for row in both] == ["ci", "ci"]
    amounts = [row["total_usage"] for row in both]
    one = call(
        live,
        "sync",
        "query_analytics",
        metrics=["total_usage"],
        filters=[{"field": "api_key_id", "operator": "eq", "value": "b" * 64}],
        **window,
    )
    assert one.total("total_usage") in amounts
    assert sum(amounts) == call(live, "sync", "query_analytics", metrics=["total_usage"], **window).total("total_usage")
    nobody = call(
        live,
        "sync",
        "query_analytics",
        metrics=["total_usage"],
        filters=[{"field": "api_key_id", "operator": "eq", "value": "c" * 64}],
        **window,
    )
    assert (len(nobody), len(nobody.warnings)) == (0, 1)


def test_workspaces_and_members(live: MockServer) -> None:
    """Per workspace (its name) and per member: the rows of a workspace added with keys; a workspace
    filter takes its UUID."""
    research = live.app.add_workspace("Research", keys=2)
    window = {"start": MONTH_START, "end": TODAY, "granularity": None}
    result = call(live, "sync", "query_analytics", metrics=["total_usage"], dimensions=["workspace", "user"], **window)
    assert {row.labels["workspace"] for row in result} == {"Default", "Research"}
    assert {row.labels["user"] for row in result} >= {"mock@example.com", "ada@example.com"}
    only = call(
        live,
        "sync",
        "query_analytics",
        metrics=["total_usage"],
        dimensions=["workspace"],
        filters=[{"field": "workspace", "operator": "eq", "value": research}],
        **window,
    )
    assert [row.labels["workspace"] for row in only] == ["Research"]


def test_truncated(live: MockServer) -> None:
    """More rows than the limit: the first ``limit`` and ``truncated``."""
    result = call(live, "sync", "query_analytics", metrics=["request_count"], start=MONTH_START, end=TODAY, limit=5)
    assert (len(result), result.truncated) == (5, True)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"metrics": ["total_usage"], "start": TODAY - dt.timedelta(days=400)}, "at most 365 days"),
        ({"metrics": ["total_usage"], "dimensions": ["provider"]}, "provider: 31 days at most"),
        ({"metrics": ["total_spend"]}, "Unknown metric 'total_spend'"),
    ],
    ids=["a-range-too-long", "a-per-generation-dimension", "an-unknown-metric"],
)
def test_refused_queries(live: MockServer, mode: str, arguments: dict[str, Any], says: str) -> None:
    """A query OpenRouter refuses: BadRequestError with its reason, not retried."""
    query = {"start": TODAY - dt.timedelta(days=60), "end": TODAY, **arguments}
    with pytest.raises(BadRequestError, match=says) as info:
        call(live, mode, "query_analytics", **query)
    assert info.value.status_code == 400
    assert sum(path.endswith("/analytics/query") for _, path, _ in live.app.requests) == 1


def test_the_rate_limit(live: MockServer) -> None:
    """Past the minute's requests: RateLimitError saying when to try again (the minute's end), which
    is past the deadline, so it is raised at once; the next minute answers again."""
    live.app.set_analytics_rate_limit(3)
    CLOCK.now = dt.datetime.now(dt.UTC)
    for _ in range(3):
        call(live, "sync", "analytics_meta")
    with pytest.raises(RateLimitError) as info:
        call(live, "sync", "analytics_meta")
    assert info.value.retry_after is not None
    assert 55 < info.value.retry_after <= 60
    CLOCK.now += dt.timedelta(seconds=60)
    assert call(live, "sync", "analytics_meta").metric_names


# --- checked before any I/O, and answers that cannot be read ----------------------------------------


def unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request was to be sent: {request.method} {request.url}")


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        ({"metrics": "total_usage"}, "metrics must be a list of names"),
        ({"metrics": []}, "metrics needs at least one name"),
        ({"metrics": ["total_usage"], "dimensions": ["a", "b", "c"]}, "dimensions may name at most 2"),
        ({"metrics": ["total_usage"], "start": TODAY, "end": TODAY}, "start must be before end"),
        ({"metrics": ["total_usage"], "end": "2026-11-25"}, "end must be a datetime.date"),
        ({"metrics": ["total_usage"], "limit": 0}, "limit is a whole number from 1 to 10,000"),
        ({"metrics": ["total_usage"], "limit": 10_001}, "limit is a whole number from 1 to 10,000"),
        ({"metrics": ["total_usage"], "filters": [{"field": "model"}]}, r"filters\[0\] needs field, operator"),
        ({"metrics": ["total_usage"], "filters": {"field": "x"}}, "filters must be a list of filters"),
    ],
)
def test_checked_before_any_request(arguments: dict[str, Any], names: str) -> None:
    """A query that cannot be one is a ConfigurationError naming the argument, before any request."""
    query = {"start": MONTH_START, "end": TODAY, **arguments}
    with (
        httpx.Client(transport=httpx.MockTransport(unused)) as http,
        CreditsClient(KEY, http_client=http) as client,
        pytest.raises(ConfigurationError, match=names),
    ):
        client.query_analytics(**query)


def answering(rows: list[dict[str, Any]], *, truncated: bool = False) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        times = {name: dt.datetime.fromisoformat(text) for name, text in sent["time_range"].items()}
        assert times == {
            "start": dt.datetime(2026, 10, 26, tzinfo=dt.UTC),
            "end": dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
        }
        assert sent["limit"] == 10_000
        metadata = {"query_time_ms": 3, "row_count": len(rows), "truncated": truncated}
        return httpx.Response(200, json={"data": {"data": rows, "metadata": metadata}})

    return httpx.MockTransport(handler)


def query(transport: httpx.MockTransport, **arguments: Any) -> AnalyticsResult:
    with httpx.Client(transport=transport) as http, CreditsClient(KEY, http_client=http, max_retries=0) as client:
        return client.query_analytics(**{"start": MONTH_START, "end": TODAY, **arguments})  # type: ignore[arg-type]


def test_what_rows_hold() -> None:
    """Counts from strings (or integers) as ints, amounts as the Decimals written, null as None (never
    0), labels as strings, fields not asked for in ``extra``."""
    rows = [
        {"date__day": "2026-11-24T00:00:00.000Z", "model": "OpenAI: GPT-4.1", "request_count": "1523",
         "total_usage": 4.27, "cachedAt": 1},
        {"date__day": "2026-11-23", "model": None, "request_count": 12, "total_usage": None},
    ]  # fmt: skip
    result = query(answering(rows), metrics=["request_count", "total_usage"], dimensions=["model"])
    first, second = result.rows
    assert (first.date, first["model"], first["request_count"], first["total_usage"]) == (
        dt.date(2026, 11, 24),
        "OpenAI: GPT-4.1",
        1523,
        Decimal("4.27"),
    )
    assert first.extra == {"cachedAt": 1}
    assert (second.date, second["model"], second["request_count"], second["total_usage"]) == (
        dt.date(2026, 11, 23),
        None,
        12,
        None,
    )
    assert result.total("request_count") == 1535
    assert result.total("total_usage") is None  # one day unknown: the sum is unknown, not 4.27


@pytest.mark.parametrize(
    ("row", "names"),
    [
        ({"date__day": "2026-11-24", "request_count": "lots"}, r"data\.data\[0\]\.request_count is 'lots'"),
        ({"date__day": "24/11/2026", "request_count": "1"}, r"data\.data\[0\]\.date__day is '24/11/2026', not a date"),
        ({"request_count": "1"}, r"data\.data\[0\]\.date__day is None, not a date"),
        ({"date__day": "2026-11-24", "request_count": True}, r"data\.data\[0\]\.request_count is True"),
    ],
)
def test_unreadable_answers(row: dict[str, Any], names: str) -> None:
    """A row that is not what the query asked for: ResponseValidationError naming its JSON path."""
    with pytest.raises(ResponseValidationError, match=names):
        query(answering([row]), metrics=["request_count"])


def test_a_429_waits_as_its_headers_say(mode: str) -> None:
    """A 429 with X-RateLimit-Reset 1.5 s ahead (no Retry-After), then the answer: the query is sent
    again once, after a wait of about 1.5 s."""
    import time

    sent: list[bytes] = []
    sleeps: list[float] = []
    body = {"data": {"data": [], "metadata": {"query_time_ms": 1, "row_count": 0, "truncated": False}}}

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        if len(sent) == 1:
            reset = str(round((time.time() + 1.5) * 1000))
            error = {"error": {"code": 429, "message": "Rate limit exceeded"}}
            return httpx.Response(429, json=error, headers={"x-ratelimit-limit": "64", "x-ratelimit-reset": reset})
        return httpx.Response(200, json=body)

    arguments = {"metrics": ["total_usage"], "start": MONTH_START, "end": TODAY}
    transport = httpx.MockTransport(handler)
    if mode == "sync":
        with httpx.Client(transport=transport) as http, CreditsClient(KEY, http_client=http, sleep=sleeps.append) as c:
            result = c.query_analytics(**arguments)  # type: ignore[arg-type]
    else:

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async def main() -> AnalyticsResult:
            async with (
                httpx.AsyncClient(transport=transport) as http,
                AsyncCreditsClient(KEY, http_client=http, sleep=sleep) as client,
            ):
                return await client.query_analytics(**arguments)  # type: ignore[arg-type]

        result = asyncio.run(main())
    assert len(result) == 0
    assert len(sent) == 2
    assert sent[0] == sent[1]
    (slept,) = sleeps
    assert slept == pytest.approx(1.5, abs=0.25)
