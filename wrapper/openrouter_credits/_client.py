"""CreditsClient, AsyncCreditsClient, get_credits() and get_balance(): the I/O around the decisions in
_call (one call) and _balance (three answers together)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, cast

import httpx

from . import _defaults
from ._call.body import Received, aread_body, read_body
from ._call.operations import (
    ACTIVITY,
    ANALYTICS_META,
    ANALYTICS_QUERY,
    CREDITS,
    KEY,
    KEY_BY_HASH,
    KEYS,
    UPDATE_KEY,
    WORKSPACES,
    Operation,
    analytics_query,
)
from ._call.retry import Call
from ._exceptions import (
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    OperationUnavailable,
    PermissionDeniedError,
    term,
)
from ._key_update import UNCHANGED, KeyUpdate, LimitReset, Unchanged, check_key_hash
from ._settings import Settings
from ._windows import utc

if TYPE_CHECKING:
    from concurrent.futures import Future
    from uuid import UUID

    from openrouter_credits_client.models.activity_item import ActivityItem

    from ._activity import Activity
    from ._analytics import AnalyticsMeta, AnalyticsResult
    from ._api_key import ApiKey, KeyListing
    from ._balance import Balance
    from ._credits import Credits
    from ._key_info import KeyInfo
    from ._workspaces import Workspace

T = TypeVar("T")
P = ParamSpec("P")

__all__ = ["AsyncCreditsClient", "CreditsClient", "get_balance", "get_credits"]

Clock = Callable[[], dt.datetime]

#: The names of the threads ``CreditsClient.get_balance()`` makes its three calls in.
WORKER_THREAD_PREFIX = "openrouter-credits-call"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _activity_params(key_hash: str | None) -> dict[str, Any]:
    if key_hash is None:
        return {}
    if not isinstance(key_hash, str) or not key_hash.strip():
        raise ConfigurationError(f"{term('key_hash')} must be a key's hash (ApiKey.hash_), a non-empty string.")
    return {"api_key_hash": key_hash.strip()}


def _renamed_key_hash(key_hash: str | None, api_key_hash: str | None) -> str | None:
    """``key_hash``, or what the caller gave under its old name (``api_key_hash``, deprecated: one
    name for one value across the API, as ``get_balance(key_hash=...)`` has it)."""
    if api_key_hash is None:
        return key_hash
    import warnings

    warnings.warn(
        "get_activity(api_key_hash=...) is deprecated: pass key_hash=..., as get_balance() takes it.",
        DeprecationWarning,
        stacklevel=3,  # the caller's line
    )
    if key_hash is not None:
        raise ConfigurationError(
            f"Give the key's hash once, as {term('key_hash')}; api_key_hash is its old name, deprecated."
        )
    return api_key_hash


def _balance_calls(key_hash: str | None) -> dict[str, tuple[Operation[Any], dict[str, Any]]]:
    """What ``get_balance()`` calls at once, by name: each operation with its parameters (``"keys"``
    stands for the whole listing, disabled keys included). Checks ``key_hash`` before any I/O."""
    activity = _activity_params(key_hash)
    if key_hash is None:
        return {"credits": (CREDITS, {}), "key": (KEY, {}), "activity": (ACTIVITY, activity)}
    return {"credits": (CREDITS, {}), "keys": (KEYS, {"include_disabled": True}), "activity": (ACTIVITY, activity)}


def _balance_of(outcomes: Mapping[str, object], key_hash: str | None, now: dt.datetime) -> Balance:
    """The Balance of the outcomes of ``_balance_calls(key_hash)`` (a result, or the error a call
    raised), asked ``now``: the key's own, or with ``key_hash`` that listed key's."""
    from ._activity import Activity
    from ._balance import api_errors, balance_from, listed_key_balance

    rows = outcomes["activity"]
    activity_error = api_errors({"activity": rows}).get("activity")
    activity = None if activity_error is not None else Activity(cast("list[ActivityItem]", rows), now.date())
    answers = {name: outcome for name, outcome in outcomes.items() if name != "activity"}
    if key_hash is None:
        return balance_from(answers, activity, activity_error, now)
    return listed_key_balance(answers, key_hash.strip(), activity, activity_error, now)


def _in_order(outcomes: list[Any]) -> list[Any]:
    """The pages of a batch, or the first page's error (in page order) raised: no partial listing."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes


