"""update_key() and get_key_by_hash(): only the fields given are sent (None is a value: no limit), every
value checked before any I/O, the key returned as it is now; a PATCH is retried as a read is, and a
retried PATCH leaves the key as one PATCH does; 404, an ordinary key's refusal, in sentences."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openrouter_credits import (
    ApiKey,
    AsyncCreditsClient,
    ConfigurationError,
    CreditsClient,
    PermissionDeniedError,
    ServerError,
    UnexpectedStatusError,
)
from openrouter_credits._call.operations import UPDATE_KEY, Operation
from openrouter_credits._call.retry import Call
from openrouter_credits._settings import Settings
from openrouter_credits.testing import MockOpenRouter, MockServer
from tests.helpers import KEY

HASH = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943"


def listed(**fields: Any) -> dict[str, Any]:
    from openrouter_credits.testing._listing import listed_key

    base = {"name": "ci-nightly", "hash": HASH, "limit": 20.0, "limit_reset": "daily", "usage_daily": 5.0}
    return listed_key(**{**base, **fields})


class Recorder:
    """A MockTransport handler answering each PATCH with the key the body makes, recording the bodies."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[Any] = []
        self.methods: list[str] = []
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.method)
        if request.method == "PATCH":
            body = json.loads(request.content)
            self.bodies.append(body)
            if self.status != 200:
                return httpx.Response(self.status, json={"error": {"code": self.status, "message": "no"}})
            return httpx.Response(200, json={"data": listed(**body)})
        return httpx.Response(200, json={"data": listed()})


def run(mode: str, handler: Recorder, call: str, *args: Any, **kwargs: Any) -> Any:
    """``client.<call>(*args, **kwargs)`` on the sync or async client, over ``handler``; no waits."""
    transport = httpx.MockTransport(handler)
    if mode == "sync":
        with (
            httpx.Client(transport=transport) as http,
            CreditsClient(KEY, http_client=http, sleep=lambda s: None) as client,
        ):
            return getattr(client, call)(*args, **kwargs)

    async def nap(seconds: float) -> None:
        return None

    async def main() -> Any:
        async with (
            httpx.AsyncClient(transport=transport) as http,
            AsyncCreditsClient(KEY, http_client=http, sleep=nap) as client,
        ):
            return await getattr(client, call)(*args, **kwargs)

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ({"disabled": True}, {"disabled": True}),
        ({"limit": None}, {"limit": None}),
        ({"limit": 12, "limit_reset": "weekly"}, {"limit": 12.0, "limit_reset": "weekly"}),
        ({"limit_reset": None}, {"limit_reset": None}),
        ({"include_byok_in_limit": True, "name": "ci"}, {"include_byok_in_limit": True, "name": "ci"}),
    ],
)
def test_only_the_fields_given_are_sent(mode: str, given: dict[str, Any], sent: dict[str, Any]) -> None:
    """A field left out is not in the body (left as it is); None is sent as null (no limit, never resets)."""
    handler = Recorder()
    key = run(mode, handler, "update_key", HASH, **given)
    assert handler.bodies == [sent]
    assert isinstance(key, ApiKey)
    assert key.hash_ == HASH
    for name, value in sent.items():
        assert getattr(key, name) == value


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({}, "Nothing to change: give at least one of name, disabled, limit, limit_reset, include_byok_in_limit."),
        ({"disabled": "yes"}, "disabled must be True or False, not 'yes'."),
        ({"limit": -5}, "limit must be an amount of dollars, 0 or more, or None (no limit), not -5."),
        ({"limit": float("nan")}, "limit must be an amount of dollars, 0 or more, or None (no limit), not nan."),
        ({"limit": True}, "limit must be an amount of dollars, 0 or more, or None (no limit), not True."),
        (
            {"limit_reset": "hourly"},
            "limit_reset must be one of daily, weekly, monthly, or None (never), not 'hourly'.",
        ),
        ({"name": " "}, "name must be a non-empty string, not ' '."),
    ],
)
def test_bad_values_are_refused_before_any_io(mode: str, given: dict[str, Any], problem: str) -> None:
    handler = Recorder()
    with pytest.raises(ConfigurationError) as info:
        run(mode, handler, "update_key", HASH, **given)
    assert str(info.value) == problem
    assert handler.methods == []


def test_a_hash_is_needed(mode: str) -> None:
    handler = Recorder()
    with pytest.raises(ConfigurationError, match="key_hash must be a key's hash"):
        run(mode, handler, "update_key", "  ", disabled=True)
    with pytest.raises(ConfigurationError, match="key_hash must be a key's hash"):
        run(mode, handler, "get_key_by_hash", None)
    assert handler.methods == []


