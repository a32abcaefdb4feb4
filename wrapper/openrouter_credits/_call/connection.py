"""A client's connection: its settings, its connection pool (for the async client, the running event
loop's) and its clock, and one call sent through it, attempt by attempt (``retry.Call`` decides what
each outcome means; this sends and sleeps). The clients (``_client``) add the API's methods.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

import httpx

from .. import _defaults
from .._exceptions import ConfigurationError, term
from .._settings import Settings
from .._windows import utc
from .body import Received, aread_body, read_body
from .retry import Call

if TYPE_CHECKING:
    import asyncio

    from .operations import Operation

__all__ = ["AsyncConnection", "Clock", "Connection", "SyncConnection", "utc_now"]

T = TypeVar("T")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The time now, in UTC: a client's clock unless it is given one."""
    return dt.datetime.now(dt.UTC)


class _Exchange:
    """Stands in for the generated ``AuthenticatedClient`` during one attempt.

    The generated endpoint function builds the request from the spec (method and path) and hands it
    to ``request()`` here, which sends it through our httpx client with the key, the attempt's
    timeout, no redirects and the size cap, and keeps what came back for the wrapper to judge.
    """

    __slots__ = ("deadline_at", "headers", "http", "max_bytes", "received", "settings", "timeout")

    raise_on_unexpected_status = False

    def __init__(self, connection: Connection, call: Call[Any]) -> None:
        self.http = connection._http
        self.settings = settings = connection._settings
        timeout = call.next_timeout()
        # None when the httpx client is ours and already carries the key (merging per request costs).
        self.headers = connection._request_headers
        # Likewise the timeout: our client's default unless the deadline has cut it.
        self.timeout: Any = (
            httpx.USE_CLIENT_DEFAULT if connection._owns_http and timeout is settings.timeout else timeout
        )
        self.deadline_at = call.deadline_at
        self.max_bytes = call.operation.max_bytes
        self.received: Received | None = None

    def _build(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Request:
        headers = self.headers
        if "headers" in kwargs:  # headers the spec declares (none today) go with ours
            headers = httpx.Headers(kwargs.pop("headers"))
            headers.update(self.settings.headers)
        return cast(
            httpx.Request,
            self.http.build_request(
                method, self.settings.base_url + url, headers=headers, timeout=self.timeout, **kwargs
            ),
        )


class _SyncExchange(_Exchange):
    __slots__ = ()

    def get_httpx_client(self) -> _SyncExchange:
        return self

    def request(self, method: str, url: str, **kwargs: Any) -> Received:
        response = self.http.send(self._build(method, url, kwargs), stream=True, follow_redirects=False)
        self.received = read_body(response, self.deadline_at, self.max_bytes)
        return self.received


class _AsyncExchange(_Exchange):
    __slots__ = ()

    def get_async_httpx_client(self) -> _AsyncExchange:
        return self

    async def request(self, method: str, url: str, **kwargs: Any) -> Received:
        response = await self.http.send(self._build(method, url, kwargs), stream=True, follow_redirects=False)
        self.received = await aread_body(response, self.deadline_at, self.max_bytes)
        return self.received


def _new_http_client(cls: type[httpx.Client] | type[httpx.AsyncClient], settings: Settings) -> Any:
    limits = httpx.Limits(
        max_connections=_defaults.MAX_CONNECTIONS, max_keepalive_connections=_defaults.MAX_CONNECTIONS
    )
    return cls(headers=settings.headers, timeout=settings.timeout, follow_redirects=False, limits=limits)


class Connection:
    """What the two clients share: the settings (checked before any I/O), the httpx client (ours, or
    the caller's), the clock."""

    _http: Any
    _settings: Settings
    _owns_http: bool
    _request_headers: httpx.Headers | None
    _clock: Clock

    def _now(self) -> dt.datetime:
        """The time by the client's clock, in UTC (a naive time is taken to be UTC)."""
        return utc(self._clock())

    def _today(self) -> dt.date:
        """Today's UTC date, by the client's clock."""
        return self._now().date()

    def _configure(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        deadline: float,
        max_retries: int,
        http_client: object,
        expected: type[httpx.Client] | type[httpx.AsyncClient],
    ) -> Any:
        self._settings = Settings.from_arguments(
            api_key, base_url=base_url, timeout=timeout, deadline=deadline, max_retries=max_retries
        )
        if http_client is not None and not isinstance(http_client, expected):
            wanted = f"{expected.__module__}.{expected.__name__}"
            raise ConfigurationError(f"{term('http_client')} must be an {wanted}, not {type(http_client).__name__}.")
        self._owns_http = http_client is None
        self._request_headers = None if self._owns_http else self._settings.headers
        return http_client if http_client is not None else _new_http_client(expected, self._settings)

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def max_retries(self) -> int:
        return self._settings.max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries!r})"


