"""Spendable and runway: get_key(), get_activity() and get_balance(), the pure combination behind them
(against hand-computed values, the clock injected), and the spend chart."""

from __future__ import annotations

import asyncio
import datetime as dt
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from helpers import script_figures
from openrouter_credits import (
    Activity,
    AsyncCreditsClient,
    AuthenticationError,
    Balance,
    CreditsClient,
    DailySpend,
    KeyInfo,
    PermissionDeniedError,
    ServerError,
)
from openrouter_credits.cli._output import spend_chart
from openrouter_credits.testing import MockOpenRouter, MockServer, activity_row

MANAGEMENT = "sk-or-v1-bal-SECRET-management-0a1b"
LIMITED = "sk-or-v1-bal-SECRET-limited-2c3d"
UNLIMITED = "sk-or-v1-bal-SECRET-unlimited-4e5f"
SECRETS = (MANAGEMENT, LIMITED, UNLIMITED)
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()


def day(back: int) -> str:
    """The date ``back`` days before TODAY."""
    return (TODAY - dt.timedelta(days=back)).isoformat()


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(
        provisioning_keys={MANAGEMENT: (100.0, 40.0)},
        inference_keys={LIMITED: 10.0, UNLIMITED: None},
        clock=lambda: NOW,
    )
    with MockServer(app) as running:
        yield running


@pytest.fixture(autouse=True)
def _figures(mock: MockServer) -> None:
    script_figures(mock.app, LIMITED, UNLIMITED)


@pytest.fixture
def month(mock: MockServer) -> None:
    """The last 7 days: 1.10, 0 (no rows), 2.20 (two rows), 0.30, 0.40, 0.50, 0.60: $5.10 in all, so
    $0.7285714... a day; earlier days $9.99 each, which the week average must leave out."""
    rows = [activity_row(day(back), 9.99) for back in range(8, 31)]
    rows += [activity_row(day(7), 1.1), activity_row(day(5), 1.2), activity_row(day(5), 1.0, model="b/c")]
    rows += [activity_row(day(back), usage) for back, usage in ((4, 0.3), (3, 0.4), (2, 0.5), (1, 0.6))]
    rows += [activity_row(day(0), 50.0), activity_row(day(31), 50.0)]  # today and before the window: not counted
    mock.app.set_activity(rows)


def balance(mode: str, mock: MockServer, key: str = MANAGEMENT, **options: Any) -> Balance:
    """One get_balance() through a fresh sync or async client, the clock at NOW."""
    options = {"base_url": mock.base_url, "clock": lambda: NOW, "max_retries": 0, **options}
    if mode == "sync":
        with CreditsClient(key, **options) as client:
            return client.get_balance()

    async def main() -> Balance:
        async with AsyncCreditsClient(key, **options) as client:
            return await client.get_balance()

    return asyncio.run(main())


def no_secret_in(value: object) -> None:
    text = repr(value) + str(value)
    for secret in SECRETS:
        assert secret not in text


# --- the combination, by hand -------------------------------------------------------------------


@pytest.mark.usefixtures("month")
def test_management_key(mode: str, mock: MockServer) -> None:
    """Remaining from /credits; spend per day and days left from the forecast of the 30 days: the
    weekday model, whose level the last week alone sets (it departs from the weeks before by far), a
    week without a pattern to tell from noise: $5.10 over 7 days, every day alike."""
    result = balance(mode, mock)
    assert result.remaining == 17.5  # 25.00 bought, 7.50 used (the mock fixture's balance)
    assert result.spendable == 17.5  # a management key has no limit of its own
    assert result.forecast is not None
    assert (result.forecast.method, result.forecast.at) == ("weekday", NOW)
    assert result.spend_per_day == pytest.approx(5.1 / 7, abs=1e-12)
    assert result.days_left == pytest.approx(17.5 / (5.1 / 7), abs=1e-9)
    assert result.days_left_range == result.forecast.days_left(17.5)
    assert result.month_end_spend == result.forecast.month_end_spend()
    assert result.daily_spend is not None
    assert len(result.daily_spend) == 30
    assert result.daily_spend[0] == DailySpend(TODAY - dt.timedelta(days=30), 9.99)
    assert result.daily_spend[-7:] == tuple(
        DailySpend(TODAY - dt.timedelta(days=back), usage)
        for back, usage in ((7, 1.1), (6, 0.0), (5, 2.2), (4, 0.3), (3, 0.4), (2, 0.5), (1, 0.6))
    )
    assert result.unknown == {}
    assert result.errors == {}
    assert result.key is not None
    assert result.key.is_management_key
    assert result.activity is not None
    assert result.activity.total == pytest.approx(23 * 9.99 + 5.1)
    no_secret_in(result)


