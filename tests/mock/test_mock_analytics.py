"""The mock's analytics: GET /analytics/meta and POST /analytics/query as OpenRouter documents them
(counts as strings, amounts as numbers, labels, at most 2 dimensions, limit and truncated, 365 and 31
days), the year of history behind them (the same days as /activity give the same sums), scripting
(set_history, POST /_mock/history, the date form) and the rate limit of 64 requests a minute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
from mocking import CLOCK, MANAGEMENT, NOW, ORDINARY

from openrouter_credits.testing import MockOpenRouter, MockServer

MONTH = {"start": "2026-10-26T00:00:00Z", "end": "2026-11-25T00:00:00Z"}
YEAR = {"start": "2025-11-25T00:00:00Z", "end": "2026-11-25T00:00:00Z"}


def ask(mock: MockServer, body: dict[str, Any], key: str = MANAGEMENT) -> httpx.Response:
    return httpx.post(mock.base_url + "/analytics/query", headers={"Authorization": f"Bearer {key}"}, json=body)


def rows(mock: MockServer, **body: Any) -> list[dict[str, Any]]:
    response = ask(mock, body)
    assert response.status_code == 200, response.text
    return list(response.json()["data"]["data"])


def total(found: list[dict[str, Any]], metric: str = "total_usage") -> Decimal:
    return sum((Decimal(repr(row[metric])) for row in found), Decimal(0))


def test_meta(mock: MockServer) -> None:
    """The documented shape; count metrics are numbers to show, cost metrics currency."""
    response = httpx.get(mock.base_url + "/analytics/meta", headers={"Authorization": f"Bearer {MANAGEMENT}"})
    meta = response.json()["data"]
    formats = {m["name"]: m["display_format"] for m in meta["metrics"]}
    assert (formats["request_count"], formats["total_usage"]) == ("number", "currency")
    assert {d["name"] for d in meta["dimensions"]} >= {"model", "api_key_id", "workspace", "user", "app", "provider"}
    assert [g["name"] for g in meta["granularities"]] == ["day", "week", "month"]
    assert {"eq", "in", "not_in"} <= {o["name"] for o in meta["operators"]}
    assert response.headers["x-ratelimit-limit"] == "64"


def test_shapes(mock: MockServer) -> None:
    """Counts are strings, amounts numbers, dates 2026-11-24T00:00:00.000Z, models their display names;
    rows newest first; the metadata counts them."""
    answer = ask(
        mock,
        {
            "metrics": ["request_count", "total_usage"],
            "dimensions": ["model"],
            "granularity": "day",
            "time_range": MONTH,
        },
    ).json()["data"]
    first = answer["data"][0]
    assert first["date__day"] == "2026-11-24T00:00:00.000Z"
    assert isinstance(first["request_count"], str)
    assert isinstance(first["total_usage"], float)
    assert {row["model"] for row in answer["data"]} == {"OpenAI: GPT-4.1", "Anthropic: Claude Sonnet 4"}
    assert answer["metadata"] == {"query_time_ms": 1, "row_count": len(answer["data"]), "truncated": False}
    mock.app.set_analytics_date_format("date")
    assert rows(mock, metrics=["request_count"], granularity="day", time_range=MONTH)[0]["date__day"] == "2026-11-24"


def test_same_days_as_activity(mock: MockServer) -> None:
    """The 30 days of /activity and the analytics of those days: the same spend, to the cent, per
    model and in all; and per key hash, as /activity?api_key_hash= deals the rows."""
    headers = {"Authorization": f"Bearer {MANAGEMENT}"}
    activity = httpx.get(mock.base_url + "/activity", headers=headers).json()["data"]
    spent = sum((Decimal(repr(row["usage"])) for row in activity), Decimal(0))
    assert total(rows(mock, metrics=["total_usage"], time_range=MONTH)) == spent
    by_model = rows(mock, metrics=["request_count"], dimensions=["model"], time_range=MONTH)
    assert sum(int(row["request_count"]) for row in by_model) == sum(row["requests"] for row in activity)


def test_a_year(mock: MockServer) -> None:
    """365 days of history: the year before the month spends less, all of it within the account's
    $7.50, most of it by a key since deleted ("retired")."""
    year = total(rows(mock, metrics=["total_usage"], time_range=YEAR))
    month = total(rows(mock, metrics=["total_usage"], time_range=MONTH))
    assert Decimal(5) < year <= Decimal("7.50")
    assert month < year - month
    keys = {
        row["api_key_id"]: row
        for row in rows(mock, metrics=["total_usage"], dimensions=["api_key_id"], time_range=YEAR)
    }
    assert set(keys) == {"retired", MockOpenRouter.label(ORDINARY)}
    assert {row["user"] for row in rows(mock, metrics=["total_usage"], dimensions=["user"], time_range=YEAR)} == {
        "",
        "mock@example.com",
    }


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            {
                "metrics": ["total_usage"],
                "time_range": {"start": "2025-11-01T00:00:00Z", "end": "2026-11-25T00:00:00Z"},
            },
            "spans 389 days; this query reaches at most 365 days",
        ),
        (
            {
                "metrics": ["total_usage"],
                "dimensions": ["provider"],
                "time_range": MONTH | {"start": "2026-10-01T00:00:00Z"},
            },
            "at most 31 days (provider: 31 days at most)",
        ),
        ({"metrics": ["byok_fees"], "time_range": YEAR}, "(byok_fees: 31 days at most)"),
        ({"metrics": ["cost"]}, "Unknown metric 'cost'"),
        ({"metrics": []}, "metrics needs at least one metric name"),
        ({"metrics": ["total_usage"], "dimensions": ["model", "user", "app"]}, "At most 2 dimensions"),
        ({"metrics": ["total_usage"], "limit": 10_001}, "limit must be a whole number from 1 to 10,000"),
        ({"metrics": ["total_usage"], "granularity": "minute"}, "Unknown granularity 'minute'"),
        (
            {"metrics": ["total_usage"], "filters": [{"field": "model", "operator": "in", "value": "x"}]},
            "the operator in takes an array",
        ),
        (
            {
                "metrics": ["total_usage"],
                "time_range": {"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"},
            },
            "start must be before",
        ),
    ],
)
def test_refused(mock: MockServer, body: dict[str, Any], says: str) -> None:
    """What the API refuses is a 400 in OpenRouter's error shape, saying why."""
    response = ask(mock, body)
    assert response.status_code == 400
    assert says in response.json()["error"]["message"]


