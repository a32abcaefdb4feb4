"""The whole account from a management key: list_keys() paging (httpx.MockTransport), each ApiKey's
window, pace, projection and status against hand-computed values, and Activity.by_model()/by_provider()."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import KEY, client_call, list_keys
from openrouter_credits import (
    Activity,
    ApiKey,
    AsyncCreditsClient,
    AuthenticationError,
    ConfigurationError,
    CreditsClient,
    PermissionDeniedError,
    ServerError,
    Spend,
)
from openrouter_credits._api_key import STATUSES
from openrouter_credits._windows import window_start
from openrouter_credits.testing import DEFAULT_INFERENCE_KEY, MockOpenRouter, MockServer, activity_row
from openrouter_credits_client.models.activity_item import ActivityItem
from openrouter_credits_client.models.list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem

UTC = dt.UTC


def key_dict(index: int, **fields: Any) -> dict[str, Any]:
    """A listed key as the API sends it."""
    body: dict[str, Any] = {
        "byok_usage": 0.0,
        "byok_usage_daily": 0.0,
        "byok_usage_monthly": 0.0,
        "byok_usage_weekly": 0.0,
        "created_at": "2026-01-01T00:00:00Z",
        "creator_user_id": None,
        "disabled": False,
        "hash": f"{index:064x}",
        "include_byok_in_limit": False,
        "label": f"sk-or-v1-abc...{index:04d}",
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "name": f"key-{index:04d}",
        "updated_at": None,
        "usage": 0.0,
        "usage_daily": 0.0,
        "usage_monthly": 0.0,
        "usage_weekly": 0.0,
        "workspace_id": WORKSPACE,
    }
    body.update(fields)
    return body


WORKSPACE = "0df9e665-d932-5740-b2c7-b52af166bc11"


def workspace_dict(workspace_id: str, name: str) -> dict[str, Any]:
    """A workspace as GET /workspaces lists it."""
    from openrouter_credits.testing._listing import workspace_record

    return workspace_record(workspace_id, name)


def api_key(**fields: Any) -> ApiKey:
    return ApiKey.from_generated(ListApiKeysResponse200DataItem.from_dict(key_dict(1, **fields)))


class Keys:
    """A /keys handler over ``keys`` (dicts), pages of 100 by offset; records each request."""

    def __init__(self, keys: list[dict[str, Any]], *, fail_offset: int | None = None) -> None:
        self.keys = keys
        self.fail_offset = fail_offset
        self.offsets: list[int] = []
        self.queries: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces"):  # the account's one workspace, the keys'
            return httpx.Response(200, json={"data": [workspace_dict(WORKSPACE, "Default")], "total_count": 1})
        assert request.url.path.endswith("/keys")
        query = dict(request.url.params)
        offset = int(query.get("offset", "0"))
        with self.lock:
            self.offsets.append(offset)
            self.queries.append(query)
        if offset == self.fail_offset:
            return httpx.Response(500, json={"error": {"code": 500, "message": "Internal Server Error"}})
        listed = [k for k in self.keys if query.get("include_disabled") == "true" or not k["disabled"]]
        return httpx.Response(200, json={"data": listed[offset : offset + 100]})


@pytest.mark.parametrize(
    ("count", "offsets"),
    [
        (0, [0, 0]),  # no key tells which workspace is the default: its keys are asked for by its id
        (1, [0]),
        (100, [0, *range(100, 1100, 100)]),
        (101, [0, *range(100, 1100, 100)]),
        (250, [0, *range(100, 1100, 100)]),
        (1000, [0, *range(100, 1100, 100)]),
        (1001, [0, *range(100, 1100, 100)]),
        (1100, [0, *range(100, 2100, 100)]),
    ],
)
def test_list_keys_pages(mode: str, count: int, offsets: list[int]) -> None:
    """Every key, once, in order; after a full first page the next ten pages at once (1,000 keys: two
    round trips), and another ten only while all came back full."""
    handler = Keys([key_dict(i) for i in range(count)])
    keys = list_keys(mode, handler)
    assert [k.name for k in keys] == [f"key-{i:04d}" for i in range(count)]
    assert all(isinstance(k, ApiKey) for k in keys)
    assert sorted(handler.offsets) == offsets
    assert handler.queries[0] == {}  # the first page: no offset, disabled keys left out
    assert keys.complete
    assert {k.workspace_name for k in keys} <= {"Default"}


def test_a_failing_page_fails_the_listing(mode: str) -> None:
    """A page that fails raises its error: never a short list passed off as whole."""
    handler = Keys([key_dict(i) for i in range(450)], fail_offset=300)
    with pytest.raises(ServerError) as caught:
        list_keys(mode, handler)
    assert caught.value.status_code == 500


def test_include_disabled(mode: str) -> None:
    """Disabled keys only when asked for (the query says so); the filter holds either way."""
    keys = [key_dict(i, disabled=i % 3 == 0) for i in range(150)]
    handler = Keys(keys)
    without = list_keys(mode, handler)
    assert len(without) == 100
    assert not any(k.disabled for k in without)
    assert all("include_disabled" not in q for q in handler.queries)
    handler = Keys(keys)
    with_them = list_keys(mode, handler, include_disabled=True)
    assert len(with_them) == 150
    assert sum(k.disabled for k in with_them) == 50
    assert all(q.get("include_disabled") == "true" for q in handler.queries)


def test_workspace_id_and_dedup() -> None:
    """workspace_id goes on every page; a key that shifted into the next page is listed once."""
    keys = [key_dict(i) for i in range(100)]
    shifted = [*keys, keys[99], key_dict(100)]  # page 2 starts with the last key of page 1 again

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces"):
            return httpx.Response(200, json={"data": [workspace_dict(WORKSPACE, "Production")], "total_count": 1})
        assert request.url.params["workspace_id"] == WORKSPACE
        offset = int(request.url.params.get("offset", "0"))
        return httpx.Response(200, json={"data": shifted[offset : offset + 100]})

    listed = list_keys("sync", handler, workspace_id=WORKSPACE)
    assert [k.name for k in listed] == [f"key-{i:04d}" for i in range(101)]
    assert {k.workspace_name for k in listed} == {"Production"}
    with pytest.raises(ConfigurationError, match="workspace_id"):
        list_keys("sync", handler, workspace_id="not-a-uuid")


def test_api_key_is_immutable_and_typed() -> None:
    """An ApiKey is the generated item, frozen, with extra fields read-only; no secret in it."""
    key = api_key(last_used_at="2026-11-01T00:00:00Z")
    assert isinstance(key, ListApiKeysResponse200DataItem)
    with pytest.raises(AttributeError):
        key.name = "x"  # type: ignore[misc]
    assert key.extra == {"last_used_at": "2026-11-01T00:00:00Z"}
    assert key.last_used_at == dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert hash(key) == hash(api_key(last_used_at="2026-11-01T00:00:00Z"))


# -- windows: hand-computed ---------------------------------------------------------------------------


def test_window_starts() -> None:
    """Today's midnight, this Monday's, the 1st of the month; none without a reset."""
    now = dt.datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # a Wednesday
    assert window_start("daily", now) == dt.datetime(2026, 11, 25, tzinfo=UTC)
    assert window_start("weekly", now) == dt.datetime(2026, 11, 23, tzinfo=UTC)
    assert window_start("monthly", now) == dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert window_start(None, now) is None


def test_daily_limit() -> None:
    """$10 a day, $3 used by 06:00: $12 a day, $12 projected, the limit reached at 20:00 ($7 at $12 a
    day is 14 h), before the reset at midnight: will_exhaust."""
    key = api_key(limit=10.0, limit_remaining=7.0, limit_reset="daily", usage=50.0, usage_daily=3.0)
    now = dt.datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert key.window_usage == 3.0
    assert key.limit_left == 7.0
    assert key.resets_at(now) == dt.datetime(2026, 11, 26, tzinfo=UTC)
    assert key.pace_per_day(now) == pytest.approx(12.0)
    assert key.projected_at_reset(now) == pytest.approx(12.0)
    assert key.exhausts_at(now) == dt.datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert key.status(now) == "will_exhaust"
    # The window's first instant: no pace yet (not 0).
    start = dt.datetime(2026, 11, 25, tzinfo=UTC)
    assert key.pace_per_day(start) is None
    assert key.projected_at_reset(start) is None
    assert key.exhausts_at(start) is None
    assert key.status(start) == "ok"
    # A second before the reset: the pace is about the day's usage, the projection that too.
    end = dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
    assert key.projected_at_reset(end) == pytest.approx(3.0, rel=1e-4)
    assert key.exhausts_at(end) is None
    assert key.status(end) == "ok"


def test_weekly_limit() -> None:
    """$70 a week, $20 used by Wednesday 00:00 (2 days in): $10 a day, $70 projected at Monday, the
    limit reached after 5 days, at the reset, so not before it: ok."""
    key = api_key(limit=70.0, limit_remaining=50.0, limit_reset="weekly", usage_weekly=20.0)
    now = dt.datetime(2026, 11, 25, tzinfo=UTC)
    assert key.window_usage == 20.0
    assert key.resets_at(now) == dt.datetime(2026, 11, 30, tzinfo=UTC)
    assert key.pace_per_day(now) == pytest.approx(10.0)
    assert key.projected_at_reset(now) == pytest.approx(70.0)
    assert key.exhausts_at(now) is None
    assert key.status(now) == "ok"
    spent = api_key(limit=70.0, limit_remaining=49.0, limit_reset="weekly", usage_weekly=21.0)
    assert spent.exhausts_at(now) == now + dt.timedelta(days=49 / 10.5)
    assert spent.status(now) == "will_exhaust"


def test_monthly_limit_across_the_months_end() -> None:
    """$100 a month, $62 used by 31 Dec 12:00 (30.5 days in): the reset is 1 Jan of the next year."""
    key = api_key(limit=100.0, limit_remaining=38.0, limit_reset="monthly", usage_monthly=61.0)
    now = dt.datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    assert key.resets_at(now) == dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert key.pace_per_day(now) == pytest.approx(2.0)
    assert key.projected_at_reset(now) == pytest.approx(62.0)
    assert key.exhausts_at(now) is None
    assert key.status(now) == "ok"
    # The next instant is a new window: the API's usage_monthly would be 0 again.
    fresh = api_key(limit=100.0, limit_remaining=100.0, limit_reset="monthly", usage_monthly=0.0)
    jan = dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert fresh.pace_per_day(jan) is None
    assert fresh.resets_at(jan) == dt.datetime(2027, 2, 1, tzinfo=UTC)
    # February (28 days): $28 by the 15th at 00:00 is $2 a day, $56 projected.
    feb = api_key(limit=60.0, limit_remaining=32.0, limit_reset="monthly", usage_monthly=28.0)
    mid = dt.datetime(2027, 2, 15, tzinfo=UTC)
    assert feb.pace_per_day(mid) == pytest.approx(2.0)
    assert feb.projected_at_reset(mid) == pytest.approx(56.0)


def test_a_keys_own_history_makes_its_forecast() -> None:
    """A weekly $90 limit, $30 used by Wednesday 00:00: its window's pace ($15 a day) spends the $60
    left by Sunday 00:00 (will_exhaust) and projects $105 at Monday's reset. Its own days (a
    ledger's: $16 on weekdays, $1 at weekends, three weeks) say the weekday model instead: $30 + 3 x
    $16 + 2 x $1 = $80 by Monday, within the limit (ok); $49 left would be gone at Sunday 00:00."""
    now = dt.datetime(2026, 11, 25, tzinfo=UTC)  # a Wednesday
    days = [now.date() - dt.timedelta(days=back) for back in range(21, 0, -1)]
    daily = [(day, 16.0 if day.weekday() < 5 else 1.0) for day in days]
    key = api_key(limit=90.0, limit_remaining=60.0, limit_reset="weekly", usage_weekly=30.0)
    paced = key.forecast(now)
    assert paced is not None
    assert (paced.method, paced.spend_per_day) == ("window average", pytest.approx(15.0))
    assert key.projected_at_reset(now) == pytest.approx(105.0)
    assert key.exhausts_at(now) == dt.datetime(2026, 11, 29, tzinfo=UTC)
    assert key.status(now) == "will_exhaust"
    forecast = key.forecast(now, daily=daily)
    assert forecast is not None
    assert forecast.method == "weekday"
    assert [day.central for day in forecast.daily] == pytest.approx([16.0, 16.0, 16.0, 1.0, 1.0, 16.0, 16.0])
    assert key.pace_per_day(now, daily=daily) == pytest.approx(82 / 7)
    assert key.projected_at_reset(now, daily=daily) == pytest.approx(80.0)
    assert key.exhausts_at(now, daily=daily) is None
    assert key.status(now, daily=daily) == "ok"
    tighter = api_key(limit=90.0, limit_remaining=49.0, limit_reset="weekly", usage_weekly=41.0)
    assert tighter.exhausts_at(now, daily=daily) == dt.datetime(2026, 11, 29, tzinfo=UTC)
    assert key.forecast(now, daily=[]) == paced  # no days: the window's pace


def test_limit_without_reset() -> None:
    """A $100 limit without a reset, $90 used, $14 in the last 7 days: $2 a day, the $10 left gone in
    5 days (within 7: will_exhaust); at $7 a week in 10 days, and $10 is not below 10%: ok; $5 left
    and no use this week: near_limit."""
    now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    key = api_key(limit=100.0, limit_remaining=10.0, limit_reset=None, usage=90.0, usage_weekly=14.0)
    assert key.window_usage == 90.0
    assert key.resets_at(now) is None
    assert key.pace_per_day(now) == pytest.approx(2.0)
    assert key.projected_at_reset(now) is None
    assert key.exhausts_at(now) == now + dt.timedelta(days=5)
    assert key.status(now) == "will_exhaust"
    slow = api_key(limit=100.0, limit_remaining=10.0, usage=90.0, usage_weekly=7.0)
    assert slow.exhausts_at(now) == now + dt.timedelta(days=10)
    assert slow.status(now) == "ok"
    slower = api_key(limit=100.0, limit_remaining=5.0, usage=95.0, usage_weekly=0.0)
    assert slower.exhausts_at(now) is None
    assert slower.status(now) == "near_limit"
    assert slower.status(now, near=0.04) == "ok"


def test_no_limit() -> None:
    """A key without a limit has no window, pace or exhaustion."""
    key = api_key(usage=500.0, usage_daily=5.0, usage_weekly=30.0, usage_monthly=100.0)
    now = dt.datetime(2026, 11, 25, tzinfo=UTC)
    assert key.window_usage is None
    assert key.limit_left is None
    assert key.pace_per_day(now) is None
    assert key.projected_at_reset(now) is None
    assert key.exhausts_at(now) is None
    assert key.status(now) == "ok"


def test_status_order() -> None:
    """Each status, and the first that holds wins."""
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    soon = (now + dt.timedelta(days=3)).isoformat()
    past = (now - dt.timedelta(seconds=1)).isoformat()
    spent = {"limit": 10.0, "limit_remaining": 0.0, "limit_reset": "daily", "usage_daily": 10.0}
    cases = [
        ({"disabled": True, "expires_at": past, **spent}, "disabled"),
        ({"expires_at": past, **spent}, "expired"),
        ({"expires_at": soon, **spent}, "exhausted"),
        ({"limit": 10.0, "limit_remaining": 4.0, "limit_reset": "daily", "usage_daily": 6.0}, "will_exhaust"),
        ({"limit": 100.0, "limit_remaining": 9.0, "limit_reset": "monthly", "usage_monthly": 91.0}, "will_exhaust"),
        ({"limit": 100.0, "limit_remaining": 9.0, "limit_reset": None, "usage": 91.0}, "near_limit"),
        ({"expires_at": soon}, "expires_soon"),
        ({"last_used_at": "2026-10-25T11:59:59Z"}, "dormant"),
        ({"last_used_at": "2026-10-26T12:00:00Z"}, "ok"),
        ({}, "ok"),
    ]
    for fields, expected in cases:
        assert api_key(**fields).status(now) == expected, fields
    assert set(STATUSES) == {expected for _, expected in cases}


# -- activity per model and provider -----------------------------------------------------------------------


def row(date: str, usage: float, model: str, provider: str, requests: int = 1, tokens: int = 10) -> ActivityItem:
    return ActivityItem(
        byok_usage_inference=0.0,
        completion_tokens=tokens,
        date=date,
        endpoint_id="e",
        model=model,
        model_permaslug=model,
        prompt_tokens=tokens * 2,
        provider_name=provider,
        reasoning_tokens=1,
        requests=requests,
        usage=usage,
    )


def test_by_model_and_provider() -> None:
    """Exact sums over the 30 days and the last 7; the most spent first, ties by name; rows outside
    the 30 days (today's included) left out."""
    today = dt.date(2026, 11, 25)
    rows = [
        row("2026-11-24", 0.1, "a/x", "P1", requests=2, tokens=10),  # in the week
        row("2026-11-18 00:00:00", 0.2, "a/x", "P2", requests=1, tokens=5),  # 7 days back: in the week
        row("2026-11-17", 0.3, "b/y", "P1", requests=4, tokens=1),  # 8 days back: 30 days only
        row("2026-10-26", 0.3, "c/z", "P2"),  # the 30th day back
        row("2026-10-25", 9.0, "c/z", "P2"),  # 31 days back: out
        row("2026-11-25", 9.0, "a/x", "P1"),  # today: out
    ]
    activity = Activity(rows, today)
    assert activity.by_model() == [
        Spend("a/x", 0.3, 3, 10 * 3 + 1 + 5 * 3 + 1, 0.3, 3, 47),
        Spend("b/y", 0.3, 4, 4, 0.0, 0, 0),
        Spend("c/z", 0.3, 1, 31, 0.0, 0, 0),
    ]
    assert [(s.name, s.usage, s.usage_7d, s.requests) for s in activity.by_provider()] == [
        ("P2", 0.5, 0.2, 2),
        ("P1", 0.4, 0.1, 6),
    ]
    assert Activity([], today).by_model() == []


def test_get_activity_of_one_key() -> None:
    """get_activity(key_hash=...) asks /activity for that key's rows alone; a blank hash is refused
    before any request."""
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, json={"data": []})

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        CreditsClient(KEY, http_client=http, clock=lambda: dt.datetime(2026, 11, 25, tzinfo=UTC)) as client,
    ):
        assert client.get_activity(key_hash="ab" * 32).rows == ()
        client.get_activity()
        with pytest.raises(ConfigurationError, match=r"^key_hash must be a key's hash"):
            client.get_activity(key_hash=" ")
    assert seen == [{"api_key_hash": "ab" * 32}, {}]