def test_daily_spend_sums_exactly() -> None:
    """Per date, the sum of usage over its rows as the decimals were written: 0.1 + 0.2 is 0.3."""
    rows = [_Row(day(1), 0.1), _Row(day(1), 0.2), _Row(day(2), 0.7), _Row("not a date", 5.0)]
    activity = Activity(rows, TODAY)  # type: ignore[arg-type]
    assert activity.daily_spend[-1] == DailySpend(TODAY - dt.timedelta(days=1), 0.3)
    assert activity.daily_spend[-2].usage == 0.7
    assert sum(d.usage for d in activity.daily_spend[:-2]) == 0
    assert activity.spend_per_day == 1.0 / 7
    with pytest.raises(AttributeError):
        activity.today = TODAY  # type: ignore[misc]


class _Row:
    def __init__(self, date: str, usage: float) -> None:
        self.date = date
        self.usage = usage


@pytest.mark.parametrize(
    ("now", "first", "last"),
    [
        (dt.datetime(2026, 11, 25, 0, 0, 0, tzinfo=dt.UTC), "2026-10-26", "2026-11-24"),
        (dt.datetime(2026, 11, 24, 23, 59, 59, tzinfo=dt.UTC), "2026-10-25", "2026-11-23"),
        # 01:30 in UTC+2 is still the 24th in UTC: the window is UTC days, whatever the clock's zone
        (dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2026-10-25", "2026-11-23"),
    ],
)
def test_utc_day_boundaries(mock: MockServer, now: dt.datetime, first: str, last: str) -> None:
    """The 30 days are the completed UTC days before the clock's UTC date."""
    mock.app.set_activity({"2026-11-24": 2.0, "2026-11-23": 1.0})
    with CreditsClient(MANAGEMENT, base_url=mock.base_url, clock=lambda: now) as client:
        activity = client.get_activity()
    assert (activity.daily_spend[0].date.isoformat(), activity.daily_spend[-1].date.isoformat()) == (first, last)
    in_window = {d.date.isoformat(): d.usage for d in activity.daily_spend if d.usage}
    assert in_window == ({"2026-11-24": 2.0, "2026-11-23": 1.0} if last == "2026-11-24" else {"2026-11-23": 1.0})


def test_a_week_without_spend_has_no_days_left(mode: str, mock: MockServer) -> None:
    """Spending began 10 days ago (too few for the weekday model) and nothing was spent in the last 7:
    the 7-day average, $0 a day; days left None with the reason, never 0."""
    mock.app.set_activity({day(8): 5.0, day(10): 1.0})
    result = balance(mode, mock)
    assert result.forecast is not None
    assert result.forecast.method == "7-day average"
    assert result.spend_per_day == 0.0
    assert (result.days_left, result.days_left_range) == (None, None)
    reason = "nothing was spent in the last 7 completed days"
    assert result.unknown == {"days_left": reason, "days_left_range": reason}
    assert result.month_end_spend == (6.0, 6.0, 6.0)  # all of it in November, nothing more to come


def test_ordinary_key_with_a_limit(mode: str, mock: MockServer) -> None:
    """Its key view, and spendable at most what its limit leaves (the account's balance, which caps it
    too, is out of its sight); the account's balance and spend: None with reasons."""
    result = balance(mode, mock, key=LIMITED)
    assert result.key is not None
    assert (result.key.limit, result.key.limit_remaining, result.key.is_management_key) == (10.0, 7.5, False)
    assert (result.remaining, result.spendable, result.spend_per_day, result.days_left) == (None, None, None, None)
    assert result.spendable_at_most == 7.5
    assert result.daily_spend is None
    assert result.unknown == {
        "remaining": "the account's balance needs a management (provisioning) key",
        "spendable": "the account's balance needs a management (provisioning) key",
        "daily_spend": "the account's spend needs a management (provisioning) key",
        "spend_per_day": "the account's spend needs a management (provisioning) key",
        "days_left": "the account's balance needs a management (provisioning) key",
        "days_left_range": "the account's balance needs a management (provisioning) key",
        "forecast": "the account's spend needs a management (provisioning) key",
        "month_end_spend": "the account's spend needs a management (provisioning) key",
    }
    assert (result.forecast, result.days_left_range, result.month_end_spend) == (None, None, None)
    assert set(result.errors) == {"credits", "activity"}
    assert all(isinstance(error, PermissionDeniedError) for error in result.errors.values())
    no_secret_in(result)
    no_secret_in(list(result.errors.values()))


def test_ordinary_key_without_a_limit(mode: str, mock: MockServer) -> None:
    """Without a limit the key does not cap: with the balance unknown, spendable is unknown."""
    result = balance(mode, mock, key=UNLIMITED)
    assert result.spendable is None
    assert result.unknown["spendable"] == (
        "this key has no limit, and the account's balance needs a management (provisioning) key"
    )


def test_zero_zero_answer_is_unknown(mode: str, mock: MockServer) -> None:
    """/credits answering 0/0 to a key /key calls ordinary: unknown, not $0."""
    mock.app.zero_credits_for_ordinary_keys = True
    result = balance(mode, mock, key=LIMITED)
    assert (result.credits, result.remaining, result.spendable, result.spendable_at_most) == (None, None, None, 7.5)
    assert result.unknown["remaining"].startswith("OpenRouter answered 0/0")


def test_zero_zero_answer_with_key_failing_is_unknown(mode: str, mock: MockServer) -> None:
    """/credits answering 0/0 while /key fails: which kind of key this is cannot be told, so 0/0 may
    be the answer to a key that is not a management key: unknown, not $0, saying why."""
    mock.app.zero_credits_for_ordinary_keys = True
    mock.app.fail_next(10, status=503, endpoint="key")
    result = balance(mode, mock, key=LIMITED)
    assert (result.credits, result.remaining, result.spendable, result.spendable_at_most) == (None, None, None, None)
    assert result.unknown["remaining"].startswith(
        "OpenRouter answered 0/0, as it does for keys that are not management keys; whether this key is one "
        "could not be told: the key's own limit and usage could not be read: OpenRouter failed to answer (HTTP 503"
    )


def test_spendable_is_the_smaller_known(mode: str, mock: MockServer) -> None:
    """A management key with a limit below the account's remaining can spend only the limit's rest."""
    mock.app.set_key(MANAGEMENT, limit=50.0, usage=45.5)
    result = balance(mode, mock)
    assert (result.remaining, result.spendable) == (17.5, 4.5)
    mock.app.set_key(MANAGEMENT, limit=500.0)
    assert balance(mode, mock).spendable == 17.5


@pytest.mark.parametrize("endpoint", ["credits", "key", "activity"])
def test_one_call_failing_hides_nothing_else(mode: str, mock: MockServer, endpoint: str) -> None:
    """A 503 on one of the three: its part is None with the error, the others answer."""
    mock.app.fail_next(1, status=503, endpoint=endpoint)
    result = balance(mode, mock)
    assert list(result.errors) == [endpoint]
    assert isinstance(result.errors[endpoint], ServerError)
    answered = {"credits": result.credits, "key": result.key, "activity": result.activity}
    assert [name for name, value in answered.items() if value is None] == [endpoint]
    reason = next(iter(result.unknown.values()))
    assert "could not be read: OpenRouter failed to answer (HTTP 503" in reason
    if endpoint == "key":
        # Without the key's view, whether a limit caps it is unknown: spendable is unknown, at most the
        # account's remaining (never the remaining passed off as what the key may spend).
        assert (result.remaining, result.spendable, result.spendable_at_most) == (17.5, None, 17.5)
        assert result.unknown["spendable"].startswith("the key's own limit could not be read: OpenRouter failed")
    if endpoint == "activity":
        assert (result.remaining, result.spend_per_day, result.days_left) == (17.5, None, None)


def test_all_three_failing_raises(mode: str, mock: MockServer) -> None:
    """All three failing: the /key call's error is raised (any key may call it)."""
    for endpoint in ("credits", "key", "activity"):
        mock.app.fail_next(1, status=500 if endpoint == "key" else 502, endpoint=endpoint)
    with pytest.raises(ServerError, match=r"HTTP 500") as info:
        balance(mode, mock)
    assert "/key" in info.value.url


def test_a_401_is_a_401_for_all(mode: str, mock: MockServer) -> None:
    """A key OpenRouter does not accept is an AuthenticationError, not three unknowns."""
    with pytest.raises(AuthenticationError):
        balance(mode, mock, key="sk-or-v1-bal-nobody-9999")
    mock.app.fail_next(1, status=401, endpoint="activity")
    with pytest.raises(AuthenticationError):
        balance(mode, mock)


def test_get_key_and_get_activity(mode: str, mock: MockServer) -> None:
    """get_key() is the generated key model, immutable; get_activity() 403s for an ordinary key."""

    async def both() -> tuple[KeyInfo, Activity]:
        async with AsyncCreditsClient(MANAGEMENT, base_url=mock.base_url, clock=lambda: NOW) as client:
            return await client.get_key(), await client.get_activity()

    if mode == "sync":
        with CreditsClient(MANAGEMENT, base_url=mock.base_url, clock=lambda: NOW) as client:
            key, activity = client.get_key(), client.get_activity()
    else:
        key, activity = asyncio.run(both())
    assert key.is_management_key
    assert key.usage == 0.0  # a management key's own usage: it cannot call models
    with pytest.raises(AttributeError):
        key.usage = 0.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(key)) == key
    assert activity.today == TODAY
    assert len(activity.rows) > 0
    with CreditsClient(LIMITED, base_url=mock.base_url) as client, pytest.raises(PermissionDeniedError) as info:
        client.get_activity()
    assert "may not read the account's activity" in str(info.value)


