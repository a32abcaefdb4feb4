"""The mock imitates what the live API sends beyond the document: activity dates in three forms, a
management key's own usage of 0, OpenRouter's own error bodies, and its 429 with X-RateLimit headers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from mocking import NOW, ORDINARY, control, get

from openrouter_credits.testing import ACTIVITY_DATE_FORMATS, FAULT_KINDS, MockOpenRouter, MockServer

#: NOW in milliseconds since the epoch.
NOW_MS = 1_795_599_000_000
DAILY = {"2026-11-20": 1.5, "2026-11-21": 0.25}
WRITTEN = {
    "date": ["2026-11-20", "2026-11-21"],
    "datetime": ["2026-11-20 00:00:00", "2026-11-21 00:00:00"],
    "rfc3339": ["2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"],
}


def dates(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["date"] for row in response.json()["data"]]


# --- activity dates -----------------------------------------------------------------------------


def test_the_three_forms_are_named() -> None:
    """The forms a mock can write dates in."""
    assert list(ACTIVITY_DATE_FORMATS) == ["date", "datetime", "rfc3339"]


@pytest.mark.parametrize("form", list(WRITTEN))
def test_date_form_set_at_run_time(mock: MockServer, form: str) -> None:
    """set_activity_date_format() changes how the next answer writes dates; ?date= still finds the day."""
    mock.app.set_activity(DAILY)
    mock.app.set_activity_date_format(form)
    assert mock.app.activity_date_format == form
    assert dates(get(mock, "/activity")) == WRITTEN[form]
    assert dates(get(mock, "/activity", date="2026-11-21")) == WRITTEN[form][1:]
    assert dates(get(mock, "/activity", date="2026-11-22")) == []
    grouped = get(mock, "/activity", date="2026-11-20", group_by="workspace").json()["data"]
    assert [(row["date"], row["usage"]) for row in grouped] == [(WRITTEN[form][0], 1.5)]


@pytest.mark.parametrize("form", list(WRITTEN))
def test_date_form_through_the_control_api(mock: MockServer, form: str) -> None:
    """POST /_mock/options {"activity_date_format": ...} sets it; the state shows it."""
    mock.app.set_activity(DAILY)
    state = control(mock, "options", {"activity_date_format": form}).json()
    assert state["activity_date_format"] == form
    assert state["zero_credits_for_ordinary_keys"] is False  # the other option is left as it was
    assert dates(get(mock, "/activity")) == WRITTEN[form]


@pytest.mark.parametrize("form", list(WRITTEN))
def test_date_form_chosen_per_mock(form: str) -> None:
    """MockOpenRouter(activity_date_format=...) writes the default month in that form; reset keeps it."""
    app = MockOpenRouter(activity_date_format=form, clock=lambda: NOW)
    app.set_activity(DAILY)

    async def answer() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock/api/v1") as client:
            return await client.get("/activity", headers={"Authorization": f"Bearer {app.provisioning_key}"})

    assert dates(asyncio.run(answer())) == WRITTEN[form]
    app.set_activity_date_format("date" if form != "date" else "datetime")
    app.reset()
    assert app.activity_date_format == form


def test_reset_puts_the_form_back(mock: MockServer) -> None:
    """reset() returns to the form the mock was made with (date, here)."""
    mock.app.set_activity_date_format("rfc3339")
    mock.app.reset()
    assert mock.app.activity_date_format == "date"


@pytest.mark.parametrize("form", ["", "iso", "DATE", None, 1])
def test_an_unknown_form_is_refused(mock: MockServer, form: Any) -> None:
    """An unknown form: ValueError from Python, a 400 with a sentence from the control API."""
    with pytest.raises(ValueError, match="activity_date_format must be one of date, datetime, rfc3339, not "):
        mock.app.set_activity_date_format(form)
    with pytest.raises(ValueError, match="activity_date_format must be one of"):
        MockOpenRouter(activity_date_format=form)
    refused = control(mock, "options", {"activity_date_format": form})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        f"Bad control request: activity_date_format must be one of date, datetime, rfc3339, not {form!r}."
    )
    assert mock.app.activity_date_format == "date"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Bad control request: no option given; the options are zero_credits_for_ordinary_keys, "),
        ({"colour": "red"}, "Bad control request: there is no option 'colour'; the options are "),
        ({"zero_credits_for_ordinary_keys": "yes"}, "Bad control request: zero_credits_for_ordinary_keys must be "),
    ],
)
def test_bad_options(mock: MockServer, body: dict[str, Any], message: str) -> None:
    """The options action refuses an empty body, an unknown option and a wrong type."""
    refused = control(mock, "options", body)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith(message)


@pytest.mark.parametrize("form", list(WRITTEN))
def test_scripted_dates_of_other_forms_are_sent_as_given(mock: MockServer, form: str) -> None:
    """A row scripted with another form of date is sent as given in every form; ?date= finds its UTC day."""
    mock.app.set_activity(
        [
            {"date": "2026-11-21T01:00:00+02:00", "usage": 1.0},  # 23:00 UTC on the 20th
            {"date": "2026-11-21 08:00:00", "usage": 2.0},
            {"date": "12/06/2026", "usage": 3.0},
            {"date": "2026-11-21", "usage": 4.0},
        ]
    )
    mock.app.set_activity_date_format(form)
    given = ["2026-11-21T01:00:00+02:00", "2026-11-21 08:00:00", "12/06/2026"]
    assert dates(get(mock, "/activity")) == [*given, WRITTEN[form][1]]
    assert dates(get(mock, "/activity", date="2026-11-20")) == ["2026-11-21T01:00:00+02:00"]
    assert dates(get(mock, "/activity", date="2026-11-21")) == ["2026-11-21 08:00:00", WRITTEN[form][1]]
    assert dates(get(mock, "/activity", date="12/06/2026")) == []


def test_a_row_date_must_be_a_string(mock: MockServer) -> None:
    """A row's date that is not a string is refused when scripted (daily still takes YYYY-MM-DD only)."""
    with pytest.raises(ValueError, match="an activity row's date must be a string, not 20261121"):
        mock.app.set_activity([{"date": 20261121, "usage": 1.0}])
    with pytest.raises(ValueError, match=r"'2026-11-21 00:00:00' is not a date \(YYYY-MM-DD\)"):
        mock.app.set_activity({"2026-11-21 00:00:00": 1.0})