def test_get_key_by_hash(mode: str) -> None:
    key = run(mode, Recorder(), "get_key_by_hash", HASH)
    assert isinstance(key, ApiKey)
    assert (key.name, key.limit, key.limit_left, key.workspace_name) == ("ci-nightly", 20.0, 15.0, None)


def test_server_errors_are_retried_and_a_400_is_not(mode: str) -> None:
    """A PATCH is idempotent: a 503 is retried (max_retries 2: three attempts); a 400 is not."""
    failing = Recorder(status=503)
    with pytest.raises(ServerError, match="after 3 attempts"):
        run(mode, failing, "update_key", HASH, disabled=True)
    assert failing.methods == ["PATCH"] * 3
    refused = Recorder(status=400)
    with pytest.raises(UnexpectedStatusError):
        run(mode, refused, "update_key", HASH, disabled=True)
    assert refused.methods == ["PATCH"]


def test_an_operation_that_is_not_idempotent_is_not_retried() -> None:
    """The retry rule knows the method: a POST (not idempotent unless said) is not sent again after a
    5xx, which may come after the server acted; a 429 (refused before acting) is retried."""
    from openrouter_credits._call.body import Received

    post = Operation(
        "/things", "a thing", "openrouter_credits_client.api.nothing", lambda parsed: parsed, "x", method="POST"
    )
    assert (post.idempotent, UPDATE_KEY.idempotent, UPDATE_KEY.method) == (False, True, "PATCH")
    settings = Settings.from_arguments(KEY, base_url=None, timeout=5.0, deadline=30.0, max_retries=2)

    def settle(operation: Operation[Any], status: int) -> Any:
        call = Call(settings, operation)
        call.next_timeout()
        received = Received(status, "x", httpx.Headers({"retry-after": "1"}), b"{}", False)
        try:
            return call.settle(received, None, None, time.monotonic())
        except Exception as error:
            return type(error).__name__

    assert settle(post, 503) == "ServerError"
    assert settle(post, 429) == 1.0
    assert settle(UPDATE_KEY, 503) == 1.0


class LosesFirstAnswer(httpx.HTTPTransport):
    """Sends every request; loses the answer to the first PATCH after the server acted on it."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PATCH" and not self.lost:
            self.lost += 1
            response.read()
            response.close()
            raise httpx.ReadError("the connection broke after the server acted")
        return response


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter()) as running:
        yield running


def test_a_retried_patch_leaves_the_key_as_one_patch() -> None:
    """Against the mock over loopback: the first PATCH's answer is lost after the mock applied it, the
    client sends it again, and the key is what one PATCH makes of it (the mock's clock stands still:
    ``updated_at`` is the PATCH's time, and the real one would tick between the two runs)."""
    now = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
    with MockServer(MockOpenRouter(clock=lambda: now)) as mock:
        _retried_and_once(mock)


def _retried_and_once(mock: MockServer) -> None:
    mock.app.set_keys([{"name": "ci-nightly", "limit": 20.0, "limit_reset": "daily", "usage_daily": 5.0}])
    key_hash = mock.app.listed_keys()[0]["hash"]
    transport = LosesFirstAnswer()
    with (
        httpx.Client(transport=transport) as http,
        CreditsClient(mock.provisioning_key, base_url=mock.base_url, http_client=http, sleep=lambda s: None) as client,
    ):
        twice = client.update_key(key_hash, disabled=True, limit=8.0)
    assert transport.lost == 1
    assert [r for r in mock.app.requests if r[0] == "PATCH"] == [("PATCH", f"/api/v1/keys/{key_hash}", 200)] * 2
    after_two = mock.app.listed_keys()[0]

    mock.app.reset()
    mock.app.set_keys([{"name": "ci-nightly", "limit": 20.0, "limit_reset": "daily", "usage_daily": 5.0}])
    with CreditsClient(mock.provisioning_key, base_url=mock.base_url) as client:
        once = client.update_key(key_hash, disabled=True, limit=8.0)
    assert mock.app.listed_keys()[0] == after_two
    assert twice == once
    assert (once.disabled, once.limit, once.limit_left) == (True, 8.0, 3.0)


def test_unknown_hash_and_ordinary_key_in_sentences(mock: MockServer) -> None:
    with (
        CreditsClient(mock.provisioning_key, base_url=mock.base_url) as client,
        pytest.raises(UnexpectedStatusError) as info,
    ):
        client.update_key("0123456789abcdef", disabled=True)
    assert str(info.value).startswith("OpenRouter has no key with the hash '0123456789abcdef' (HTTP 404: ")
    assert info.value.status_code == 404
    with (
        CreditsClient(mock.inference_key, base_url=mock.base_url) as client,
        pytest.raises(PermissionDeniedError) as refused,
    ):
        client.get_key_by_hash("0123456789abcdef")
    assert str(refused.value).startswith("This key may not read the account's keys (HTTP 401: ")
    assert mock.inference_key not in str(refused.value)