def test_the_three_calls_run_at_once(mode: str, mock: MockServer) -> None:
    """With 0.3 s of latency on each endpoint, get_balance()'s three calls are answered at the same time
    (it takes about one call, not three)."""
    mock.app.latency = 0.3
    most = 0
    done = threading.Event()

    def watch() -> None:  # the most requests the mock answered at once
        nonlocal most
        while not done.is_set():
            most = max(most, mock.app.in_flight)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        balance(mode, mock)
    finally:
        done.set()
        watcher.join(5)
    assert (len(mock.app.requests), most) == (3, 3)


@pytest.mark.usefixtures("month")
def test_the_one_call_functions(mock: MockServer) -> None:
    """openrouter_credits.get_credits() and get_balance() take the client's options, answer what the
    client's methods answer, and close the client they made (no connection left open)."""
    import inspect

    import openrouter_credits

    options: dict[str, Any] = {"base_url": mock.base_url, "clock": lambda: NOW, "max_retries": 0}
    with CreditsClient(MANAGEMENT, **options) as client:
        expected = client.get_credits(), repr(client.get_balance())
    assert openrouter_credits.get_credits(MANAGEMENT, **options) == expected[0]
    assert repr(openrouter_credits.get_balance(MANAGEMENT, **options)) == expected[1]
    for _ in range(200):  # the server sees the client's connections close
        if mock.open_connections == 0:
            break
        time.sleep(0.01)
    assert mock.open_connections == 0
    for function, returns in ((openrouter_credits.get_credits, "Credits"), (openrouter_credits.get_balance, "Balance")):
        signature = inspect.signature(function)
        assert list(signature.parameters) == list(inspect.signature(CreditsClient).parameters)
        assert signature.return_annotation == returns