def test_undocumented_row_fields_are_sent(mock: MockServer) -> None:
    """Fields a scripted row adds (byok_requests, variant, ...) are sent with the documented ones."""
    extra = {"byok_requests": 2, "variant": "free", "total_cost": 0.5, "cached_tokens": 10}
    mock.app.set_activity([{"date": "2026-11-21", "usage": 0.5, **extra}])
    (row,) = get(mock, "/activity").json()["data"]
    assert {name: row[name] for name in extra} == extra
    assert (row["date"], row["usage"], row["requests"]) == ("2026-11-21", 0.5, 1)


# --- keys and OpenRouter's error bodies ---------------------------------------------------------


def test_a_management_key_reports_no_usage_of_its_own(mock: MockServer) -> None:
    """GET /key of a management key: usage 0 in every period, whatever the account has spent."""
    data = get(mock, "/key").json()["data"]
    own = {name: data[name] for name in ("usage", "usage_daily", "usage_weekly", "usage_monthly")}
    assert own == {"usage": 0.0, "usage_daily": 0.0, "usage_weekly": 0.0, "usage_monthly": 0.0}
    assert (data["is_management_key"], data["limit"], data["limit_remaining"]) == (True, None, None)
    assert get(mock, "/credits").json() == {"data": {"total_credits": 25.0, "total_usage": 7.5}}
    assert mock.app.key_view().usage == 0.0


def test_an_unknown_key_is_user_not_found(mock: MockServer) -> None:
    """401 with OpenRouter's body for a key it does not know, on each endpoint."""
    for path in ("/credits", "/key", "/activity"):
        answer = get(mock, path, key="sk-or-v1-mockshapes-nobody")
        assert (answer.status_code, answer.json()) == (401, {"error": {"code": 401, "message": "User not found."}})


