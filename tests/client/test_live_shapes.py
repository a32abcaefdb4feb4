"""What the live API sends beyond the document, through the library: activity dates with a time part
(YYYY-MM-DD HH:MM:SS, RFC 3339), undocumented row fields, a management key's own usage of 0, and
OpenRouter's own error bodies; against the live mock with the clock injected, sync and async."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import account_mock, client_call
from openrouter_credits import (
    Activity,
    AuthenticationError,
    Balance,
    Credits,
    DailySpend,
    KeyInfo,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
)
from openrouter_credits._activity import utc_date
from openrouter_credits._call.operations import ACTIVITY
from openrouter_credits.testing import MockServer, activity_row
from openrouter_credits_client import AuthenticatedClient
from openrouter_credits_client.api.analytics import get_user_activity
from openrouter_credits_client.models import GetUserActivityResponse200

MANAGEMENT = "sk-or-v1-live-SECRET-management-8c2e"
ORDINARY = "sk-or-v1-live-SECRET-ordinary-3f9a"
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
#: The documented fields of an activity row, and the four the live API adds.
UNDOCUMENTED = {"byok_requests": 2, "variant": "free", "total_cost": 0.5, "cached_tokens": 10}


def day(back: int) -> str:
    """The date ``back`` days before TODAY, YYYY-MM-DD."""
    return (TODAY - dt.timedelta(days=back)).isoformat()


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with account_mock(MANAGEMENT, ORDINARY, lambda: NOW) as running:
        yield running


def activity(mode: str, mock: MockServer, key: str = MANAGEMENT, **options: Any) -> Activity:
    """One get_activity() through a fresh sync or async client, the clock at NOW."""
    return client_call(mode, key, "get_activity", {"base_url": mock.base_url, "clock": lambda: NOW, **options})


def balance(mode: str, mock: MockServer, key: str = MANAGEMENT) -> Balance:
    """One get_balance() through a fresh sync or async client, the clock at NOW."""
    return client_call(mode, key, "get_balance", {"base_url": mock.base_url, "clock": lambda: NOW, "max_retries": 0})


def key_info(mode: str, mock: MockServer, key: str = MANAGEMENT) -> KeyInfo:
    """One get_key() through a fresh sync or async client."""
    return client_call(mode, key, "get_key", {"base_url": mock.base_url})


def activity_requests(mock: MockServer) -> list[int]:
    """The statuses of the /activity requests the mock served."""
    return [status for _, path, status in mock.app.requests if path.endswith("/activity")]


# --- the three date forms ------------------------------------------------------------------------

#: The last 7 completed days: 1.50, 1.00 (two rows), 0, 2.00, 0, 0, 2.50: $7.00, $1.00 a day. The 8th
#: day back ($9.00) is in the 30 days but not the week; today ($50.00) is in neither.
WEEK_ROWS = [
    (day(7), 1.5),
    (day(6), 0.25),
    (day(6), 0.75),
    (day(4), 2.0),
    (day(1), 2.5),
    (day(8), 9.0),
    (day(0), 50.0),
]


@pytest.mark.parametrize(
    ("form", "written"),
    [("date", "2026-11-24"), ("datetime", "2026-11-24 00:00:00"), ("rfc3339", "2026-11-24T00:00:00Z")],
)
def test_each_date_form_counts_each_day(mode: str, mock: MockServer, form: str, written: str) -> None:
    """YYYY-MM-DD, YYYY-MM-DD HH:MM:SS and RFC 3339 dates give the same days: $7.00 over the week."""
    mock.app.set_activity([activity_row(date, usage, model=f"m/{i}") for i, (date, usage) in enumerate(WEEK_ROWS)])
    mock.app.set_activity_date_format(form)
    result = activity(mode, mock)
    assert result.rows[4].date == written  # the row of the day before TODAY, as the mock wrote it
    assert result.spend_per_day == 1.0
    assert result.total == 16.0
    assert result.daily_spend[-8:] == tuple(
        DailySpend(TODAY - dt.timedelta(days=back), usage)
        for back, usage in ((8, 9.0), (7, 1.5), (6, 1.0), (5, 0.0), (4, 2.0), (3, 0.0), (2, 0.0), (1, 2.5))
    )


def test_offsets_count_for_their_utc_day(mode: str, mock: MockServer) -> None:
    """An RFC 3339 date with an offset counts for its UTC date, fractions and lower case included."""
    mock.app.set_activity(
        [
            {"date": "2026-11-24T23:30:00-02:00", "usage": 50.0},  # 01:30 UTC on the 25th: today
            {"date": "2026-11-25T01:00:00+02:00", "usage": 1.25},  # 23:00 UTC on the 24th
            {"date": "2026-11-18T00:15:00+00:30", "usage": 3.0},  # 23:45 UTC on the 17th: not this week
            {"date": "2026-11-18 12:00:00", "usage": 0.5},
            {"date": "2026-11-19t00:00:00.250z", "usage": 0.25},
            {"date": "2026-11-23", "usage": 1.0},
        ]
    )
    result = activity(mode, mock)
    assert result.spend_per_day == 3.0 / 7  # 1.25 + 0.50 + 0.25 + 1.00
    spent = {d.date.isoformat(): d.usage for d in result.daily_spend if d.usage}
    assert spent == {"2026-11-17": 3.0, "2026-11-18": 0.5, "2026-11-19": 0.25, "2026-11-23": 1.0, "2026-11-24": 1.25}


# --- a date of no known form --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "12/06/2026",
        "2026-11-24T00:00:00",  # a time after T without a zone
        "2026-02-30",
        "2026-11-24 24:00:00",
        "20261124",
        "",
    ],
)
def test_a_bad_date_is_an_invalid_answer(mode: str, mock: MockServer, bad: str) -> None:
    """Any other date: ResponseValidationError naming data[3].date and the value; not retried."""
    rows = [activity_row(day(back), 1.0) for back in (1, 2, 3)] + [{"date": bad, "usage": 1.0}]
    mock.app.set_activity(rows)
    with pytest.raises(ResponseValidationError) as info:
        activity(mode, mock, max_retries=2)
    expected = (
        f"OpenRouter sent HTTP 200 for the account's activity but data[3].date is {bad!r}, not a date "
        "(YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339). Check base_url, or try again later. (request id mock-"
    )
    assert str(info.value).startswith(expected)
    assert re.fullmatch(r"\d{8}\)", str(info.value).removeprefix(expected))
    assert info.value.status_code == 200
    assert activity_requests(mock) == [200]


def test_a_long_bad_date_is_quoted_in_part(mock: MockServer) -> None:
    """A long value is cut at 64 characters in the message."""
    mock.app.set_activity([{"date": "x" * 500, "usage": 1.0}])
    with pytest.raises(ResponseValidationError) as info:
        activity("sync", mock)
    assert f"data[0].date is {'x' * 64!r}…, not a date" in str(info.value)


def test_get_balance_with_a_bad_date(mode: str, mock: MockServer) -> None:
    """A bad date leaves the spend unknown with the reason, never 0; the balance is still known."""
    mock.app.set_activity([activity_row(day(1), 1.0), activity_row(day(2), 1.0), {"date": "24.11.2026", "usage": 1}])
    result = balance(mode, mock)
    assert (result.remaining, result.spendable) == (17.5, 17.5)
    assert (result.spend_per_day, result.days_left, result.daily_spend, result.activity) == (None, None, None, None)
    assert list(result.errors) == ["activity"]
    error = result.errors["activity"]
    assert isinstance(error, ResponseValidationError)
    reason = f"the account's spend could not be read: {error}"
    projected = ("spend_per_day", "days_left", "days_left_range", "forecast", "month_end_spend")
    assert result.unknown == {"daily_spend": reason, **dict.fromkeys(projected, reason)}
    assert "data[2].date is '24.11.2026', not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339)" in reason


# --- undocumented row fields --------------------------------------------------------------------


def test_undocumented_row_fields_through_the_library(mode: str, mock: MockServer) -> None:
    """byok_requests, variant, total_cost and cached_tokens are accepted and change nothing."""
    mock.app.set_activity(
        [{**activity_row(day(1), 0.7), **UNDOCUMENTED}, {**activity_row(day(2), 0.7), **UNDOCUMENTED}]
    )
    mock.app.set_activity_date_format("datetime")
    result = activity(mode, mock)
    assert result.spend_per_day == 0.2
    assert [row.additional_properties for row in result.rows] == [UNDOCUMENTED, UNDOCUMENTED]


def test_undocumented_row_fields_in_the_generated_package() -> None:
    """The generated endpoint alone parses and validates a row with the four fields, dated as live."""
    row = {**activity_row("2026-06-12 00:00:00", 0.015), **UNDOCUMENTED}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [row]})

    client = AuthenticatedClient(
        base_url="https://openrouter.test/api/v1",
        token=MANAGEMENT,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    with client:
        response = get_user_activity.sync_detailed(client=client)
    assert response.status_code == 200
    assert isinstance(response.parsed, GetUserActivityResponse200)
    (parsed,) = response.parsed.data
    assert (parsed.date, parsed.usage, parsed.requests) == ("2026-06-12 00:00:00", 0.015, 1)
    assert parsed.additional_properties == UNDOCUMENTED


# --- a management key's own usage ---------------------------------------------------------------


def test_a_management_key_uses_nothing_itself(mode: str, mock: MockServer) -> None:
    """/key of a management key: usage 0 in every period; the account's usage is /credits'."""
    info = key_info(mode, mock)
    assert info.is_management_key
    assert (info.usage, info.usage_daily, info.usage_weekly, info.usage_monthly) == (0.0, 0.0, 0.0, 0.0)
    assert (info.limit, info.limit_remaining) == (None, None)
    assert balance(mode, mock).credits == Credits(total_credits=25.0, total_usage=7.5)


# --- OpenRouter's own error bodies --------------------------------------------------------------


def test_an_unknown_key_is_user_not_found(mode: str, mock: MockServer) -> None:
    """401 "User not found." reaches the error's message."""
    with pytest.raises(AuthenticationError) as info:
        key_info(mode, mock, key="sk-or-v1-live-nobody-0000")
    assert info.value.message == "User not found."
    assert str(info.value).startswith("OpenRouter did not accept the API key (HTTP 401: User not found). ")