def test_api_key_hash_is_the_old_name_of_key_hash(mode: str) -> None:
    """get_activity(api_key_hash=...) still works, with a DeprecationWarning pointing at the caller's
    line; giving both names is refused before any request."""
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, json={"data": []})

    clock = {"clock": lambda: dt.datetime(2026, 11, 25, tzinfo=UTC)}

    def activity(**hashes: str) -> Activity:
        if mode == "sync":
            with (
                httpx.Client(transport=httpx.MockTransport(handler)) as http,
                CreditsClient(KEY, http_client=http, **clock) as client,
            ):
                return client.get_activity(**hashes)  # type: ignore[arg-type]

        async def main() -> Activity:
            async with (
                httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
                AsyncCreditsClient(KEY, http_client=http, **clock) as client,
            ):
                return await client.get_activity(**hashes)  # type: ignore[arg-type]

        return asyncio.run(main())

    with pytest.warns(DeprecationWarning, match=r"api_key_hash=\.\.\.\) is deprecated: pass key_hash=") as caught:
        assert activity(api_key_hash="ab" * 32).rows == ()
    assert [Path(w.filename).name for w in caught] == [Path(__file__).name]
    assert seen == [{"api_key_hash": "ab" * 32}]
    with (
        pytest.warns(DeprecationWarning, match="is deprecated"),
        pytest.raises(ConfigurationError, match=r"^Give the key's hash once"),
    ):
        activity(api_key_hash="ab" * 32, key_hash="cd" * 32)
    assert len(seen) == 1


