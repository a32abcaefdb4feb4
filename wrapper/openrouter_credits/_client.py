"""CreditsClient, AsyncCreditsClient, get_credits() and get_balance(): the API's methods, each a call
(``_call``: its connection sends it) or a plan of several calls decided once for both clients
(``_listing``, ``_workspaces``, ``_combine``) that each client drives its own way (``_plan``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import httpx

from . import _defaults
from ._call.connection import AsyncConnection, Clock, SyncConnection, utc_now
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
from ._exceptions import APIStatusError
from ._key_update import UNCHANGED, KeyUpdate, LimitReset, Unchanged, check_key_hash, key_call_error

if TYPE_CHECKING:
    from uuid import UUID

    from ._activity import Activity
    from ._analytics import AnalyticsMeta, AnalyticsResult
    from ._api_key import ApiKey
    from ._balance import Balance
    from ._credits import Credits
    from ._key_info import KeyInfo
    from ._listing import KeyListing
    from ._plan import Plan, Request
    from ._settings import Settings
    from ._workspaces import Workspace

T = TypeVar("T")
P = ParamSpec("P")

__all__ = ["AsyncCreditsClient", "CreditsClient", "get_balance", "get_credits"]

#: The operations a plan (``_plan.Request``) asks for by name; ``"list_keys"`` asks for a whole listing.
_OPERATIONS: dict[str, Operation[Any]] = {
    "credits": CREDITS,
    "key": KEY,
    "activity": ACTIVITY,
    "keys": KEYS,
    "workspaces": WORKSPACES,
}


def _key_call(key_hash: str, update: KeyUpdate | None) -> tuple[Operation[ApiKey], dict[str, Any]]:
    """``GET /keys/{hash}`` (no ``update``) or ``PATCH /keys/{hash}``, loaded (``OperationUnavailable``
    when the API document in use lacks it), with the call's parameters."""
    if update is None:
        KEY_BY_HASH.load()
        return KEY_BY_HASH, {"hash_": key_hash}
    UPDATE_KEY.load()
    return UPDATE_KEY, {"hash_": key_hash, "body": update.body()}


def _analytics_call(**options: Any) -> tuple[Operation[AnalyticsResult], Any]:
    """``POST /analytics/query`` reading its answer for the query of ``options`` (checked before any
    I/O: a ConfigurationError naming what cannot be one), with the request's body."""
    from ._analytics_query import AnalyticsQuery

    query = AnalyticsQuery.of(**options)
    ANALYTICS_QUERY.load()
    return analytics_query(query), query.body()


def _key_listing(settings: Settings, include_disabled: bool, workspace_id: object) -> Plan[KeyListing]:
    """The plan of ``list_keys()``, its deadline the client's (``workspace_id`` checked now, before any I/O)."""
    from ._listing import key_listing

    deadline, url, workspaces_url = (
        settings.deadline,
        settings.base_url + KEYS.path,
        settings.base_url + WORKSPACES.path,
    )
    return key_listing(
        workspace_id, include_disabled=include_disabled, deadline=deadline, url=url, workspaces_url=workspaces_url
    )