def test_provider_within_31_days(mock: MockServer) -> None:
    """A per-generation dimension answers within 31 days: providers as they are, not labels."""
    found = rows(mock, metrics=["total_usage"], dimensions=["provider"], time_range=MONTH)
    assert {row["provider"] for row in found} == {"OpenAI", "Anthropic"}


def test_limit_group_limit_and_order(mock: MockServer) -> None:
    """limit (truncated when more), group_limit per dimension value, order_by a metric or the date."""
    answer = ask(mock, {"metrics": ["request_count"], "granularity": "day", "time_range": MONTH, "limit": 3}).json()
    assert (len(answer["data"]["data"]), answer["data"]["metadata"]["truncated"]) == (3, True)
    two = rows(mock, metrics=["total_usage"], dimensions=["model"], granularity="day", time_range=MONTH, group_limit=2)
    assert len(two) == 4
    oldest = rows(
        mock,
        metrics=["total_usage"],
        granularity="day",
        time_range=MONTH,
        order_by={"field": "date", "direction": "asc"},
    )
    assert oldest[0]["date__day"] < oldest[-1]["date__day"]
    cheapest = rows(
        mock,
        metrics=["total_usage"],
        dimensions=["model"],
        time_range=MONTH,
        order_by={"field": "request_count", "direction": "asc"},
    )
    assert [row["model"] for row in cheapest] == ["Anthropic: Claude Sonnet 4", "OpenAI: GPT-4.1"]


def test_filters_take_ids(mock: MockServer) -> None:
    """Filters take the model's slug or permaslug, the key's hash, the workspace's UUID; a hash no key
    has matches nothing, with a warning."""
    slug = rows(
        mock,
        metrics=["total_usage"],
        filters=[{"field": "model", "operator": "eq", "value": "openai/gpt-4.1"}],
        time_range=MONTH,
    )
    perma = rows(
        mock,
        metrics=["total_usage"],
        time_range=MONTH,
        filters=[{"field": "model", "operator": "in", "value": ["openai/gpt-4.1-2025-01-01"]}],
    )
    assert slug == perma
    assert Decimal(0) < total(slug) < total(rows(mock, metrics=["total_usage"], time_range=MONTH))
    answer = ask(
        mock,
        {
            "metrics": ["total_usage"],
            "time_range": MONTH,
            "filters": [{"field": "api_key_id", "operator": "eq", "value": "0" * 64}],
        },
    ).json()
    assert answer["data"]["data"] == []
    assert answer["data"]["warnings"] == [f"Could not resolve api_key_id {'0' * 64!r}: no key of this account has it"]


