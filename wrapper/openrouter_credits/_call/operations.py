"""The API operations the clients call: the generated endpoint that builds, sends and parses each,
and how its parsed model becomes what the wrapper returns."""

from __future__ import annotations

import copy
import importlib
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from .. import _defaults

if TYPE_CHECKING:
    from .._activity import DatedRows
    from .._analytics import AnalyticsMeta, AnalyticsResult, AnalyticsRows
    from .._analytics_query import AnalyticsQuery
    from .._api_key import ApiKey
    from .._credits import Credits
    from .._key_info import KeyInfo
    from .._workspaces import WorkspacePage
    from .body import Received

__all__ = [
    "ACTIVITY",
    "ANALYTICS_META",
    "ANALYTICS_QUERY",
    "CREDITS",
    "KEY",
    "KEYS",
    "KEY_BY_HASH",
    "UPDATE_KEY",
    "WORKSPACES",
    "AsyncSender",
    "Detailed",
    "Endpoint",
    "InvalidAnswer",
    "Operation",
    "SyncSender",
    "analytics_query",
]

T = TypeVar("T")
U = TypeVar("U")

#: The generated package the operations' endpoints and models come from.
GENERATED_PACKAGE = "openrouter_credits_client"


class SyncSender(Protocol):
    """What a generated endpoint asks of the client it is handed (the wrapper's exchange of one attempt)."""

    raise_on_unexpected_status: bool

    def get_httpx_client(self) -> SyncSender: ...

    def request(self, method: str, url: str, **kwargs: Any) -> Received: ...


class AsyncSender(Protocol):
    """The asyncio twin of ``SyncSender``."""

    raise_on_unexpected_status: bool

    def get_async_httpx_client(self) -> AsyncSender: ...

    async def request(self, method: str, url: str, **kwargs: Any) -> Received: ...


class Detailed(Protocol):
    """What a generated endpoint returns: the status and the parsed model (None for other statuses)."""

    @property
    def parsed(self) -> Any: ...


class Endpoint(Protocol):
    """A generated endpoint module: the request from the document, the response parsed and validated."""

    def sync_detailed(self, *, client: SyncSender, **params: Any) -> Detailed: ...

    def asyncio_detailed(self, *, client: AsyncSender, **params: Any) -> Awaitable[Detailed]: ...


class InvalidAnswer(ValueError):
    """Raised by an operation's conversion when a parsed 2xx, though the document allows it, cannot be
    used (an activity row's date of no known form). Its message is the problem, with the JSON path:
    the call turns it into a ``ResponseValidationError``."""


#: One ``Operation.load()`` at a time: two threads importing the generated modules at once can each
#: hold a module another needs (importlib then raises ``_DeadlockError``).
_LOADING = threading.Lock()