# -- get_balance(key_hash=...) against the live mock -------------------------------------------------------

MANAGEMENT = "sk-or-v1-fleet-SECRET-management-6e7f"
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
H = "d" * 64


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, clock=lambda: NOW)
    with MockServer(app) as running:
        yield running


@pytest.fixture
def fleet(mock: MockServer) -> MockServer:
    """Key H: a $10 limit without a reset, $4 used ($6 left); its last 7 days $1 each; another key's
    $5 a day, which H's figures must leave out; the account has $17.50 left."""
    mock.app.set_keys([{"name": "h", "hash": H, "limit": 10.0, "usage": 4.0}, {"name": "other", "hash": "e" * 64}])
    rows = [{**activity_row(NOW.date() - dt.timedelta(days=back), 1.0), "api_key_hash": H} for back in range(1, 8)]
    rows += [
        {**activity_row(NOW.date() - dt.timedelta(days=back), 5.0), "api_key_hash": "e" * 64} for back in range(1, 8)
    ]
    mock.app.set_activity(rows)
    return mock


def balance_of(mode: str, mock: MockServer, key_hash: str, key: str = MANAGEMENT) -> Any:
    options = {"base_url": mock.base_url, "clock": lambda: NOW, "max_retries": 0}
    return client_call(mode, key, "get_balance", options, key_hash=key_hash)