class SyncConnection(Connection):
    """The blocking connection: calls in the caller's thread (or the threads of ``_plan.drive``)."""

    _http: httpx.Client
    _sleep: Callable[[float], None]

    def _call(self, operation: Operation[T], **params: Any) -> T:
        call = Call(self._settings, operation)
        endpoint = operation.endpoint
        while True:
            exchange = _SyncExchange(self, call)
            sent_at = time.monotonic()
            try:
                response = endpoint.sync_detailed(client=exchange, **params)
            except Exception as exc:
                outcome = call.settle(exchange.received, None, exc, sent_at)
            else:
                outcome = call.settle(exchange.received, response, None, sent_at)
            if not isinstance(outcome, float):
                return outcome
            self._sleep(outcome)

    def close(self) -> None:
        """Close the connection pool, unless the httpx client was passed in."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncConnection(Connection):
    """The asyncio connection. Its pool and its semaphore belong to an event loop: used from another
    (a second ``asyncio.run()``), it makes new ones when the httpx client is its own, and the old pool
    is closed as its loop ends; an ``http_client`` passed in cannot move so (a ConfigurationError)."""

    _http: httpx.AsyncClient
    _sleep: Callable[[float], Awaitable[None]]

    def _start_loop_state(self, sleep: Callable[[float], Awaitable[None]] | None) -> None:
        # asyncio is imported here, not at the top: it costs more to import than httpx itself,
        # and the sync client and the command line never need it. ``sleep`` defaults to asyncio.sleep.
        import asyncio

        self._sleep = asyncio.sleep if sleep is None else sleep
        # Calls beyond this wait here, in O(1), rather than in httpcore's pool queue (see MAX_CONNECTIONS).
        self._slots = asyncio.Semaphore(_defaults.MAX_CONNECTIONS)
        # The pool's connections and the semaphore belong to the event loop they were first used in.
        self._running_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.get_running_loop
        self._loop: object = None
        self._keeper: AsyncGenerator[None, None] | None = None

    async def _bind(self, loop: object) -> None:
        """Make the pool and the semaphore the running loop's: the first call's loop keeps the ones
        made with the client; a later loop (each ``asyncio.run()`` starts one) gets new ones when the
        httpx client is ours, and a ConfigurationError when it was passed in."""
        import asyncio

        if self._loop is not None:
            if not self._owns_http:
                raise ConfigurationError(
                    f"This client's {term('http_client')} was first used in another event loop, and its "
                    "connections belong to that loop (each asyncio.run() starts a new one). Make the "
                    "httpx.AsyncClient and the client inside one asyncio.run(), or leave out "
                    f"{term('http_client')}: the client then keeps a connection pool for each event loop."
                )
            self._http = _new_http_client(httpx.AsyncClient, self._settings)
            self._slots = asyncio.Semaphore(_defaults.MAX_CONNECTIONS)
        self._loop = loop
        if self._owns_http:
            # Started here, suspended while the loop runs: asyncio.run() closes it as the loop ends,
            # and it closes the pool then, on the loop its connections belong to.
            self._keeper = _closed_with_its_loop(self._http)
            await anext(self._keeper)

    async def _call(self, operation: Operation[T], **params: Any) -> T:
        loop = self._running_loop()
        if loop is not self._loop:
            await self._bind(loop)
        call = Call(self._settings, operation)
        endpoint = operation.endpoint
        while True:
            exchange: _AsyncExchange | None = None
            sent_at = time.monotonic()
            try:
                async with self._slots:
                    # The attempt's timeout is what the deadline leaves once a slot is free: the wait
                    # for one counts against the deadline too.
                    exchange = _AsyncExchange(self, call)
                    response = await endpoint.asyncio_detailed(client=exchange, **params)
            except Exception as exc:
                outcome = call.settle(None if exchange is None else exchange.received, None, exc, sent_at)
            else:
                outcome = call.settle(exchange.received, response, None, sent_at)
            if not isinstance(outcome, float):
                return outcome
            await self._sleep(outcome)

    async def aclose(self) -> None:
        """Close the connection pool, unless the httpx client was passed in."""
        if self._owns_http:
            keeper, self._keeper = self._keeper, None
            if keeper is not None:
                await keeper.aclose()
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def _closed_with_its_loop(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes ``http`` when its event loop shuts its async generators down (``asyncio.run()`` does as
    it ends), or when the client lets go of it while the loop runs."""
    try:
        yield
    finally:
        await http.aclose()
