"""The wrapper, sync and async, against the live mock server on 127.0.0.1: keys, faults, retries, deadline."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openrouter_credits import (
    APIConnectionError,
    APITimeoutError,
    AsyncCreditsClient,
    AuthenticationError,
    Credits,
    CreditsClient,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from openrouter_credits.testing import MockOpenRouter, MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


def call(
    mode: str, server: MockServer, key: str | None = None, sleeps: list[float] | None = None, **options: Any
) -> Credits:
    """One get_credits() through a fresh sync or async client pointed at the live mock."""
    recorded = [] if sleeps is None else sleeps
    options = {"base_url": server.base_url, **options}
    api_key = key or server.provisioning_key
    if mode == "sync":
        with CreditsClient(api_key, sleep=recorded.append, **options) as client:
            return client.get_credits()

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)

    async def main() -> Credits:
        async with AsyncCreditsClient(api_key, sleep=sleep, **options) as client:
            return await client.get_credits()

    return asyncio.run(main())


def test_provisioning_key(mode: str, mock: MockServer) -> None:
    """The default provisioning key reads 25.00 bought, 7.50 used."""
    assert call(mode, mock) == Credits(total_credits=25.0, total_usage=7.5)


def test_inference_key(mode: str, mock: MockServer) -> None:
    """An inference key gets 403 with OpenRouter's message and a pointer to management keys."""
    with pytest.raises(PermissionDeniedError) as info:
        call(mode, mock, key=mock.inference_key)
    assert info.value.message == "Only management keys can perform this operation"
    assert info.value.request_id is not None
    assert info.value.request_id.startswith("mock-")
    assert "provisioning (management) key" in str(info.value)


def test_unknown_key(mode: str, mock: MockServer) -> None:
    """An unknown key gets 401."""
    with pytest.raises(AuthenticationError, match=r"User not found\)\."):
        call(mode, mock, key="sk-or-v1-nobody")


def test_balance_changes_at_run_time(mode: str, mock: MockServer) -> None:
    """Balances set while the server runs are what the next call reads."""
    mock.app.set_balance(total_credits=30.0, total_usage=29.9)
    assert call(mode, mock).remaining == 0.1


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_short_burst_recovers(mode: str, mock: MockServer, status: int) -> None:
    """A burst of failures shorter than max_retries is retried away."""
    mock.app.fail_next(2, status=status)
    sleeps: list[float] = []
    assert call(mode, mock, sleeps=sleeps, max_retries=2).remaining == 17.5
    assert len(sleeps) == 2
    assert [s for _, _, s in mock.app.requests] == [status, status, 200]


@pytest.mark.parametrize(("status", "error"), [(500, ServerError), (503, ServerError), (429, RateLimitError)])
def test_long_burst_surfaces_the_error(mode: str, mock: MockServer, status: int, error: type[Exception]) -> None:
    """A burst longer than max_retries raises the typed error after max_retries + 1 attempts."""
    mock.app.fail_next(5, status=status)
    with pytest.raises(error):
        call(mode, mock, max_retries=2)
    assert len(mock.app.requests) == 3


def test_retry_after_is_honoured(mode: str, mock: MockServer) -> None:
    """Retry-After from the server sets the wait."""
    mock.app.fail_next(1, status=429, retry_after=1.25)
    sleeps: list[float] = []
    call(mode, mock, sleeps=sleeps)
    assert sleeps == [1.25]


@pytest.mark.parametrize(
    ("fault", "error", "phrase"),
    [
        ("truncated", ResponseValidationError, "$: not JSON"),
        ("not-json", ResponseValidationError, "$: not JSON"),
        ("wrong-types", ResponseValidationError, "data.total_credits: expected number, got string"),
        ("html", ServerError, "HTTP 502: Bad Gateway"),
        ("drop", APIConnectionError, "RemoteProtocolError"),
    ],
)
def test_injected_faults(mode: str, mock: MockServer, fault: str, error: type[Exception], phrase: str) -> None:
    """Each fault, repeated past the retries, gives its documented error."""
    mock.app.inject(fault, count=3)
    with pytest.raises(error) as info:
        call(mode, mock, max_retries=2)
    assert phrase in str(info.value)


@pytest.mark.parametrize("fault", ["drop", "html"])
def test_transient_faults_recover(mode: str, mock: MockServer, fault: str) -> None:
    """A dropped connection or a proxy's error page, once, is retried away."""
    mock.app.inject(fault)
    assert call(mode, mock).total_usage == 7.5


def test_latency_past_the_timeout(mode: str, mock: MockServer) -> None:
    """A response slower than the read timeout is APITimeoutError after the retries: each attempt was
    cut (had one waited, its answer would have come)."""
    mock.app.latency = 0.5
    with pytest.raises(APITimeoutError, match="Timed out waiting for the response"):
        call(mode, mock, timeout=0.1, max_retries=1)