def list_with(mode: str, mock: MockServer, key: str) -> Any:
    return client_call(mode, key, "list_keys", {"base_url": mock.base_url, "max_retries": 0})


def test_listing_with_an_ordinary_key(mock: MockServer, mode: str) -> None:
    """An ordinary key, which OpenRouter answers /keys with a 401 "only management keys": a
    PermissionDeniedError (the key is fine, of the wrong kind) saying a management key is needed and
    where to create one, as the command says; not "check that the key is current"."""
    with pytest.raises(PermissionDeniedError) as info:
        list_with(mode, mock, DEFAULT_INFERENCE_KEY)
    error = info.value
    assert (error.kind, error.status_code, error.message) == (
        "permission",
        401,
        "Only management keys can perform this operation",
    )
    assert str(error) == (
        "This key may not list the account's keys (HTTP 401: Only management keys can perform this operation). "
        "That needs a management (provisioning) key; create one at https://openrouter.ai/settings/management-keys."
        f" (request id {error.request_id})"
    )
    assert error.request_id
    assert error.url.endswith("/keys")
    with pytest.raises(PermissionDeniedError, match=r"^This key may not list the account's keys"):
        balance_of(mode, mock, H, key=DEFAULT_INFERENCE_KEY)  # /credits 403, /keys 401: that one raised


