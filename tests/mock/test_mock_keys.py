"""The mock's GET /keys: pages of 100 by offset, include_disabled, workspace_id, generated and scripted
keys (Python and POST /_mock/keys), the 429 fault on "keys", and /activity per key hash."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from mocking import MANAGEMENT, ORDINARY, get

from openrouter_credits import CreditsClient, RateLimitError
from openrouter_credits.testing import MockOpenRouter, MockServer, activity_row

OTHER = "00000000-0000-4000-8000-000000000001"


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [key["name"] for key in response.json()["data"]]


def test_default_listing_is_the_ordinary_keys(mock: MockServer) -> None:
    """Without a script, /keys lists the mock's ordinary keys, their secret nowhere in it."""
    response = get(mock, "/keys")
    assert len(names(response)) == 1
    assert ORDINARY not in response.text
    assert response.json()["data"][0]["usage"] == get(mock, "/key", key=ORDINARY).json()["data"]["usage"] > 0


def test_a_key_has_one_label(mock: MockServer) -> None:
    """/key's label for the ordinary key is the label /keys lists it with, in OpenRouter's form, and no
    part of the key."""
    (listed,) = get(mock, "/keys").json()["data"]
    own = get(mock, "/key", key=ORDINARY).json()["data"]
    assert own["label"] == listed["label"]
    assert re.fullmatch(r"sk-or-v1-[0-9a-f]{3}\.\.\.[0-9a-f]{4}", own["label"])
    assert own["label"][9:12] not in ORDINARY.removeprefix("sk-or-v1-")


def test_provider_names_as_openrouter_writes_them(mock: MockServer) -> None:
    """An activity row's provider_name is OpenRouter's own spelling (OpenAI, not Openai)."""
    rows = get(mock, "/activity").json()["data"]
    assert {row["provider_name"] for row in rows} == {"OpenAI", "Anthropic"}


def test_pages_of_100(mock: MockServer) -> None:
    """250 keys: offsets 0, 100 and 200 give 100, 100 and 50; beyond, none."""
    mock.app.set_keys([{"name": f"k{i:03d}"} for i in range(250)])
    assert names(get(mock, "/keys")) == [f"k{i:03d}" for i in range(100)]
    assert names(get(mock, "/keys", offset="200")) == [f"k{i:03d}" for i in range(200, 250)]
    assert names(get(mock, "/keys", offset="250")) == []
    assert get(mock, "/keys", offset="-1").status_code == 400
    assert get(mock, "/keys", limit="5").status_code == 400


def test_generated_keys(mock: MockServer) -> None:
    """add_keys(1000): deterministic; disabled ones only with include_disabled; workspace_id filters."""
    mock.app.add_keys(1000)
    first = mock.app.listed_keys()
    mock.app.reset()
    mock.app.add_keys(1000)
    assert mock.app.listed_keys() == first
    disabled = sum(key["disabled"] for key in first)
    assert disabled == 59
    with CreditsClient(MANAGEMENT, base_url=mock.base_url) as client:
        assert len(client.list_keys()) == 1000 - disabled
        assert len(client.list_keys(include_disabled=True)) == 1000
        other = client.list_keys(include_disabled=True, workspace_id=OTHER)
    assert len(other) == 100
    assert {key.workspace_id for key in other} == {OTHER}
    limits = {(key["limit"] is None, key["limit_reset"]) for key in first}
    assert limits == {(True, None), (False, "daily"), (False, "weekly"), (False, "monthly"), (False, None)}
    assert any(key["expires_at"] for key in first)
    assert get(mock, "/keys", workspace_id="not-a-uuid").status_code == 400


def test_control_api(mock: MockServer) -> None:
    """POST /_mock/keys sets or adds keys; the state counts them; a bad body is a 400."""
    url = mock.base_url.removesuffix("/api/v1") + "/_mock/keys"
    state = httpx.post(url, json={"keys": [{"name": "a", "limit": 10, "usage_daily": 4, "limit_reset": "daily"}]})
    assert state.json()["listed_keys"] == 1
    assert get(mock, "/keys").json()["data"][0]["limit_remaining"] == 6.0
    assert httpx.post(url, json={"add": 5}).json()["listed_keys"] == 6
    assert httpx.post(url, json={}).status_code == 400
    assert httpx.post(url, json={"keys": [{"label": "no name"}]}).status_code == 400


def test_ordinary_key_and_fault(mock: MockServer) -> None:
    """An ordinary key gets the document's 401; a 429 can be aimed at "keys"."""
    response = get(mock, "/keys", key=ORDINARY)
    assert response.status_code == 401
    assert "management" in response.json()["error"]["message"]
    mock.app.fail_next(status=429, endpoint="keys", rate_limit_reset=30)
    with CreditsClient(MANAGEMENT, base_url=mock.base_url, max_retries=0) as client, pytest.raises(RateLimitError):
        client.list_keys()