def test_activity_for_an_ordinary_key(mode: str, mock: MockServer) -> None:
    """403 on /activity carries OpenRouter's own sentence."""
    with pytest.raises(PermissionDeniedError) as info:
        activity(mode, mock, key=ORDINARY)
    assert info.value.message == "Only management keys can fetch activity for an account"
    assert str(info.value).startswith(
        "This key may not read the account's activity (HTTP 403: Only management keys can fetch activity for an "
        "account). That needs a provisioning (management) key"
    )


def test_a_rate_limit_message(mode: str, mock: MockServer) -> None:
    """A 429 as OpenRouter sends it: its message reaches the RateLimitError."""
    mock.app.fail_next(status=429, rate_limit_reset=30, endpoint="activity")
    with pytest.raises(RateLimitError) as info:
        activity(mode, mock, max_retries=0)
    assert info.value.message == "Rate limit exceeded"
    assert "(HTTP 429: Rate limit exceeded)" in str(info.value)


# --- the date rule and its cost -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-06-12", "2026-06-12"),
        ("2026-06-12 00:00:00", "2026-06-12"),
        ("2026-06-12 23:59:59", "2026-06-12"),
        ("2026-06-12T00:00:00Z", "2026-06-12"),
        ("2026-06-12t23:59:60z", "2026-06-12"),  # a leap second
        ("2026-06-12T00:00:00.123456Z", "2026-06-12"),
        ("2026-06-12 10:00:00+00:00", "2026-06-12"),
        ("2026-06-12T23:30:00-02:00", "2026-06-13"),
        ("2026-06-12T00:30:00+01:00", "2026-06-11"),
        ("2026-12-31T23:00:00-01:00", "2027-01-01"),
    ],
)
def test_utc_date_forms(text: str, utc: str) -> None:
    """The three forms, and an offset moving the UTC date either way."""
    assert utc_date(text) == dt.date.fromisoformat(utc)