def _workspaces_or_refusal(found: object) -> tuple[list[Workspace] | None, str | None]:
    """What ``GET /workspaces`` gave a listing of keys: the workspaces, or why only the default
    workspace's keys can be listed (a refusal, an operation the document lacks); another error raised."""
    if isinstance(found, list):
        return found, None
    error = cast(BaseException, found)
    from ._api_key import workspace_refusal

    reason = workspace_refusal(error)
    if reason is None:
        raise error
    return None, reason


def _key_call(key_hash: str, update: KeyUpdate | None) -> tuple[Operation[ApiKey], dict[str, Any]]:
    """``GET /keys/{hash}`` (no ``update``) or ``PATCH /keys/{hash}``, loaded (``OperationUnavailable``
    when the API document in use lacks it), with the call's parameters."""
    if update is None:
        KEY_BY_HASH.load()
        return KEY_BY_HASH, {"hash_": key_hash}
    UPDATE_KEY.load()
    return UPDATE_KEY, {"hash_": key_hash, "body": update.body()}


def _key_call_error(error: APIStatusError, key_hash: str, update: KeyUpdate | None) -> APIStatusError:
    """A failed ``GET`` or ``PATCH /keys/{hash}`` in the caller's words: an ordinary key's refusal, or
    no key of that hash."""
    from ._api_key import refused_listing, unknown_key

    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return refused_listing(error, "read the account's keys" if update is None else "change the account's keys")
    return unknown_key(error, key_hash)


class _Exchange:
    """Stands in for the generated ``AuthenticatedClient`` during one attempt.

    The generated endpoint function builds the request from the spec (method and path) and hands it
    to ``request()`` here, which sends it through our httpx client with the key, the attempt's
    timeout, no redirects and the size cap, and keeps what came back for the wrapper to judge.
    """

    __slots__ = ("deadline_at", "headers", "http", "max_bytes", "received", "settings", "timeout")

    raise_on_unexpected_status = False

    def __init__(self, client: _ClientBase, call: Call[Any]) -> None:
        self.http = client._http
        self.settings = settings = client._settings
        timeout = call.next_timeout()
        # None when the httpx client is ours and already carries the key (merging per request costs).
        self.headers = client._request_headers
        # Likewise the timeout: our client's default unless the deadline has cut it.
        self.timeout: Any = httpx.USE_CLIENT_DEFAULT if client._owns_http and timeout is settings.timeout else timeout
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


class _ClientBase:
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

    def _listing_timeout(self, pages: int) -> APITimeoutError:
        """``list_keys()`` ran out of the client's deadline, which bounds the whole listing."""
        return APITimeoutError(
            f"Listing the keys ran out of its {self._settings.deadline:g} s deadline after {pages:,} pages. "
            f"Check the network, or raise {term('deadline')}.",
            url=self.base_url + KEYS.path,
        )