def test_listing_with_a_key_openrouter_does_not_know(mock: MockServer, mode: str) -> None:
    """A key OpenRouter does not know at all stays an AuthenticationError asking for a current key."""
    with pytest.raises(AuthenticationError, match="Check that OPENROUTER_API_KEY or api_key holds a current key"):
        list_with(mode, mock, "sk-or-v1-fleet-SECRET-nobody-0000")


def test_balance_of_one_key(fleet: MockServer, mode: str) -> None:
    """Spendable: the smaller of its $6 left and the account's $17.50; $1 a day from its own rows: 6 days."""
    balance = balance_of(mode, fleet, H)
    assert (balance.remaining, balance.spendable, balance.spend_per_day, balance.days_left) == (17.5, 6.0, 1.0, 6.0)
    assert balance.listed_key.name == "h"
    assert balance.key is None
    assert balance.activity.total == 7.0


def test_balance_of_an_unlisted_key(fleet: MockServer, mode: str) -> None:
    """A hash no key has: what it may spend is unknown (at most the account's remaining), with why."""
    balance = balance_of(mode, fleet, "f" * 64)
    assert balance.spendable is None
    assert balance.spendable_at_most == 17.5
    assert balance.unknown["spendable"] == "no key of the account has the hash ffffffffffff…"
    assert balance.days_left is None


def test_balance_of_a_key_when_the_listing_fails(fleet: MockServer, mode: str) -> None:
    """/keys failing: spendable unknown with the listing's error; the account's remaining still known."""
    fleet.app.fail_next(1, status=500, endpoint="keys")
    balance = balance_of(mode, fleet, H)
    assert balance.remaining == 17.5
    assert balance.spendable is None
    assert isinstance(balance.errors["keys"], ServerError)
    assert balance.spend_per_day == 1.0