def test_balance_is_immutable(mock: MockServer) -> None:
    result = balance("sync", mock)
    with pytest.raises(AttributeError, match="Balance is immutable"):
        result.remaining = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.unknown["x"] = "y"  # type: ignore[index]


# --- the chart ----------------------------------------------------------------------------------

SMALL_MONTH = [
    DailySpend(dt.date(2026, 11, 1), 2.0),
    DailySpend(dt.date(2026, 11, 2), 0.0),
    DailySpend(dt.date(2026, 11, 3), 0.5),
    DailySpend(dt.date(2026, 11, 4), 1.0),
    DailySpend(dt.date(2026, 11, 5), 0.01),
]


def test_chart_in_utf8() -> None:
    """Bars scaled to the largest day (40 cells), eighths of a cell, the amount beside each, the total."""
    assert spend_chart(SMALL_MONTH, unicode=True) == (
        "2026-11-01 $2.00 ████████████████████████████████████████\n"
        "2026-11-02 $0.00\n"
        "2026-11-03 $0.50 ██████████\n"
        "2026-11-04 $1.00 ████████████████████\n"
        "2026-11-05 $0.01 ▎\n"  # 0.2 of a cell: two eighths, the nearest
        "Total $3.51 over 5 days, $0.70 a day on average"
    )