def test_set_history(mock: MockServer) -> None:
    """A scripted history: analytics answers from all of it, /activity from its 30 days; None restores
    the default year; POST /_mock/history does the same."""
    mock.app.set_history({"2026-02-10": 4.0, "2026-11-20": 1.5})
    assert total(rows(mock, metrics=["total_usage"], time_range=YEAR)) == Decimal("5.5")
    headers = {"Authorization": f"Bearer {MANAGEMENT}"}
    assert [row["usage"] for row in httpx.get(mock.base_url + "/activity", headers=headers).json()["data"]] == [1.5]
    url = mock.base_url.removesuffix("/api/v1") + "/_mock/history"
    state = httpx.post(url, json={"rows": [{"date": "2026-03-01", "usage": 2.0, "model": "x/y"}]}).json()
    assert state["history_rows"] == {MockOpenRouter.label(MANAGEMENT): 1}
    assert total(rows(mock, metrics=["total_usage"], time_range=YEAR)) == Decimal("2")
    mock.app.set_history(None)
    assert total(rows(mock, metrics=["total_usage"], time_range=YEAR)) > Decimal(5)


def test_rate_limit(mock: MockServer) -> None:
    """64 requests a minute (meta and queries together), then 429 as OpenRouter sends it, with
    X-RateLimit-Reset at the minute's end and no Retry-After; the next minute answers again."""
    headers = {"Authorization": f"Bearer {MANAGEMENT}"}
    with httpx.Client(base_url=mock.base_url, headers=headers) as http:
        statuses = [http.get("/analytics/meta").status_code for _ in range(63)]
        statuses.append(http.post("/analytics/query", json={"metrics": ["request_count"]}).status_code)
        assert statuses == [200] * 64
        refused = http.post("/analytics/query", json={"metrics": ["request_count"]})
        assert refused.status_code == 429
        assert refused.json()["error"]["message"] == "Rate limit exceeded"
        reset = int((NOW.timestamp() + 60) * 1000)
        assert (refused.headers["x-ratelimit-remaining"], refused.headers["x-ratelimit-reset"]) == ("0", str(reset))
        assert "retry-after" not in refused.headers
        CLOCK.now = NOW + dt.timedelta(seconds=60)
        assert http.get("/analytics/meta").status_code == 200


def test_management_keys_only(mock: MockServer) -> None:
    """An ordinary key: 403 from both, OpenRouter's message."""
    assert ask(mock, {"metrics": ["total_usage"]}, key=ORDINARY).status_code == 403
    meta = httpx.get(mock.base_url + "/analytics/meta", headers={"Authorization": f"Bearer {ORDINARY}"})
    assert meta.json() == {"error": {"code": 403, "message": "Only management keys can perform this operation"}}
    assert httpx.get(mock.base_url + "/analytics/query").status_code == 405


def test_end_users(mock: MockServer) -> None:
    """The end-user dimension (what requests sent in ``user``): listed by meta as End User, the month's
    rows by it sum to /activity's, requests without one answer null; offered or not as scripted (meta
    and queries alike, from Python or /_mock/options)."""
    headers = {"Authorization": f"Bearer {MANAGEMENT}"}
    meta = httpx.get(mock.base_url + "/analytics/meta", headers=headers).json()["data"]
    assert {"name": "external_user", "display_label": "End User"} in meta["dimensions"]
    by_user = rows(mock, metrics=["total_usage"], dimensions=["external_user"], time_range=MONTH, granularity="month")
    assert {row["external_user"] for row in by_user} == {"user-1042", "user-2213", "user-3371", None}
    assert total(by_user) == total(rows(mock, metrics=["total_usage"], time_range=MONTH))
    answer = httpx.post(
        mock.base_url.removesuffix("/api/v1") + "/_mock/options", json={"analytics_dimensions": ["model", "user"]}
    )
    assert answer.json()["analytics_dimensions"] == ["model", "user"]
    meta = httpx.get(mock.base_url + "/analytics/meta", headers=headers).json()["data"]
    assert [d["name"] for d in meta["dimensions"]] == ["model", "user"]
    refused = ask(mock, {"metrics": ["total_usage"], "dimensions": ["external_user"]})
    assert refused.status_code == 400
    assert "Unknown dimension 'external_user'" in refused.text
    with pytest.raises(ValueError, match="no analytics dimension 'end_user'"):
        mock.app.set_analytics_dimensions(["end_user"])
    mock.app.set_analytics_dimensions(None)
    assert rows(mock, metrics=["total_usage"], dimensions=["external_user"], time_range=MONTH)