def test_ordinary_keys_are_refused_in_openrouter_s_words(mock: MockServer) -> None:
    """403 on /activity and /credits for a key that is not a management key, each with its sentence."""
    activity = get(mock, "/activity", key=ORDINARY)
    assert (activity.status_code, activity.json()) == (
        403,
        {"error": {"code": 403, "message": "Only management keys can fetch activity for an account"}},
    )
    credits = get(mock, "/credits", key=ORDINARY)
    assert (credits.status_code, credits.json()) == (
        403,
        {"error": {"code": 403, "message": "Only management keys can perform this operation"}},
    )


RATE_LIMITED = {
    "error": {"code": 429, "message": "Rate limit exceeded", "metadata": {"error_type": "rate_limit_exceeded"}}
}


def rate_limit_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("x-ratelimit-")}


def test_rate_limit_fault(mock: MockServer) -> None:
    """fail_next(status=429, rate_limit_reset=30): OpenRouter's 429, reset 30 s after the mock's now, no Retry-After."""
    mock.app.fail_next(status=429, rate_limit_reset=30, endpoint="activity")
    answer = get(mock, "/activity")
    assert (answer.status_code, answer.json()) == (429, RATE_LIMITED)
    assert rate_limit_headers(answer) == {
        "x-ratelimit-limit": "20",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(NOW_MS + 30_000),
    }
    assert "retry-after" not in answer.headers
    assert answer.headers["content-type"] == "application/json"
    assert get(mock, "/activity").status_code == 200  # one response only
    assert [status for _, _, status in mock.app.requests] == [429, 200]


def test_rate_limit_fault_kind(mock: MockServer) -> None:
    """inject("rate-limit"): 60 s to the reset by default, fractions of a second in whole ms, any endpoint."""
    mock.app.inject("rate-limit", count=2, endpoint="key")
    mock.app.inject("rate-limit", rate_limit_reset=1.5)
    first, second = get(mock, "/key"), get(mock, "/key")
    assert [rate_limit_headers(r)["x-ratelimit-reset"] for r in (first, second)] == [str(NOW_MS + 60_000)] * 2
    credits = get(mock, "/credits")
    assert (credits.status_code, credits.json()) == (429, RATE_LIMITED)
    assert rate_limit_headers(credits)["x-ratelimit-reset"] == str(NOW_MS + 1_500)
    assert "rate-limit" in FAULT_KINDS


def test_rate_limit_fault_with_retry_after(mock: MockServer) -> None:
    """Retry-After comes only when asked for, beside the X-RateLimit headers."""
    mock.app.fail_next(status=429, rate_limit_reset=5, retry_after=2)
    answer = get(mock, "/credits")
    assert (answer.headers["retry-after"], answer.headers["x-ratelimit-reset"]) == ("2", str(NOW_MS + 5_000))


def test_rate_limit_fault_through_the_control_api(mock: MockServer) -> None:
    """POST /_mock/faults {"kind": "rate-limit", "rate_limit_reset": 30} queues it; the state shows it."""
    state = control(mock, "faults", {"kind": "rate-limit", "rate_limit_reset": 30, "endpoint": "activity"}).json()
    assert state["pending_faults"] == [
        {"endpoint": "activity", "kind": "rate-limit", "status": None, "retry_after": None, "rate_limit_reset": 30.0}
    ]
    answer = get(mock, "/activity")
    assert (answer.status_code, rate_limit_headers(answer)["x-ratelimit-reset"]) == (429, str(NOW_MS + 30_000))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda app: app.fail_next(status=503, rate_limit_reset=1), "a rate-limit fault answers 429, not 503"),
        (lambda app: app.inject("status", rate_limit_reset=1), "rate_limit_reset is for the rate-limit fault"),
        (lambda app: app.inject("rate-limit", rate_limit_reset=-1), "rate_limit_reset must be 0 or more seconds"),
        (
            lambda app: app.inject("rate-limit", rate_limit_reset=float("nan")),
            "rate_limit_reset must be 0 or more seconds",
        ),
    ],
)
def test_rate_limit_fault_refuses_nonsense(call: Any, message: str) -> None:
    """A reset on another kind of fault, another status or a negative reset is refused."""
    app = MockOpenRouter()
    with pytest.raises(ValueError, match=message):
        call(app)
    assert app.pending_faults == []
