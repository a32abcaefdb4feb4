"""What tests import: a test key, the documented 200, a harness that drives the sync or the async
client against a small httpx.MockTransport handler, a virtual clock, and a server of the test's own on
loopback."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from openrouter_credits import AsyncCreditsClient, Credits, CreditsClient, KeyInfo, KeyListing
from openrouter_credits.testing import MockOpenRouter, MockServer

#: The repository's top folder.
ROOT = Path(__file__).resolve().parent.parent

KEY = "sk-or-v1-SECRET-7f3a9c1e5b2d4680-TOPSECRET"
Handler = Callable[[httpx.Request], httpx.Response]


#: An ordinary key's usage as tests of the command, the client and the exporter script it for the mock
#: (whose own figures follow the activity it deals the key): $2.50 in all (its limit, when lower),
#: today $0.50, this week $1.50.
ORDINARY_FIGURES = {"usage": 2.5, "usage_daily": 0.5, "usage_weekly": 1.5, "usage_monthly": 2.5}


def script_figures(app: Any, *keys: str) -> None:
    """Give each of the mock's ordinary ``keys`` the figures ``ORDINARY_FIGURES`` (capped by its limit)."""
    for key in keys:
        limit = app.key_view(key).limit
        usage = ORDINARY_FIGURES["usage"] if limit is None else min(ORDINARY_FIGURES["usage"], limit)
        app.set_key(key, **{**ORDINARY_FIGURES, "usage": usage, "usage_monthly": usage})


class Clock:
    """Virtual time for the mock and the clients: ``now`` is moved by the test; ``rewind()`` puts it
    back where it started."""

    def __init__(self, start: dt.datetime) -> None:
        self.start = self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def rewind(self) -> None:
        self.now = self.start


def ok(request: httpx.Request) -> httpx.Response:
    """The documented 200."""
    return httpx.Response(200, json={"data": {"total_credits": 25.0, "total_usage": 7.5}})


class Harness:
    """Runs one get_credits() call through the sync or async client; records requests and sleeps."""

    def __init__(self, mode: str, handler: Handler, **options: Any) -> None:
        self.mode = mode
        self.handler = handler
        self.options = {"api_key": KEY, **options}
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def call(self) -> Credits:
        transport = httpx.MockTransport(self._handle)
        if self.mode == "sync":
            with (
                httpx.Client(transport=transport) as http,
                CreditsClient(http_client=http, sleep=self.sleeps.append, **self.options) as client,
            ):
                return client.get_credits()

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        async def main() -> Credits:
            async with (
                httpx.AsyncClient(transport=transport) as http,
                AsyncCreditsClient(http_client=http, sleep=sleep, **self.options) as client,
            ):
                return await client.get_credits()

        return asyncio.run(main())


def client_call(mode: str, key: str, method: str, options: dict[str, Any], /, *args: Any, **kwargs: Any) -> Any:
    """``client.<method>(*args, **kwargs)`` on a fresh sync or async client of ``key`` made with ``options``."""
    if mode == "sync":
        with CreditsClient(key, **options) as client:
            return getattr(client, method)(*args, **kwargs)

    async def main() -> Any:
        async with AsyncCreditsClient(key, **options) as client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(main())


def list_keys(mode: str, handler: Handler, **options: Any) -> KeyListing:
    """``list_keys(**options)`` of the sync or the async client, against ``handler``, without retries."""
    if mode == "sync":
        with (
            httpx.Client(transport=httpx.MockTransport(handler)) as http,
            CreditsClient(KEY, http_client=http, max_retries=0) as client,
        ):
            return client.list_keys(**options)

    async def main() -> KeyListing:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
            AsyncCreditsClient(KEY, http_client=http, max_retries=0) as client,
        ):
            return await client.list_keys(**options)

    return asyncio.run(main())


def key_data(**fields: Any) -> dict[str, Any]:
    """The ``data`` of ``GET /key`` for an ordinary key without a limit, with ``fields`` changed."""
    return {
        "label": "sk-or-v1-abc...def",
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "usage": 2.5,
        "usage_daily": 0.5,
        "usage_weekly": 1.5,
        "usage_monthly": 2.5,
        "byok_usage": 0.0,
        "byok_usage_daily": 0.0,
        "byok_usage_weekly": 0.0,
        "byok_usage_monthly": 0.0,
        "include_byok_in_limit": False,
        "is_free_tier": False,
        "is_management_key": False,
        "creator_user_id": None,
        **fields,
    }


def key_info(**fields: Any) -> KeyInfo:
    """What ``GET /key`` says of an ordinary key without a limit, with ``fields`` changed."""
    return KeyInfo(**key_data(**fields))


@contextlib.contextmanager
def account_mock(management: str, ordinary: str, clock: Callable[[], dt.datetime]) -> Iterator[MockServer]:
    """A live mock on ``clock`` for the block's duration, that knows the management key ``management``
    ($25.00 bought, $7.50 used) and the ordinary key ``ordinary``."""
    app = MockOpenRouter(provisioning_keys={management: (25.0, 7.5)}, inference_keys=[ordinary], clock=clock)
    with MockServer(app) as running:
        yield running


@contextlib.contextmanager
def on_loopback(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` answering on a free port of 127.0.0.1 for the block's duration: its base URL. It
    looks for the end of the block every 0.05 s (serve_forever's default, 0.5 s, is a wait at the end)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class PatchHeld(MockOpenRouter):
    """The mock, which calls ``on_patch`` (in a thread) once it has made a ``PATCH``'s change and before
    its answer goes: a test interrupts, cancels or times out the caller there, the change made and its
    answer not come (``on_patch`` bounds its own wait)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_patch: Callable[[], object] = lambda: None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "PATCH":
            await super().__call__(scope, receive, send)
            return

        async def held(message: Any) -> None:
            if message["type"] == "http.response.start":
                await asyncio.to_thread(self.on_patch)
            await send(message)

        await super().__call__(scope, receive, held)