class CreditsClient(_ClientBase):
    """Reads the OpenRouter credits balance. One connection pool, safe to share across threads.

    ``api_key`` defaults to ``$OPENROUTER_API_KEY``: a management (provisioning) key reads everything,
    another key its own limit and usage; ``base_url`` to ``$OPENROUTER_BASE_URL``, else OpenRouter's.
    ``timeout`` applies to each attempt (a number, or an ``httpx.Timeout``); ``deadline`` bounds the
    whole call, retries and waits included. ``http_client`` may be your own ``httpx.Client`` (proxies,
    transports); it is then yours to close. ``sleep`` is how the client waits between attempts, and
    ``clock`` tells it the time (UTC), which decides the days of ``get_activity()``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = _defaults.DEFAULT_TIMEOUT,
        deadline: float = _defaults.DEFAULT_DEADLINE,
        max_retries: int = _defaults.DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = _utc_now,
    ) -> None:
        self._http: httpx.Client = self._configure(
            api_key, base_url, timeout, deadline, max_retries, http_client, httpx.Client
        )
        self._sleep = sleep
        self._clock = clock

    def get_credits(self) -> Credits:
        """Total credits bought and used (``GET /credits``, a management key). Raises an
        ``OpenRouterCreditsError`` subclass on failure, as every method here does."""
        return self._call(CREDITS)

    def get_key(self) -> KeyInfo:
        """This key's own limit and usage (``GET /key``, any key)."""
        return self._call(KEY)

    def get_activity(
        self, *, key_hash: str | None = None, api_key_hash: str | None = None, group_by: str | None = None
    ) -> Activity:
        """The last 30 completed UTC days of the account's spend (``GET /activity``, a management key);
        with ``key_hash`` (an ``ApiKey.hash_``), of that key alone (``api_key_hash``: its old name,
        deprecated); with ``group_by="workspace"``, each row per workspace (``Activity.by_workspace()``)."""
        from ._activity import Activity, group_by_params

        params = _activity_params(_renamed_key_hash(key_hash, api_key_hash))
        today = self._today()
        rows = self._call(ACTIVITY, **params, **group_by_params(group_by))
        return Activity(rows, today)

    def get_key_by_hash(self, key_hash: str) -> ApiKey:
        """One key of the account by its hash (``GET /keys/{hash}``, a management key), as
        ``list_keys()`` has it (its ``workspace_name`` is None: the call does not say it). A hash no key
        has raises an ``UnexpectedStatusError`` (404) saying so."""
        key_hash = check_key_hash(key_hash)
        operation, params = _key_call(key_hash, None)
        try:
            return self._call(operation, **params)
        except APIStatusError as error:
            raise _key_call_error(error, key_hash, None) from None

    def update_key(
        self,
        key_hash: str,
        *,
        disabled: bool | Unchanged = UNCHANGED,
        limit: float | Unchanged | None = UNCHANGED,
        limit_reset: LimitReset | Unchanged | None = UNCHANGED,
        include_byok_in_limit: bool | Unchanged = UNCHANGED,
        name: str | Unchanged = UNCHANGED,
    ) -> ApiKey:
        """Change one key of the account (``PATCH /keys/{hash}``, a management key) and return it as
        it is now. Only the fields given are sent: ``limit=None`` removes the key's limit, leaving
        ``limit`` out keeps it; ``limit_reset`` is ``"daily"``, ``"weekly"``, ``"monthly"`` or None
        (never). Every value is checked before any I/O (a ``ConfigurationError`` naming it).

        Each value is absolute, not a step from the key's state, so the request is idempotent: sent
        twice it leaves the key as sent once. A 5xx, a 429 or a network error is therefore retried
        as a read is (``max_retries``, within the ``deadline``), and a caller may send the same change
        again after any failure. A hash no key has raises an ``UnexpectedStatusError`` (404)."""
        key_hash = check_key_hash(key_hash)
        update = KeyUpdate.of(
            disabled=disabled,
            limit=limit,
            limit_reset=limit_reset,
            include_byok_in_limit=include_byok_in_limit,
            name=name,
        )
        operation, params = _key_call(key_hash, update)
        try:
            return self._call(operation, **params)
        except APIStatusError as error:
            raise _key_call_error(error, key_hash, update) from None

    def list_keys(self, *, include_disabled: bool = False, workspace_id: str | UUID | None = None) -> KeyListing:
        """Every key of the account (a management key): the workspaces (``GET /workspaces``), then each
        one's keys (``GET /keys``, all pages), each key once and with its ``workspace_name``; disabled
        keys only with ``include_disabled``; only one workspace's with ``workspace_id``. A key that is
        not a management key gets a ``PermissionDeniedError`` saying so.

        A ``KeyListing`` (a list): when ``GET /workspaces`` is refused (403, 404) or not in the API
        document in use, only the default workspace's keys can be listed, and the listing says so
        (``complete`` False, ``workspaces_note`` why). The workspaces' listings, and after a full
        first page the next pages, are read several at once. A page that fails fails the listing
        (the error is raised): never a part passed off as whole. OpenRouter pages by offset, so a
        key added or deleted during the listing may be missing. Each workspace's listing ends at a
        page that adds no key (the same keys at every offset) and fails past ``KEYS_MAX_PAGES``
        pages; the client's ``deadline`` bounds the whole listing, not each page."""
        from concurrent.futures import ThreadPoolExecutor

        from ._api_key import KEYS_PAGES_AT_ONCE, assembled, workspace_uuid
        from ._api_key import workspaces_to_list as others

        workspace = workspace_uuid(workspace_id)
        until = time.monotonic() + self._settings.deadline
        KEYS.load()
        refused: OperationUnavailable | None = None
        try:
            WORKSPACES.load()
        except OperationUnavailable as unavailable:
            refused = unavailable
        pool = ThreadPoolExecutor(max_workers=KEYS_PAGES_AT_ONCE, thread_name_prefix=WORKER_THREAD_PREFIX)
        try:
            listed: Future[list[Workspace]] | None = None if refused else pool.submit(self.list_workspaces)
            try:
                first = self._key_page(workspace, 0, include_disabled)
            except Exception:
                if listed is not None:  # its call ends before the client may close its pool under it
                    listed.exception(timeout=max(until - time.monotonic(), 0.0))
                raise
            found = refused if listed is None else self._settled(listed, until, 1)
            workspaces, reason = _workspaces_or_refusal(found)
            if workspace is not None or workspaces is None:
                return assembled(
                    self._key_pages(workspace, include_disabled, first, until),
                    include_disabled=include_disabled,
                    workspaces=workspaces,
                    refusal=reason if workspace is None else None,
                    default_keys=first if workspace is None else (),
                )
            futures = [pool.submit(self._key_pages, None, include_disabled, first, until)]
            futures += [
                pool.submit(self._key_pages, w, include_disabled, None, until) for w in others(workspaces, first)
            ]
            lists = _in_order([self._settled(future, until, 0) for future in futures])
            pages = [page for listing in lists for page in listing]
            return assembled(pages, include_disabled=include_disabled, workspaces=workspaces, default_keys=first)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _key_page(self, workspace: UUID | None, offset: int, include_disabled: bool) -> tuple[ApiKey, ...]:
        """One page of a workspace's keys (the default one's for None)."""
        from ._api_key import page_params, refused_listing

        try:
            return self._call(KEYS, **page_params(offset, include_disabled=include_disabled, workspace_id=workspace))
        except AuthenticationError as refused:  # a key of the wrong kind, or not accepted at all
            raise refused_listing(refused) from None

    def _settled(self, future: Future[Any], until: float, pages: int) -> object:
        """The future's result or error, waited for no longer than the listing's deadline (``until``)."""
        try:
            return future.exception(timeout=max(until - time.monotonic(), 0.0)) or future.result()
        except TimeoutError:
            raise self._listing_timeout(pages) from None

    def _key_pages(
        self, workspace: UUID | None, include_disabled: bool, first: tuple[ApiKey, ...] | None, until: float
    ) -> list[tuple[ApiKey, ...]]:
        """The pages of one workspace's keys (the default one's for None), ``first`` already read:
        after a full page, ten at once, batch after batch while they come back full and add keys."""
        from concurrent.futures import ThreadPoolExecutor

        from ._api_key import KEYS_PAGE_SIZE, KEYS_PAGES_AT_ONCE, more_pages

        seen: set[str] = set()
        pages = [self._key_page(workspace, 0, include_disabled) if first is None else first]
        if not more_pages(pages, seen, len(pages), self.base_url + KEYS.path):
            return pages
        pool = ThreadPoolExecutor(max_workers=KEYS_PAGES_AT_ONCE, thread_name_prefix=WORKER_THREAD_PREFIX)
        try:
            offset = KEYS_PAGE_SIZE
            while True:
                offsets = range(offset, offset + KEYS_PAGES_AT_ONCE * KEYS_PAGE_SIZE, KEYS_PAGE_SIZE)
                futures = [pool.submit(self._key_page, workspace, at, include_disabled) for at in offsets]
                batch = _in_order([self._settled(future, until, len(pages)) for future in futures])
                pages += batch
                if not more_pages(batch, seen, len(pages), self.base_url + KEYS.path):
                    return pages
                offset = offsets[-1] + KEYS_PAGE_SIZE
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def list_workspaces(self) -> list[Workspace]:
        """Every workspace of the account (``GET /workspaces``, all pages; a management key)."""
        WORKSPACES.load()  # OperationUnavailable when the API document in use lacks it
        from ._workspaces import WORKSPACES_PAGE_SIZE, merge_workspaces, workspace_page_params

        pages = [self._call(WORKSPACES, **workspace_page_params(0))]
        while len(pages[-1].workspaces) >= WORKSPACES_PAGE_SIZE:
            pages.append(self._call(WORKSPACES, **workspace_page_params(len(pages) * WORKSPACES_PAGE_SIZE)))
        return merge_workspaces(pages)

    def analytics_meta(self) -> AnalyticsMeta:
        """The metrics, dimensions, filter operators and granularities the analytics API offers
        (``GET /analytics/meta``, a management key)."""
        return self._call(ANALYTICS_META)

    def query_analytics(
        self,
        *,
        metrics: Iterable[str],
        dimensions: Iterable[str] = (),
        start: dt.date | dt.datetime,
        end: dt.date | dt.datetime,
        granularity: str | None = "day",
        filters: Iterable[Mapping[str, Any]] | None = None,
        limit: int = 10_000,
    ) -> AnalyticsResult:
        """One analytics query (``POST /analytics/query``, beta; a management key): ``metrics`` (names
        from ``analytics_meta()``) per ``dimensions`` (at most 2) per ``granularity`` bucket (None:
        totals) from ``start`` to ``end`` (dates are 00:00 UTC; the end is not included), ``filters``
        as the API takes them (``{"field": "workspace", "operator": "eq", "value": "<UUID>"}``), at most
        ``limit`` rows. Checked before any I/O (``ConfigurationError``); a query OpenRouter refuses (a
        metric it does not offer, a range longer than the metrics reach) raises ``BadRequestError``, a
        429 waits as its headers say within the call's deadline, then raises ``RateLimitError``."""
        from ._analytics import AnalyticsQuery

        query = AnalyticsQuery.of(
            metrics=metrics,
            dimensions=dimensions,
            start=start,
            end=end,
            granularity=granularity,
            filters=filters,
            limit=limit,
        )
        ANALYTICS_QUERY.load()
        return self._call(analytics_query(query), body=query.body())

    def get_balance(self, *, key_hash: str | None = None) -> Balance:
        """How much is left and for how long: ``/credits``, ``/key`` and ``/activity``, called at
        once. What this key cannot know is None with a reason; one failed call does not hide the
        others' answers, but a 401, or all three failing, raises.

        With ``key_hash`` (a management key): the balance of that key of the account instead:
        ``/credits``, ``list_keys()`` and the key's own ``/activity`` (see ``Balance``)."""
        from concurrent.futures import ThreadPoolExecutor

        now = self._now()
        calls = _balance_calls(key_hash)

        def call(name: str) -> Any:
            operation, params = calls[name]
            return self.list_keys(**params) if operation is KEYS else self._call(operation, **params)

        outcomes: dict[str, object] = {}
        for name, (operation, _) in calls.items():
            try:
                operation.load()  # in this thread, before the workers (see Operation.load)
            except OperationUnavailable as unavailable:  # its part is unknown, with that reason
                outcomes[name] = unavailable
        pool = ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix=WORKER_THREAD_PREFIX)
        try:
            futures: dict[str, Future[Any]] = {name: pool.submit(call, name) for name in calls if name not in outcomes}
            outcomes.update({name: future.exception() or future.result() for name, future in futures.items()})
        finally:
            # Ctrl-C while waiting: return at once, not when the calls in flight end.
            pool.shutdown(wait=False, cancel_futures=True)
        return _balance_of(outcomes, key_hash, now)

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