class CreditsClient(SyncConnection):
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
        clock: Clock = utc_now,
    ) -> None:
        self._http = self._configure(api_key, base_url, timeout, deadline, max_retries, http_client, httpx.Client)
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
        from ._activity import Activity, activity_params, renamed_key_hash

        params = activity_params(renamed_key_hash(key_hash, api_key_hash), group_by)
        today = self._today()
        rows = self._call(ACTIVITY, **params)
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
            raise key_call_error(error, key_hash, None) from None

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
            raise key_call_error(error, key_hash, update) from None

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
        from ._plan import drive

        plan = _key_listing(self._settings, include_disabled, workspace_id)
        return drive(plan, self._start, deadline=self._settings.deadline)

    def list_workspaces(self) -> list[Workspace]:
        """Every workspace of the account (``GET /workspaces``, all pages; a management key)."""
        from ._listing import workspace_listing
        from ._plan import drive

        return drive(workspace_listing(self._settings.base_url + WORKSPACES.path), self._start)

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
        limit: int = _defaults.DEFAULT_QUERY_LIMIT,
    ) -> AnalyticsResult:
        """One analytics query (``POST /analytics/query``, beta; a management key): ``metrics`` (names
        from ``analytics_meta()``) per ``dimensions`` (at most 2) per ``granularity`` bucket (None:
        totals) from ``start`` to ``end`` (dates are 00:00 UTC; the end is not included), ``filters``
        as the API takes them (``{"field": "workspace", "operator": "eq", "value": "<UUID>"}``), at most
        ``limit`` rows. Checked before any I/O (``ConfigurationError``); a query OpenRouter refuses (a
        metric it does not offer, a range longer than the metrics reach) raises ``BadRequestError``, a
        429 waits as its headers say within the call's deadline, then raises ``RateLimitError``."""
        operation, body = _analytics_call(
            metrics=metrics,
            dimensions=dimensions,
            start=start,
            end=end,
            granularity=granularity,
            filters=filters,
            limit=limit,
        )
        return self._call(operation, body=body)

    def get_balance(self, *, key_hash: str | None = None) -> Balance:
        """How much is left and for how long: ``/credits``, ``/key`` and ``/activity``, called at
        once. What this key cannot know is None with a reason; one failed call does not hide the
        others' answers, but a 401, or all three failing, raises.

        With ``key_hash`` (a management key): the balance of that key of the account instead:
        ``/credits``, ``list_keys()`` and the key's own ``/activity`` (see ``Balance``)."""
        from ._combine import balance_plan
        from ._plan import drive

        return drive(balance_plan(key_hash, self._now()), self._start)

    def _start(self, request: Request) -> Callable[[], object]:
        """The call a plan's ``request`` asks for, its operation loaded in this thread, before the
        calls made at once (see ``Operation.load``)."""
        if request.operation == "list_keys":
            KEYS.load()
            return partial(self.list_keys, **request.params)
        operation = _OPERATIONS[request.operation]
        operation.load()
        return partial(self._call, operation, **request.params)


class AsyncCreditsClient(AsyncConnection):
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
        clock: Clock = utc_now,
    ) -> None:
        self._http = self._configure(api_key, base_url, timeout, deadline, max_retries, http_client, httpx.AsyncClient)
        self._start_loop_state(sleep)
        self._clock = clock

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
        from ._activity import Activity, activity_params, renamed_key_hash

        params = activity_params(renamed_key_hash(key_hash, api_key_hash), group_by)
        today = self._today()
        rows = await self._call(ACTIVITY, **params)
        return Activity(rows, today)

    async def get_key_by_hash(self, key_hash: str) -> ApiKey:
        """One key of the account by its hash (``GET /keys/{hash}``), as ``CreditsClient.get_key_by_hash()``."""
        key_hash = check_key_hash(key_hash)
        operation, params = _key_call(key_hash, None)
        try:
            return await self._call(operation, **params)
        except APIStatusError as error:
            raise key_call_error(error, key_hash, None) from None

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
            raise key_call_error(error, key_hash, update) from None

    async def list_keys(self, *, include_disabled: bool = False, workspace_id: str | UUID | None = None) -> KeyListing:
        """Every key of the account, as ``CreditsClient.list_keys()``: the workspaces, then each one's
        keys, read at once; a page that fails fails the listing; a refused ``GET /workspaces`` leaves
        a listing of the default workspace's keys that says so; the client's ``deadline`` bounds the
        whole listing."""
        from ._plan import adrive

        plan = _key_listing(self._settings, include_disabled, workspace_id)
        return await adrive(plan, self._send, deadline=self._settings.deadline)

    async def list_workspaces(self) -> list[Workspace]:
        """Every workspace of the account (``GET /workspaces``, all pages; a management key)."""
        from ._listing import workspace_listing
        from ._plan import adrive

        return await adrive(workspace_listing(self._settings.base_url + WORKSPACES.path), self._send)

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
        limit: int = _defaults.DEFAULT_QUERY_LIMIT,
    ) -> AnalyticsResult:
        """One analytics query (``POST /analytics/query``), as ``CreditsClient.query_analytics()``."""
        operation, body = _analytics_call(
            metrics=metrics,
            dimensions=dimensions,
            start=start,
            end=end,
            granularity=granularity,
            filters=filters,
            limit=limit,
        )
        return await self._call(operation, body=body)

    async def get_balance(self, *, key_hash: str | None = None) -> Balance:
        """How much is left and for how long, as ``CreditsClient.get_balance()``: the three calls at
        once; with ``key_hash``, the balance of that key of the account."""
        from ._combine import balance_plan
        from ._plan import adrive

        return await adrive(balance_plan(key_hash, self._now()), self._send)

    async def _send(self, request: Request) -> object:
        """The call a plan's ``request`` asks for."""
        if request.operation == "list_keys":
            return await self.list_keys(**request.params)
        return await self._call(_OPERATIONS[request.operation], **request.params)


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