def test_deadline_holds(mode: str, mock: MockServer) -> None:
    """With slow answers and many retries allowed, the call still ends at the deadline: at most the
    three attempts that start within it, not the 11 (3.3 s) allowed."""
    mock.app.latency = 0.3
    mock.app.fail_next(10, status=503, retry_after=0)
    started = time.monotonic()
    with pytest.raises((APITimeoutError, ServerError)):
        call(mode, mock, deadline=0.8, max_retries=10)
    assert time.monotonic() - started < 2.5  # far short of the 3.3 s of the retries allowed
    assert [status for _, _, status in mock.app.requests].count(503) <= 3


def test_http_surface(mock: MockServer) -> None:
    """405 with Allow for other methods, 404 elsewhere, request ids on every response, JSON errors."""
    origin = mock.base_url.removesuffix("/api/v1")
    with httpx.Client() as http:
        post = http.post(mock.base_url + "/credits")
        assert (post.status_code, post.headers["allow"]) == (405, "GET")
        assert post.json() == {"error": {"code": 405, "message": "Method Not Allowed"}}
        missing = http.get(origin + "/api/v1/nothing")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/json"
        unauthenticated = http.get(mock.base_url + "/credits")
        assert unauthenticated.json() == {"error": {"code": 401, "message": "No auth credentials found"}}
        basic = http.get(mock.base_url + "/credits", headers={"authorization": "Basic abc"})
        assert basic.status_code == 401
        ids = {r.headers["x-request-id"] for r in (post, missing, unauthenticated, basic)}
        assert len(ids) == 4


