"""The API key never shows: not in errors, reprs, pickles, tracebacks or logs at any level."""

from __future__ import annotations

import logging
import pickle
import traceback

import httpx
import pytest

from helpers import KEY, Harness, ok
from openrouter_credits import CreditsClient, OpenRouterCreditsError
from openrouter_credits._settings import Secret, Settings


def echo(code: int) -> object:
    """A server that quotes the key back in its error body (some do, in 'invalid key ...' messages)."""

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(code, json={"error": {"code": code, "message": f"Key {token} is not valid"}})

    return handler


def echo_body(request: httpx.Request) -> httpx.Response:
    token = request.headers["authorization"]
    return httpx.Response(200, json={"data": {"total_credits": token, "total_usage": 1}, "auth": token})


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


PATHS = {
    "200": ok,
    "401 echo": echo(401),
    "403 echo": echo(403),
    "429 echo": echo(429),
    "500 echo": echo(500),
    "404 echo": echo(404),
    "invalid body echo": echo_body,
    "connection refused": refuse,
}


@pytest.mark.parametrize("path", PATHS)
def test_key_never_shows(mode: str, path: str, caplog: pytest.LogCaptureFixture) -> None:
    """Every path, sync and async: the key is absent from the error, its pickle, traceback and all logs."""
    caplog.set_level(logging.DEBUG)
    h = Harness(mode, PATHS[path], max_retries=1)
    shown: list[str] = []
    try:
        shown.append(repr(h.call()))
    except OpenRouterCreditsError as exc:
        shown += [str(exc), repr(exc), repr(exc.args), repr(exc.__dict__)]
        shown.append("".join(traceback.format_exception(exc)))
        shown.append(pickle.dumps(exc).decode("latin-1"))
    shown.append(caplog.text)
    shown += [repr(record.__dict__) for record in caplog.records]
    for text in shown:
        assert KEY not in text
    assert len(h.requests) >= 1
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in h.requests)


def test_echoed_key_is_redacted() -> None:
    """A key quoted back by the server shows as [redacted] in the message and body."""
    h = Harness("sync", echo(401), max_retries=0)
    with pytest.raises(OpenRouterCreditsError) as info:
        h.call()
    assert "Key [redacted] is not valid" in str(info.value)


def test_client_and_settings_reprs() -> None:
    """repr() of the client, its settings and the key holder hide the key; the holder refuses pickling."""
    client = CreditsClient(KEY)
    assert repr(client) == "CreditsClient(base_url='https://openrouter.ai/api/v1', max_retries=2)"
    settings = client._settings
    assert isinstance(settings, Settings)
    for text in (repr(client), str(client), repr(settings), repr(settings.headers), repr(vars(client))):
        assert KEY not in text
    assert repr(Secret(KEY)) == str(Secret(KEY)) == "<hidden>"
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(settings.key)
    client.close()
