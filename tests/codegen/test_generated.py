"""The generated package on its own, as people import it: for any status and any body, every endpoint
in all four call styles returns, or raises one of the package's own errors, naming the field."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from http import HTTPStatus
from types import ModuleType
from typing import Any

import httpx
import pytest

from openrouter_credits_client import AuthenticatedClient, errors
from openrouter_credits_client.api.analytics import get_user_activity
from openrouter_credits_client.api.api_keys import get_current_key
from openrouter_credits_client.api.credits_ import get_credits
from openrouter_credits_client.models import GetCreditsResponse200, GetCurrentKeyResponse200

ENDPOINTS = {"credits": get_credits, "key": get_current_key, "activity": get_user_activity}
STYLES = ("sync", "sync_detailed", "asyncio", "asyncio_detailed")
OWN_ERRORS = (errors.ResponseValidationError, errors.UnexpectedStatus)

KEY_DATA = {
    "byok_usage": 0,
    "byok_usage_daily": 0,
    "byok_usage_monthly": 0,
    "byok_usage_weekly": 0,
    "creator_user_id": None,
    "include_byok_in_limit": False,
    "is_free_tier": False,
    "is_management_key": False,
    "label": "sk-or-v1-abc...def",
    "limit": 10,
    "limit_remaining": 2.5,
    "limit_reset": None,
    "usage": 7.5,
    "usage_daily": 1.25,
    "usage_monthly": 7.5,
    "usage_weekly": 3,
    "expires_at": "2027-12-31T23:59:59Z",
}


def client(handler: Callable[[httpx.Request], httpx.Response], *, strict: bool = False) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url="https://openrouter.ai/api/v1",
        token="sk-or-v1-test",
        raise_on_unexpected_status=strict,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )


def answer(status: int, content: bytes) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=content, headers={"content-type": "application/json"})


def call(endpoint: ModuleType, style: str, api: AuthenticatedClient) -> Any:
    """One call in ``style``; the async ones in an event loop of their own."""
    function = getattr(endpoint, style)
    if style.startswith("asyncio"):
        return asyncio.run(function(client=api))
    return function(client=api)


def outcome(endpoint: ModuleType, style: str, status: int, content: bytes, *, strict: bool = False) -> Any:
    """What the call returned, or the error it raised: only the package's own errors may escape."""
    try:
        return call(endpoint, style, client(answer(status, content), strict=strict))
    except OWN_ERRORS as exc:
        return exc


BODIES = [b"", b"not json", b"<html>502</html>", b"[]", b"null", b"{}", b'{"data": 1}', b'{"error": {}}']


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "raise_on_unexpected_status"])
def test_every_status_and_body(name: str, strict: bool) -> None:
    """Statuses 100 to 599 (499, 520, 561 and 599 among them) with malformed bodies, all four styles:
    a return with the status kept as an int where HTTPStatus does not know it, or the package's error."""
    endpoint = ENDPOINTS[name]
    undeclared = []  # statuses HTTPStatus does not know, as the caller saw them
    for status in range(100, 600):
        for content in BODIES[:2] if status % 7 else BODIES:
            for style in STYLES if status in (200, 499, 520, 561, 599) else STYLES[1:2]:
                result = outcome(endpoint, style, status, content, strict=strict)
                if isinstance(result, errors.ResponseValidationError):
                    assert 200 <= status <= 299, (status, content)
                    assert result.path
                    assert result.problem
                    assert result.status_code == status
                elif isinstance(result, errors.UnexpectedStatus):
                    assert strict
                    assert result.status_code == status
                    undeclared.append(status)
                elif style.endswith("detailed"):
                    assert result.status_code == status
                    if not isinstance(result.status_code, HTTPStatus):
                        undeclared.append(status)
    assert {499, 520, 561, 599} <= set(undeclared)