def test_chart_in_ascii() -> None:
    assert spend_chart(SMALL_MONTH, unicode=False) == (
        "2026-11-01 $2.00 ########################################\n"
        "2026-11-02 $0.00\n"
        "2026-11-03 $0.50 ##########\n"
        "2026-11-04 $1.00 ####################\n"
        "2026-11-05 $0.01 #\n"
        "Total $3.51 over 5 days, $0.70 a day on average"
    )


def test_chart_of_a_month_without_spend() -> None:
    quiet = [DailySpend(dt.date(2026, 11, d), 0.0) for d in (1, 2)]
    assert spend_chart(quiet, unicode=True) == (
        "2026-11-01 $0.00\n2026-11-02 $0.00\nTotal $0.00 over 2 days, $0.00 a day on average"
    )


def test_chart_eighths() -> None:
    """A bar of 3/16 of the largest is 7.5 cells: seven full and a half cell."""
    chart = spend_chart([DailySpend(dt.date(2026, 11, 1), 16.0), DailySpend(dt.date(2026, 11, 2), 3.0)], unicode=True)
    assert chart.splitlines()[1] == "2026-11-02  $3.00 ███████▌"


def _handler_with(rows: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, json={"data": rows})


def test_activity_days_follow_the_injected_clock() -> None:
    """get_activity() places the 30 days by the client's clock (no patching of time)."""
    rows = [activity_row("2026-01-31", 1.5)]
    transport = httpx.MockTransport(_handler_with(rows))
    clock = lambda: dt.datetime(2026, 2, 1, tzinfo=dt.UTC)  # noqa: E731
    with httpx.Client(transport=transport) as http, CreditsClient(MANAGEMENT, http_client=http, clock=clock) as client:
        activity = client.get_activity()
    assert activity.daily_spend[-1] == DailySpend(dt.date(2026, 1, 31), 1.5)
    assert activity.daily_spend[0].date == dt.date(2026, 1, 2)