class Operation(Generic[T]):
    """One operation: its path (for messages and logs), what it reads (for messages), its endpoint.

    The generated endpoint module (and attrs and the models with it) is imported on the first call,
    not by ``import openrouter_credits``: the command line's start-up is measured against bare httpx.
    """

    __slots__ = (
        "_convert",
        "_endpoint",
        "_module",
        "_result_module",
        "idempotent",
        "max_bytes",
        "method",
        "path",
        "what",
    )

    def __init__(
        self,
        path: str,
        what: str,
        module: str,
        convert: Callable[[Any], T],
        result_module: str,
        max_bytes: int = _defaults.MAX_RESPONSE_BYTES,
        method: str = "GET",
        idempotent: bool | None = None,
    ) -> None:
        self.method = method
        #: Whether sending the request twice leaves the account as sending it once, so that a failed
        #: attempt (a 5xx, a network error: the request may have been carried out) may be sent again.
        #: By the method unless told (GET and HEAD are; POST and PATCH are not in general).
        self.idempotent = method in ("GET", "HEAD") if idempotent is None else idempotent
        self.path = path
        self.what = what
        self.max_bytes = max_bytes
        self._module = module
        self._convert = convert
        self._result_module = result_module
        self._endpoint: Endpoint | None = None

    @property
    def endpoint(self) -> Endpoint:
        """The generated module: ``sync_detailed(client=...)`` and ``asyncio_detailed(client=...)``.

        Raises ``OperationUnavailable`` when the generated package has no such module (the document
        it was generated from lacks the operation)."""
        if self._endpoint is None:
            # A module found by name: the protocol says what the wrapper uses of it.
            self._endpoint = cast(Endpoint, self._import(self._module))
        return self._endpoint

    def load(self) -> None:
        """Import the endpoint and the wrapper's models now, in this thread: calls made at once from
        several threads must not be the first to import them (import locks across circular imports
        between the generated modules can deadlock). Raises ``OperationUnavailable`` as ``endpoint``.
        Loads in several threads at once (``list_keys()`` beside ``get_balance()``) take turns."""
        with _LOADING:
            self.endpoint  # noqa: B018 (imports it)
            self._import(self._result_module)

    def _import(self, module: str) -> Any:
        try:
            return importlib.import_module(module, __package__)
        except ModuleNotFoundError as missing:
            # Only a module of the generated package that is not there: another missing module (a
            # dependency) is a broken installation, raised as it is.
            if not (missing.name or "").startswith(f"{GENERATED_PACKAGE}."):
                raise
            from .._exceptions import OperationUnavailable

            raise OperationUnavailable(self.method, self.path) from None

    def reading(self, convert: Callable[[Any], U]) -> Operation[U]:
        """This operation with its parsed answer read by ``convert`` instead (one call's reading, such
        as a query's, which knows which of a row's fields are counts and which are labels)."""
        other: Operation[Any] = copy.copy(self)
        other._convert = convert
        return other

    def result(self, parsed: Any) -> T:
        """The wrapper's value for the generated endpoint's parsed 2xx model; raises ``InvalidAnswer``
        when it cannot be one."""
        return self._convert(parsed)

    def __repr__(self) -> str:
        return f"Operation({self.method} {self.path})"


def _credits(parsed: Any) -> Credits:
    from .._credits import Credits

    return Credits.from_generated(parsed.data)


CREDITS: Operation[Credits] = Operation(
    "/credits",
    "the credits balance",
    "openrouter_credits_client.api.credits_.get_credits",
    _credits,
    "openrouter_credits._credits",
)


def _key(parsed: Any) -> KeyInfo:
    """The key's answer; a budget layer that is not what OpenRouter documents makes it invalid (the
    spendable figure would otherwise ignore the budget)."""
    from .._exceptions import MalformedBudgetError
    from .._key_info import KeyInfo

    key = KeyInfo.from_generated(parsed.data)
    try:
        key.budget_layers  # noqa: B018 (checks them)
        key.effective_layer  # noqa: B018
    except MalformedBudgetError as bad:
        raise InvalidAnswer(bad.detail) from None
    return key


#: How much of a value a message quotes.
MAX_QUOTED = 64


def _rows(parsed: Any) -> DatedRows:
    """The rows with their UTC dates; a date of no known form makes the whole answer invalid, since
    the spend of its day would otherwise read as 0."""
    from .._activity import DATE_FORMS, DatedRows, UndatedRow

    try:
        return DatedRows(parsed.data)
    except UndatedRow as bad:
        value = bad.value
        quoted = repr(value[:MAX_QUOTED]) + "…" if isinstance(value, str) and len(value) > MAX_QUOTED else repr(value)
        raise InvalidAnswer(f"data[{bad.index}].date is {quoted}, not a date ({DATE_FORMS})") from None


KEY: Operation[KeyInfo] = Operation(
    "/key",
    "the key's own limit and usage",
    "openrouter_credits_client.api.api_keys.get_current_key",
    _key,
    "openrouter_credits._key_info",
)
ACTIVITY: Operation[DatedRows] = Operation(
    "/activity",
    "the account's activity",
    "openrouter_credits_client.api.analytics.get_user_activity",
    _rows,
    "openrouter_credits._activity",
    max_bytes=_defaults.MAX_ACTIVITY_BYTES,
)


