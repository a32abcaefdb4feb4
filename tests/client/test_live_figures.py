"""An account in debt, and key limits that reset daily, weekly or monthly: the pure combination and the
window arithmetic, against hand-computed values (the clock injected)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import key_data, key_info
from openrouter_credits import Activity, Balance, Credits, CreditsClient
from openrouter_credits._apps.metrics import balance_metrics, exposition
from openrouter_credits._combine import combine
from openrouter_credits._windows import next_reset
from openrouter_credits.cli._output import balance_json, balance_table

TODAY = dt.date(2026, 11, 25)
#: The balances' time: the forecast's "now" (its days are the completed ones before TODAY).
NOON = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)


class _Row:
    def __init__(self, date: str, usage: float) -> None:
        self.date = date
        self.usage = usage


def week_of(usage: float) -> Activity:
    """``usage`` dollars spent on each of the 7 completed days before TODAY."""
    rows = [_Row((TODAY - dt.timedelta(days=back)).isoformat(), usage) for back in range(1, 8)]
    return Activity(rows, TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("credits", "usage", "per_day", "remaining", "days_left"),
    [
        (25.0, 25.5, 1.0, -0.5, 0.0),  # in debt
        (25.0, 25.5, 0.0, -0.5, 0.0),  # in debt, nothing spent: still no days left
        (25.0, 25.0, 0.0, 0.0, 0.0),  # nothing left
        (25.0, 24.0, 0.5, 1.0, 2.0),
    ],
)
def test_debt_leaves_no_days(credits: float, usage: float, per_day: float, remaining: float, days_left: float) -> None:
    """Usage above credits: remaining negative, as it is; days left 0, whatever the pace."""
    balance = combine(Credits(total_credits=credits, total_usage=usage), None, week_of(per_day), {}, NOON)
    assert (balance.remaining, balance.days_left) == (remaining, days_left)
    assert "days_left" not in balance.unknown


# --- key limit windows --------------------------------------------------------------------------


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("period", "now", "expected"),
    [
        # daily: the next 00:00 UTC, across midnight and at it
        ("daily", utc(2026, 11, 25, 18, 48), utc(2026, 11, 26)),
        ("daily", utc(2026, 11, 25, 23, 59, 59), utc(2026, 11, 26)),
        ("daily", utc(2026, 11, 26, 0, 0, 0), utc(2026, 11, 27)),
        ("daily", utc(2026, 11, 26, 0, 0, 1), utc(2026, 11, 27)),
        # weekly: Monday 00:00 UTC; 2026-11-29 is a Sunday, 2026-11-30 a Monday
        ("weekly", utc(2026, 11, 29, 23, 59), utc(2026, 11, 30)),
        ("weekly", utc(2026, 11, 30, 0, 0), utc(2026, 12, 7)),
        ("weekly", utc(2026, 11, 30, 9, 0), utc(2026, 12, 7)),
        ("weekly", utc(2026, 11, 25, 12, 0), utc(2026, 11, 30)),  # a Wednesday
        # monthly: the 1st, 00:00 UTC, across the end of January and of the year
        ("monthly", utc(2026, 1, 31, 23, 0), utc(2026, 2, 1)),
        ("monthly", utc(2026, 2, 1, 0, 0), utc(2026, 3, 1)),
        ("monthly", utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1)),
        ("monthly", utc(2027, 1, 1, 0, 0), utc(2027, 2, 1)),
        ("monthly", utc(2028, 2, 29, 12, 0), utc(2028, 3, 1)),
        # a clock in another zone: 01:30 on the 26th in UTC+2 is 23:30 on the 25th in UTC
        ("daily", dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), utc(2026, 11, 26)),
        # a Sunday 23:30 in UTC-5 is Monday 04:30 in UTC: the week has already turned
        ("weekly", dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))), utc(2026, 12, 7)),
        ("daily", dt.datetime(2026, 11, 25, 18, 48), utc(2026, 11, 26)),  # naive: taken as UTC
        # no reset, or one this version does not know
        (None, utc(2026, 11, 25), None),
        ("yearly", utc(2026, 11, 25), None),
        ("Daily", utc(2026, 11, 25, 3), utc(2026, 11, 26)),
    ],
)
def test_next_reset(period: str | None, now: dt.datetime, expected: dt.datetime | None) -> None:
    """(limit_reset, now) -> the next 00:00 UTC of the window, by hand."""
    reset = next_reset(period, now)
    assert reset == expected
    if reset is not None:
        assert reset.tzinfo is dt.UTC


def test_a_key_without_a_limit_never_resets() -> None:
    assert key_info(limit_reset="daily").resets_at(utc(2026, 11, 25)) is None
    assert key_info(limit=30.0, limit_remaining=12.0, limit_reset="daily").resets_at(utc(2026, 11, 25)) == utc(
        2026, 11, 26
    )
    assert key_info(limit=30.0, limit_remaining=12.0).resets_at(utc(2026, 11, 25)) is None


NOW = utc(2026, 11, 25, 18, 48)  # 5 h 12 m before midnight UTC


def live_api(limit_reset: str | None = "daily", **key: Any) -> Callable[[httpx.Request], httpx.Response]:
    """A handler for the three calls: a management key limited to $30.00 a day, $12.00 of it left."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/credits"):
            return httpx.Response(200, json={"data": {"total_credits": 100.0, "total_usage": 40.0}})
        if path.endswith("/activity"):
            return httpx.Response(200, json={"data": []})
        data = key_data(is_management_key=True, limit=30.0, limit_remaining=12.0, limit_reset=limit_reset, **key)
        return httpx.Response(200, json={"data": data})

    return handler