MALFORMED = [
    (b"", "$", "not JSON (the body is empty)"),
    (b"not json", "$", "not JSON (Expecting value: line 1 column 1 (char 0))"),
    (b"[1, 2]", "$", "expected object, got array"),
    (b"null", "$", "expected object, got null"),
    (b"{}", "data", "required field missing"),
    (b'{"data": []}', "data", "expected object, got array"),
    (b'{"data": {"total_usage": 1}}', "data.total_credits", "required field missing"),
    (b'{"data": {"total_credits": "1.5", "total_usage": 1}}', "data.total_credits", "expected number, got string"),
    (b'{"data": {"total_credits": true, "total_usage": 1}}', "data.total_credits", "expected number, got boolean"),
    (b'{"data": {"total_credits": null, "total_usage": 1}}', "data.total_credits", "expected number, got null"),
    (b'{"data": {"total_credits": [1], "total_usage": 1}}', "data.total_credits", "expected number, got array"),
    (b'{"data": {"total_credits": {}, "total_usage": 1}}', "data.total_credits", "expected number, got object"),
    (b'{"data": {"total_credits": NaN, "total_usage": 1}}', "data.total_credits", "expected a finite number, got nan"),
    (
        b'{"data": {"total_credits": 1, "total_usage": -Infinity}}',
        "data.total_usage",
        "expected a finite number, got -inf",
    ),
    (
        b'{"data": {"total_credits": 1e999, "total_usage": 1}}',
        "data.total_credits",
        "expected a finite number, got inf",
    ),
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("content", "path", "problem"), MALFORMED)
def test_malformed_credits_body(style: str, content: bytes, path: str, problem: str) -> None:
    """A 200 that is not the credits object raises one ResponseValidationError naming the place."""
    with pytest.raises(errors.ResponseValidationError) as info:
        call(get_credits, style, client(answer(200, content)))
    assert (info.value.path, info.value.problem) == (path, problem)
    assert str(info.value) == f"{path}: {problem}"
    assert info.value.content == content


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ({**KEY_DATA, "limit": "10"}, "data.limit", "expected number or null, got string"),
        ({**KEY_DATA, "expires_at": "next year"}, "data.expires_at", "expected an ISO 8601 date-time, got 'next year'"),
        ({**KEY_DATA, "is_free_tier": 0}, "data.is_free_tier", "expected boolean, got integer"),
        ({k: v for k, v in KEY_DATA.items() if k != "label"}, "data.label", "required field missing"),
    ],
)
def test_malformed_key_body(data: dict[str, Any], path: str, problem: str) -> None:
    """Nullable fields, date-times and booleans of GET /key are checked as declared."""
    import json

    with pytest.raises(errors.ResponseValidationError) as info:
        get_current_key.sync(client=client(answer(200, json.dumps({"data": data}).encode())))
    assert (info.value.path, info.value.problem) == (path, problem)


def test_activity_rows_are_checked_by_index() -> None:
    """A bad row of GET /activity is named by its index."""
    row = {
        "date": "2025-08-24",
        "model": "m",
        "model_permaslug": "m-1",
        "endpoint_id": "e",
        "provider_name": "p",
        "usage": 0.5,
        "byok_usage_inference": 0,
        "requests": 1,
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "reasoning_tokens": 0,
    }
    body = {"data": [row, {**row, "usage": "0.5"}]}
    import json

    with pytest.raises(errors.ResponseValidationError) as info:
        get_user_activity.sync(client=client(answer(200, json.dumps(body).encode())))
    assert str(info.value) == "data[1].usage: expected number, got string"
    parsed = get_user_activity.sync(client=client(answer(200, json.dumps({"data": [row]}).encode())))
    assert parsed is not None


def test_valid_bodies_parse_to_declared_types() -> None:
    """Valid bodies give the models with the declared types (a JSON integer for a number stays an int)."""
    import datetime
    import json

    credits = get_credits.sync(client=client(answer(200, b'{"data": {"total_credits": 25, "total_usage": 7.5}}')))
    assert isinstance(credits, GetCreditsResponse200)
    assert (credits.data.total_credits, credits.data.total_usage) == (25, 7.5)
    key = get_current_key.sync(client=client(answer(200, json.dumps({"data": KEY_DATA}).encode())))
    assert isinstance(key, GetCurrentKeyResponse200)
    assert key.data.expires_at == datetime.datetime(2027, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
    assert key.data.limit_remaining == 2.5
    assert key.data.creator_user_id is None
    assert not math.isnan(key.data.usage)


def test_error_bodies_parse_or_give_none() -> None:
    """A 401 in OpenRouter's error shape is parsed; one in another shape gives parsed None, not an error."""
    shaped = b'{"error": {"code": 401, "message": "Missing Authentication header"}}'
    parsed = get_credits.sync_detailed(client=client(answer(401, shaped))).parsed
    assert parsed is not None
    assert parsed.error.message == "Missing Authentication header"  # type: ignore[union-attr]
    assert get_credits.sync_detailed(client=client(answer(401, b"<html>"))).parsed is None