def test_activity_per_key(mock: MockServer) -> None:
    """Rows with an api_key_hash are that key's; others are dealt out to the listed keys by their index; the
    hash is not served."""
    mock.app.set_keys([{"name": "a", "hash": "a" * 64}, {"name": "b", "hash": "b" * 64}])
    rows: list[dict[str, Any]] = [
        {**activity_row("2026-11-20", 1.0, model="x/one"), "api_key_hash": "b" * 64},
        activity_row("2026-11-21", 2.0, model="y/two"),
        activity_row("2026-11-22", 3.0, model="z/three"),
    ]
    mock.app.set_activity(rows)
    of_a = get(mock, "/activity", api_key_hash="a" * 64).json()["data"]
    of_b = get(mock, "/activity", api_key_hash="b" * 64).json()["data"]
    assert [row["usage"] for row in of_a] == [3.0]  # rows 1 and 2 go to keys 1 and 0 (b, a)
    assert [row["usage"] for row in of_b] == [1.0, 2.0]
    assert "api_key_hash" not in of_b[0]
    assert get(mock, "/activity", api_key_hash="c" * 64).json()["data"] == []
    assert len(get(mock, "/activity").json()["data"]) == 3


def test_the_default_figures_tell_one_story() -> None:
    """The default mock: the management key's own usage is 0, the 30 days of activity fit within the
    account's total usage, and each listed key's figures are what the activity dealt to it: the week's
    since Monday and the month's since the 1st are its activity of those days plus today's, its
    lifetime usage holds all of it, and /key tells the ordinary key the figures /keys lists it with. So
    a management key's spike (today's from the listing, what was expected by now from the forecast of
    /activity's days) reads the same spend as the ordinary key's own figures."""
    from openrouter_credits import CreditsClient
    from openrouter_credits._apps.spike import spike_of
    from openrouter_credits._money import exact_sum
    from openrouter_credits.testing import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY

    now = dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC)  # a Thursday: Monday to Wednesday are completed days
    monday, first = dt.date(2026, 11, 23), dt.date(2026, 11, 1)
    app = MockOpenRouter(clock=lambda: now)
    app.add_workspace("Research", keys=2)
    with MockServer(app) as mock:
        with CreditsClient(DEFAULT_PROVISIONING_KEY, base_url=mock.base_url, clock=lambda: now) as client:
            balance = client.get_balance()
            listed = client.list_keys()
            dealt = {key.hash_: client.get_activity(key_hash=key.hash_) for key in listed}
        with CreditsClient(DEFAULT_INFERENCE_KEY, base_url=mock.base_url, clock=lambda: now) as client:
            own = client.get_key()
    assert balance.key is not None
    assert balance.key.usage == 0.0
    assert balance.credits is not None
    assert balance.activity is not None
    assert 0 < balance.activity.total <= balance.credits.total_usage
    assert len(listed) == 3
    for key in listed:
        days = dealt[key.hash_].daily_spend
        week = exact_sum(day.usage for day in days if day.date >= monday)
        month = exact_sum(day.usage for day in days if day.date >= first)
        assert key.usage_weekly == exact_sum([week, key.usage_daily]), key.name
        assert key.usage_monthly == exact_sum([month, key.usage_daily]), key.name
        assert key.usage >= exact_sum([dealt[key.hash_].total, key.usage_daily]), key.name
    (ordinary,) = [key for key in listed if key.label == own.label]
    assert (own.usage, own.usage_daily, own.usage_weekly, own.usage_monthly) == (
        ordinary.usage,
        ordinary.usage_daily,
        ordinary.usage_weekly,
        ordinary.usage_monthly,
    )
    assert exact_sum(dealt[key.hash_].total for key in listed) == balance.activity.total
    assert exact_sum(key.usage_daily for key in listed) > 0
    spike, why = spike_of(balance, now, today=exact_sum(key.usage_daily for key in listed))
    assert spike is not None, why
    assert balance.forecast is not None
    assert (spike.basis, spike.per_day) == ("weekday", balance.forecast.daily[0].central)  # today's forecast
    assert spike.ratio is not None
    assert 0.5 < spike.ratio < 2  # the default story has no spike: today's pace is the week's


def test_an_empty_offset_is_refused() -> None:
    """``GET /keys?offset=`` is not the document's integer or null: 400, as for any other bad offset."""
    import httpx

    from openrouter_credits.testing import DEFAULT_PROVISIONING_KEY

    with MockServer(MockOpenRouter()) as mock:
        answer = httpx.get(
            mock.base_url + "/keys?offset=", headers={"Authorization": f"Bearer {DEFAULT_PROVISIONING_KEY}"}
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "offset must be a whole number, 0 or more, not ''"