def test_control_endpoint(mode: str, mock: MockServer) -> None:
    """The control endpoint sets balances, faults and latency of the live process."""
    control = mock.base_url.removesuffix("/api/v1") + "/_mock/"
    with httpx.Client() as http:
        assert http.post(control + "balance", json={"total_credits": 10, "total_usage": 9.9}).status_code == 200
        state = http.post(control + "faults", json={"kind": "status", "status": 503, "count": 1}).json()
        assert state["pending_faults"] == [
            {"endpoint": "credits", "kind": "status", "status": 503, "retry_after": None, "rate_limit_reset": None}
        ]
        assert http.post(control + "faults", json={"kind": "nonsense"}).status_code == 400
        assert http.post(control + "latency", json={"seconds": -1}).status_code == 400
        assert http.get(control + "nothing").status_code == 404
    sleeps: list[float] = []
    assert call(mode, mock, sleeps=sleeps).remaining == 0.1
    assert len(sleeps) == 1
    label = MockOpenRouter.label(mock.provisioning_key)
    with httpx.Client() as http:
        state = http.get(control + "state").json()
        assert state["balances"] == {label: {"total_credits": 10.0, "total_usage": 9.9}}
        assert state["requests"] == 2  # the two credits calls; control calls are not counted
        state = http.post(control + "reset").json()
    spent = mock.app.key_view(mock.inference_key).usage  # what the default activity dealt it, by the clock
    assert spent is not None
    assert spent > 0
    assert state == {
        "balances": {label: {"total_credits": 25.0, "total_usage": 7.5}},
        "keys": {
            label: {"management": True, "limit": None, "usage": 0.0},
            MockOpenRouter.label(mock.inference_key): {"management": False, "limit": None, "usage": spent},
        },
        "listed_keys": 1,  # the ordinary key, as GET /keys lists it
        "workspaces": [{"id": "00000000-0000-4000-8000-000000000000", "name": "Default", "slug": "default"}],
        "activity_rows": {label: None},
        "history_rows": {label: None},
        "pending_faults": [],
        "latency": 0.0,
        "zero_credits_for_ordinary_keys": False,
        "activity_date_format": "date",
        "analytics_date_format": "timestamp",
        "analytics_rate_limit": 64,
        "refuse_workspaces": None,
        "analytics_dimensions": None,
        "requests": 0,
    }
    assert mock.app.requests == []


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        ("balance", {"key": "sk-or-v1-nobody", "total_usage": 1}, "Bad control request: 'sk-or-v1-nobody' is not a "),
        ("balance", {"total_usage": "1"}, "Bad control request: total_usage must be a number of dollars, not '1'."),
        ("faults", {"count": 2}, "Bad control request: the field 'kind' is required."),
        (
            "faults",
            {"kind": "status", "count": "x"},
            "Bad control request: the field 'count' must be a number, not 'x'.",
        ),
        ("latency", {}, "Bad control request: the field 'seconds' is required."),
        ("latency", [1], "Bad control request: the body must be a JSON object."),
    ],
)
def test_control_errors_are_sentences(mock: MockServer, action: str, body: Any, message: str) -> None:
    """A control request it cannot act on is a 400 with a sentence in OpenRouter's error shape."""
    control = mock.base_url.removesuffix("/api/v1") + "/_mock/" + action
    response = httpx.post(control, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


def test_keys_sharing_a_prefix_stay_apart() -> None:
    """Keys are named in the state by a label of their own, even when they share a long prefix."""
    app = MockOpenRouter(provisioning_keys={"sk-or-v1-mock-aaa": (1.0, 0.0), "sk-or-v1-mock-bbb": (2.0, 0.5)})
    with MockServer(app) as server:
        state = httpx.get(server.base_url.removesuffix("/api/v1") + "/_mock/state").json()
        label = MockOpenRouter.label("sk-or-v1-mock-bbb")
        httpx.post(server.base_url.removesuffix("/api/v1") + "/_mock/balance", json={"key": label, "total_usage": 2})
    assert len(state["balances"]) == 2
    assert all("aaa" not in name and "bbb" not in name for name in state["balances"])
    assert app.balance("sk-or-v1-mock-bbb").total_usage == 2.0
    assert app.balance("sk-or-v1-mock-aaa").total_usage == 0.0


def test_control_endpoint_is_loopback_only() -> None:
    """A control request from a non-loopback client is refused with 403."""
    app = MockOpenRouter()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/_mock/reset", "headers": [], "client": ("10.1.2.3", 5000)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 403


def test_key_absent_from_all_logs(mode: str, mock: MockServer, caplog: pytest.LogCaptureFixture) -> None:
    """Success, 401, 403, faults, retries: no log record (client, httpx, httpcore, server) holds the key."""
    caplog.set_level(logging.DEBUG)
    mock.app.inject("drop")
    mock.app.fail_next(1, status=503)
    call(mode, mock)
    for key in ("sk-or-v1-nobody-SECRET", mock.inference_key):
        with pytest.raises((AuthenticationError, PermissionDeniedError)) as info:
            call(mode, mock, key=key)
        assert key not in str(info.value)
        assert key not in caplog.text
    assert mock.provisioning_key not in caplog.text
    assert "httpcore" in {record.name.split(".")[0] for record in caplog.records}
    assert all(mock.provisioning_key not in repr(r.__dict__) for r in caplog.records)


# --- GET /key and GET /activity -----------------------------------------------------------------


def test_key_and_activity_endpoints(mock: MockServer) -> None:
    """/key answers any known key; /activity a management key, filtered by date and workspace."""
    headers = {"Authorization": f"Bearer {mock.provisioning_key}"}
    ordinary = {"Authorization": f"Bearer {mock.inference_key}"}
    mock.app.set_activity({"2026-11-20": 1.5, "2026-11-21": 0.25})
    with httpx.Client(base_url=mock.base_url) as http:
        key = http.get("/key", headers=ordinary).json()["data"]
        assert (key["is_management_key"], key["limit"], key["usage"]) == (False, None, 1.75)  # the rows dealt it
        assert http.get("/key", headers={"Authorization": "Bearer sk-or-v1-nobody"}).status_code == 401
        rows = http.get("/activity", headers=headers).json()["data"]
        assert [(row["date"], row["usage"]) for row in rows] == [("2026-11-20", 1.5), ("2026-11-21", 0.25)]
        one = http.get("/activity", headers=headers, params={"date": "2026-11-21"}).json()["data"]
        assert [row["usage"] for row in one] == [0.25]
        grouped = http.get("/activity", headers=headers, params={"group_by": "workspace"}).json()["data"]
        assert {row["workspace_id"] for row in grouped} == {"00000000-0000-4000-8000-000000000000"}
        other = http.get("/activity", headers=headers, params={"workspace_id": "elsewhere"}).json()["data"]
        assert other == []
        assert http.get("/activity", headers=headers, params={"group_by": "model"}).status_code == 400
        assert http.get("/activity", headers=headers, params={"page": "2"}).status_code == 400
        denied = http.get("/activity", headers=ordinary)
        assert denied.status_code == 403
        assert denied.json() == {
            "error": {"code": 403, "message": "Only management keys can fetch activity for an account"}
        }


def test_default_month_follows_the_clock() -> None:
    """The default activity covers the 30 completed days before the mock's today, a gap every 7th day."""
    import datetime as dt

    app = MockOpenRouter(clock=lambda: dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    dates = sorted({row["date"] for row in app.activity()})
    assert dates[-1] == "2026-02-28"
    assert dates[0] >= "2026-01-30"
    assert 24 <= len(dates) <= 26  # 30 days less the quiet ones


def test_control_for_keys_activity_and_options(mock: MockServer) -> None:
    control = mock.base_url.removesuffix("/api/v1") + "/_mock/"
    with httpx.Client() as http:
        state = http.post(control + "key", json={"key": mock.inference_key, "limit": 10, "usage": 9.5}).json()
        label = MockOpenRouter.label(mock.inference_key)
        assert state["keys"][label] == {"management": False, "limit": 10.0, "usage": 9.5}
        state = http.post(control + "activity", json={"daily": {"2026-11-20": 3}}).json()
        assert state["activity_rows"][MockOpenRouter.label(mock.provisioning_key)] == 1
        assert http.post(control + "options", json={"zero_credits_for_ordinary_keys": True}).status_code == 200
        assert http.post(control + "key", json={"key": mock.inference_key, "colour": "red"}).status_code == 400
        assert http.post(control + "activity", json={"daily": {"someday": 1}}).status_code == 400
        assert http.post(control + "faults", json={"kind": "status", "endpoint": "models"}).status_code == 400
    answer = httpx.get(mock.base_url + "/credits", headers={"Authorization": f"Bearer {mock.inference_key}"})
    assert answer.json() == {"data": {"total_credits": 0.0, "total_usage": 0.0}}
    assert mock.app.key_view(mock.inference_key).limit == 10.0