def _keys(parsed: Any) -> tuple[ApiKey, ...]:
    from .._api_key import ApiKey

    return tuple(ApiKey.from_generated(item) for item in parsed.data)


#: One page of ``GET /keys`` (``offset`` and the other query parameters are the call's).
KEYS: Operation[tuple[ApiKey, ...]] = Operation(
    "/keys",
    "the account's keys",
    "openrouter_credits_client.api.api_keys.list_api_keys",
    _keys,
    "openrouter_credits._api_key",
)


def _listed_key(parsed: Any) -> ApiKey:
    from .._api_key import ApiKey

    return ApiKey.from_generated(parsed.data)


#: ``GET /keys/{hash}`` (``hash_`` is the call's): one key of the account, as the listing has it.
KEY_BY_HASH: Operation[ApiKey] = Operation(
    "/keys/{hash}",
    "the key",
    "openrouter_credits_client.api.api_keys.get_key",
    _listed_key,
    "openrouter_credits._api_key",
)
#: ``PATCH /keys/{hash}`` (``hash_`` and the ``UpdateKeysBody`` are the call's): the key changed, as
#: it is now. Its values are absolute (``disabled: true``, ``limit: 20``), never a step from the key's
#: state: a retried PATCH leaves the key as one PATCH does, so a 5xx or a network error is retried.
UPDATE_KEY: Operation[ApiKey] = Operation(
    "/keys/{hash}",
    "the change to the key",
    "openrouter_credits_client.api.api_keys.update_keys",
    _listed_key,
    "openrouter_credits._api_key",
    method="PATCH",
    idempotent=True,
)


def _workspaces(parsed: Any) -> WorkspacePage:
    from .._workspaces import Workspace, WorkspacePage

    return WorkspacePage(tuple(Workspace.from_generated(item) for item in parsed.data), parsed.total_count)


#: One page of ``GET /workspaces`` (``offset`` and ``limit`` are the call's).
WORKSPACES: Operation[WorkspacePage] = Operation(
    "/workspaces",
    "the account's workspaces",
    "openrouter_credits_client.api.workspaces.list_workspaces",
    _workspaces,
    "openrouter_credits._workspaces",
)


def _meta(parsed: Any) -> AnalyticsMeta:
    from .._analytics import AnalyticsMeta

    return AnalyticsMeta.from_generated(parsed.data)


def _analytics_rows(parsed: Any) -> AnalyticsRows:
    """The answer's rows and metadata as they came; the query's fields read them (``_analytics``)."""
    from .._analytics import AnalyticsRows

    return AnalyticsRows.from_generated(parsed.data)


ANALYTICS_META: Operation[AnalyticsMeta] = Operation(
    "/analytics/meta",
    "the analytics metrics and dimensions",
    "openrouter_credits_client.api.analytics.get_analytics_meta",
    _meta,
    "openrouter_credits._analytics",
)
#: ``POST /analytics/query`` (the generated ``QueryAnalyticsBody`` is the call's ``body``): up to 10,000
#: rows of a few hundred bytes each.
ANALYTICS_QUERY: Operation[AnalyticsRows] = Operation(
    "/analytics/query",
    "the account's analytics",
    "openrouter_credits_client.api.analytics.query_analytics",
    _analytics_rows,
    "openrouter_credits._analytics",
    max_bytes=_defaults.MAX_ANALYTICS_BYTES,
    method="POST",
    idempotent=True,  # a query reads: asked twice, it changes nothing
)


def analytics_query(query: AnalyticsQuery) -> Operation[AnalyticsResult]:
    """``ANALYTICS_QUERY`` reading its answer for ``query`` (which fields are counts, which labels); a
    row it cannot read makes the answer invalid."""
    from .._analytics import UnreadableRow

    def read(parsed: Any) -> AnalyticsResult:
        try:
            return query.result(parsed)
        except UnreadableRow as bad:
            raise InvalidAnswer(str(bad)) from None

    return ANALYTICS_QUERY.reading(read)
