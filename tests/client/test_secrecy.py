"""The API key never shows: not in errors, reprs, pickles, tracebacks or logs at any level."""

from __future__ import annotations

import logging
import pickle
import traceback

import httpx
import pytest

from helpers import KEY, Harness, ok
from openrouter_credits import AsyncCreditsClient, CreditsClient, OpenRouterCreditsError


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


def test_nothing_the_client_holds_shows_the_key(mode: str) -> None:
    """repr() and str() of the client and of each thing it holds hide the key, and none of them pickles
    with the key in it (what holds the key refuses to be pickled)."""
    client: CreditsClient | AsyncCreditsClient = (CreditsClient if mode == "sync" else AsyncCreditsClient)(KEY)
    assert repr(client) == f"{type(client).__name__}(base_url='https://openrouter.ai/api/v1', max_retries=2)"
    held = vars(client)
    shown = [repr(client), str(client), repr(held), *(str(value) for value in held.values())]
    refused = []
    for value in held.values():
        try:
            shown.append(pickle.dumps(value).decode("latin-1"))
        except Exception as exc:  # whatever refuses must not quote the key
            shown.append(str(exc))
            refused.append(str(exc))
    for text in shown:
        assert KEY not in text
    assert "the API key is not picklable" in refused
    with pytest.raises(TypeError):
        pickle.dumps(client)
    if isinstance(client, CreditsClient):
        client.close()