def balance_at(now: dt.datetime, handler: Callable[[httpx.Request], httpx.Response]) -> Balance:
    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        CreditsClient("sk-or-v1-windows-SECRET-0000", http_client=http, clock=lambda: now) as client,
    ):
        return client.get_balance()


def test_the_balance_carries_the_time_of_its_answer() -> None:
    """Balance.at is the client's clock, in UTC; the key's next reset is measured from it."""
    balance = balance_at(NOW, live_api())
    assert balance.at == NOW
    assert balance.key is not None
    assert balance.key.resets_at(balance.at) == utc(2026, 11, 26)
    east = dt.datetime(2026, 11, 25, 20, 48, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert balance_at(east, live_api()).at == NOW


@pytest.mark.parametrize(
    ("now", "period", "row"),
    [
        (NOW, "daily", "$30.00  ($12.00 left; resets daily, in 5 h 12 m)"),
        (utc(2026, 11, 25, 23, 59, 30), "daily", "$30.00  ($12.00 left; resets daily, in less than 1 m)"),
        (utc(2026, 11, 29, 23, 53), "weekly", "$30.00  ($12.00 left; resets weekly, in 7 m)"),
        (utc(2026, 11, 30, 0, 0), "weekly", "$30.00  ($12.00 left; resets weekly, in 7 d 0 h)"),
        (utc(2026, 1, 31, 21, 30), "monthly", "$30.00  ($12.00 left; resets monthly, in 2 h 30 m)"),
        (utc(2026, 12, 30, 22, 15), "monthly", "$30.00  ($12.00 left; resets monthly, in 1 d 1 h)"),
        (NOW, None, "$30.00  ($12.00 left)"),
        (NOW, "yearly", "$30.00  ($12.00 left; resets yearly)"),
    ],
)
def test_the_table_shows_the_window(now: dt.datetime, period: str | None, row: str) -> None:
    """The Key limit row: the limit, what is left, the window and the time to its end."""
    table = balance_table(balance_at(now, live_api(period)))
    (line,) = [line for line in table.splitlines() if line.startswith("Key limit")]
    assert line.split(None, 2)[2] == row


def test_json_and_prometheus_show_the_next_reset() -> None:
    """--json: key.limit_reset and key.resets_at (RFC 3339); Prometheus: its Unix time."""
    balance = balance_at(NOW, live_api())
    key = balance_json(balance)["key"]
    assert (key["limit_reset"], key["resets_at"]) == ("daily", "2026-11-26T00:00:00Z")
    samples = {f.name: f.samples for f in balance_metrics(balance, {}, up=True, last_success=None)}
    assert samples["openrouter_credits_key_limit_reset_timestamp_seconds"] == [({}, 1795651200.0)]
    assert "openrouter_credits_key_limit_reset_timestamp_seconds" in exposition(
        balance_metrics(balance, {}, up=True, last_success=None)
    )


def test_no_reset_is_null_and_absent() -> None:
    balance = balance_at(NOW, live_api(None))
    key = balance_json(balance)["key"]
    assert (key["limit_reset"], key["resets_at"]) == (None, None)
    assert "key_limit_reset" not in exposition(balance_metrics(balance, {}, up=True, last_success=None))


def test_byok_shows_where_it_counts() -> None:
    """BYOK usage: a row when there is some or it counts in the limit; always in JSON."""
    plain = balance_at(NOW, live_api())
    assert "BYOK" not in balance_table(plain)
    assert (balance_json(plain)["key"]["byok_usage"], balance_json(plain)["key"]["include_byok_in_limit"]) == (0, False)
    used = balance_table(balance_at(NOW, live_api(byok_usage=17.38)))
    assert used.splitlines()[-1].split(None, 2)[2] == "$17.38  (not counted in the key's limit)"
    counted = balance_table(balance_at(NOW, live_api(include_byok_in_limit=True)))
    assert counted.splitlines()[-1].split(None, 2)[2] == "$0.00  (counted in the key's limit)"