@pytest.mark.parametrize(
    "text",
    [
        "12/06/2026",
        "2026-06-12T00:00:00",
        "2026-06-12 00:00:00.5",
        "2026-06-12 00:00",
        "2026-06-12 ",
        "2026-6-12",
        "20260612",
        "2026-W24-5",
        "2026-02-29",
        "2026-06-12 24:00:00",
        "2026-06-12T00:60:00Z",
        "2026-06-12T00:00:00+24:00",
        "2026-06-12T00:00:00+0100",
        "0001-01-01T00:00:00+01:00",
        "\uff12\uff10\uff12\uff16-06-12",  # digits, but not ASCII ones
    ],
)
def test_utc_date_refuses_other_forms(text: str) -> None:
    """Anything else is a ValueError that quotes the value."""
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        utc_date(text)


def test_six_thousand_rows_dated_as_the_live_api_dates_them() -> None:
    """30 days x 200 models, dated as the live API dates them, all convert, each to its day (how fast:
    "get_activity() for a heavy account" in make bench)."""
    rows = [
        activity_row(f"{day(back)} 00:00:00", 0.0001 * model, model=f"vendor/model-{model}")
        for back in range(1, 31)
        for model in range(200)
    ]
    parsed = GetUserActivityResponse200.from_dict(json.loads(json.dumps({"data": rows})))
    dated = ACTIVITY.result(parsed)
    assert len(dated) == 6000
    assert set(dated.dates) == {TODAY - dt.timedelta(days=back) for back in range(1, 31)}


def test_activity_from_rows_of_its_own() -> None:
    """Activity built directly from rows reads every form; a date of no known form counts for no day."""
    rows = [
        GetUserActivityResponse200.from_dict({"data": [activity_row(date, usage)]}).data[0]
        for date, usage in (("2026-11-24 00:00:00", 0.5), ("2026-11-23T22:00:00-03:00", 0.25), ("24/11/2026", 9.0))
    ]
    result = Activity(rows, TODAY)
    assert result.daily_spend[-1] == DailySpend(dt.date(2026, 11, 24), 0.75)
    assert result.total == 0.75