class AsyncCreditsClient(_ClientBase):
    """The asyncio twin of ``CreditsClient``: the same options, ``await client.get_credits()``.

    Its connection pool belongs to an event loop: used from another (a second ``asyncio.run()``), the
    client makes a new pool, and the old one is closed as its loop ends. An ``http_client`` passed
    in cannot move so: another loop gets a ``ConfigurationError``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = _defaults.DEFAULT_TIMEOUT,
        deadline: float = _defaults.DEFAULT_DEADLINE,
        max_retries: int = _defaults.DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        # asyncio is imported here, not at the top: it costs more to import than httpx itself,
        # and the sync client and the command line never need it. ``sleep`` defaults to asyncio.sleep.
        import asyncio

        self._http: httpx.AsyncClient = self._configure(
            api_key, base_url, timeout, deadline, max_retries, http_client, httpx.AsyncClient
        )
        self._sleep = asyncio.sleep if sleep is None else sleep
        self._clock = clock
        # Calls beyond this wait here, in O(1), rather than in httpcore's pool queue (see MAX_CONNECTIONS).
        self._slots = asyncio.Semaphore(_defaults.MAX_CONNECTIONS)
        # The pool's connections and the semaphore belong to the event loop they were first used in.
        self._running_loop = asyncio.get_running_loop
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

    async def get_credits(self) -> Credits:
        """Total credits bought and used (``GET /credits``, a management key)."""
        return await self._call(CREDITS)

    async def get_key(self) -> KeyInfo:
        """This key's own limit and usage (``GET /key``, any key)."""
        return await self._call(KEY)

    async def get_activity(
        self, *, key_hash: str | None = None, api_key_hash: str | None = None, group_by: str | None = None
    ) -> Activity:
        """The last 30 completed UTC days of the account's spend (``GET /activity``, a management key);
        with ``key_hash``, of that key alone (``api_key_hash``: its old name, deprecated); with
        ``group_by="workspace"``, per workspace."""
        from ._activity import Activity, group_by_params

        params = _activity_params(_renamed_key_hash(key_hash, api_key_hash))
        today = self._today()
        rows = await self._call(ACTIVITY, **params, **group_by_params(group_by))
        return Activity(rows, today)

    async def get_key_by_hash(self, key_hash: str) -> ApiKey:
        """One key of the account by its hash (``GET /keys/{hash}``), as ``CreditsClient.get_key_by_hash()``."""
        key_hash = check_key_hash(key_hash)
        operation, params = _key_call(key_hash, None)
        try:
            return await self._call(operation, **params)
        except APIStatusError as error:
            raise _key_call_error(error, key_hash, None) from None

    async def update_key(
        self,
        key_hash: str,
        *,
        disabled: bool | Unchanged = UNCHANGED,
        limit: float | Unchanged | None = UNCHANGED,
        limit_reset: LimitReset | Unchanged | None = UNCHANGED,
        include_byok_in_limit: bool | Unchanged = UNCHANGED,
        name: str | Unchanged = UNCHANGED,
    ) -> ApiKey:
        """Change one key of the account (``PATCH /keys/{hash}``) and return it as it is now, as
        ``CreditsClient.update_key()``: only the fields given are sent (``limit=None`` removes the
        limit); idempotent, so retried on a 5xx, a 429 or a network error."""
        key_hash = check_key_hash(key_hash)
        update = KeyUpdate.of(
            disabled=disabled,
            limit=limit,
            limit_reset=limit_reset,
            include_byok_in_limit=include_byok_in_limit,
            name=name,
        )
        operation, params = _key_call(key_hash, update)
        try:
            return await self._call(operation, **params)
        except APIStatusError as error:
            raise _key_call_error(error, key_hash, update) from None

    async def list_keys(self, *, include_disabled: bool = False, workspace_id: str | UUID | None = None) -> KeyListing:
        """Every key of the account, as ``CreditsClient.list_keys()``: the workspaces, then each one's
        keys, read at once; a page that fails fails the listing; a refused ``GET /workspaces`` leaves
        a listing of the default workspace's keys that says so; the client's ``deadline`` bounds the
        whole listing."""
        import asyncio

        from ._api_key import assembled, workspace_uuid
        from ._api_key import workspaces_to_list as others

        workspace = workspace_uuid(workspace_id)
        pages: list[tuple[ApiKey, ...]] = []

        async def workspaces() -> list[Workspace]:
            WORKSPACES.load()  # OperationUnavailable when the document lacks it: a refusal
            return await self.list_workspaces()

        try:
            async with asyncio.timeout(self._settings.deadline):
                first_page = self._key_page(workspace, 0, include_disabled)
                found, first = await asyncio.gather(workspaces(), first_page, return_exceptions=True)
                if isinstance(first, BaseException):
                    raise first
                listed, reason = _workspaces_or_refusal(found)
                if workspace is not None or listed is None:
                    pages = await self._key_pages(workspace, include_disabled, first)
                    return assembled(
                        pages,
                        include_disabled=include_disabled,
                        workspaces=listed,
                        refusal=reason if workspace is None else None,
                        default_keys=first if workspace is None else (),
                    )
                lists = await asyncio.gather(
                    self._key_pages(None, include_disabled, first),
                    *(self._key_pages(w, include_disabled, None) for w in others(listed, first)),
                    return_exceptions=True,
                )
                pages = [page for listing in _in_order(list(lists)) for page in listing]
        except TimeoutError:
            raise self._listing_timeout(len(pages)) from None
        return assembled(pages, include_disabled=include_disabled, workspaces=listed, default_keys=first)

    async def _key_page(self, workspace: UUID | None, offset: int, include_disabled: bool) -> tuple[ApiKey, ...]:
        """One page of a workspace's keys (the default one's for None)."""
        from ._api_key import page_params, refused_listing

        params = page_params(offset, include_disabled=include_disabled, workspace_id=workspace)
        try:
            return await self._call(KEYS, **params)
        except AuthenticationError as refused:  # a key of the wrong kind, or not accepted at all
            raise refused_listing(refused) from None

    async def _key_pages(
        self, workspace: UUID | None, include_disabled: bool, first: tuple[ApiKey, ...] | None
    ) -> list[tuple[ApiKey, ...]]:
        """The pages of one workspace's keys (the default one's for None), as the sync client reads them."""
        import asyncio

        from ._api_key import KEYS_PAGE_SIZE, KEYS_PAGES_AT_ONCE, more_pages

        seen: set[str] = set()
        pages = [await self._key_page(workspace, 0, include_disabled) if first is None else first]
        more = more_pages(pages, seen, len(pages), self.base_url + KEYS.path)
        offset = KEYS_PAGE_SIZE
        while more:
            offsets = range(offset, offset + KEYS_PAGES_AT_ONCE * KEYS_PAGE_SIZE, KEYS_PAGE_SIZE)
            found = await asyncio.gather(
                *(self._key_page(workspace, at, include_disabled) for at in offsets), return_exceptions=True
            )
            batch = _in_order(list(found))
            pages += batch
            more = more_pages(batch, seen, len(pages), self.base_url + KEYS.path)
            offset = offsets[-1] + KEYS_PAGE_SIZE
        return pages

    async def list_workspaces(self) -> list[Workspace]:
        """Every workspace of the account (``GET /workspaces``, all pages; a management key)."""
        WORKSPACES.load()  # OperationUnavailable when the API document in use lacks it
        from ._workspaces import WORKSPACES_PAGE_SIZE, merge_workspaces, workspace_page_params

        pages = [await self._call(WORKSPACES, **workspace_page_params(0))]
        while len(pages[-1].workspaces) >= WORKSPACES_PAGE_SIZE:
            pages.append(await self._call(WORKSPACES, **workspace_page_params(len(pages) * WORKSPACES_PAGE_SIZE)))
        return merge_workspaces(pages)

    async def analytics_meta(self) -> AnalyticsMeta:
        """What the analytics API offers (``GET /analytics/meta``), as ``CreditsClient.analytics_meta()``."""
        return await self._call(ANALYTICS_META)

    async def query_analytics(
        self,
        *,
        metrics: Iterable[str],
        dimensions: Iterable[str] = (),
        start: dt.date | dt.datetime,
        end: dt.date | dt.datetime,
        granularity: str | None = "day",
        filters: Iterable[Mapping[str, Any]] | None = None,
        limit: int = 10_000,
    ) -> AnalyticsResult:
        """One analytics query (``POST /analytics/query``), as ``CreditsClient.query_analytics()``."""
        from ._analytics import AnalyticsQuery

        query = AnalyticsQuery.of(
            metrics=metrics,
            dimensions=dimensions,
            start=start,
            end=end,
            granularity=granularity,
            filters=filters,
            limit=limit,
        )
        ANALYTICS_QUERY.load()
        return await self._call(analytics_query(query), body=query.body())

    async def get_balance(self, *, key_hash: str | None = None) -> Balance:
        """How much is left and for how long, as ``CreditsClient.get_balance()``: the three calls at
        once; with ``key_hash``, the balance of that key of the account."""
        import asyncio

        now = self._now()
        calls = _balance_calls(key_hash)

        async def call(name: str) -> Any:
            operation, params = calls[name]
            return await (self.list_keys(**params) if operation is KEYS else self._call(operation, **params))

        results = await asyncio.gather(*(call(name) for name in calls), return_exceptions=True)
        return _balance_of(dict(zip(calls, results, strict=True)), key_hash, now)

    async def _call(self, operation: Operation[T], **params: Any) -> T:
        loop = self._running_loop()
        if loop is not self._loop:
            await self._bind(loop)
        call = Call(self._settings, operation)
        endpoint = operation.endpoint
        while True:
            exchange = _AsyncExchange(self, call)
            sent_at = time.monotonic()
            try:
                async with self._slots:
                    response = await endpoint.asyncio_detailed(client=exchange, **params)
            except Exception as exc:
                outcome = call.settle(exchange.received, None, exc, sent_at)
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


def _with_a_client_of_its_own(
    read: Callable[[CreditsClient], T], client: Callable[P, CreditsClient], returns: str
) -> Callable[P, T]:
    """``read`` as a function of its own: with a client made from the client's options (one
    signature to keep), closed before it returns."""
    import inspect  # httpx has imported it already

    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        with client(*args, **kwargs) as own:
            return read(own)

    name = read.__name__
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``CreditsClient(...).{name}()`` with a client of its own, closed before it returns."
    # help() and inspect show the client's options, and what the function returns.
    call.__signature__ = inspect.signature(client).replace(return_annotation=returns)  # type: ignore[attr-defined]
    return call


#: One call with a client of its own: ``get_credits().remaining``; takes ``CreditsClient``'s options.
get_credits = _with_a_client_of_its_own(CreditsClient.get_credits, CreditsClient, "Credits")
#: One ``get_balance()`` with a client of its own: ``get_balance().days_left``.
get_balance = _with_a_client_of_its_own(CreditsClient.get_balance, CreditsClient, "Balance")
