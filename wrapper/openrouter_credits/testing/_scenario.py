"""The mock's scenario: accounts, keys, activity, faults and latency, and how tests change them
from Python. Every change is safe from any thread while a server runs the mock."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._analytics import ANALYTICS_DATE_FORMATS, DIMENSIONS
from ._history import default_older, split_at_window
from ._listing import Listings, workspace_record
from ._records import (
    ACTIVITY_DATE_FORMATS,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_NAME,
    ENDPOINTS,
    AccountBalance,
    Budget,
    Fault,
    KeyView,
    default_activity,
    key_label,
    rows_from,
)

__all__ = ["ANALYTICS_RATE_LIMIT", "DEFAULT_INFERENCE_KEY", "DEFAULT_PROVISIONING_KEY", "Scenario"]

DEFAULT_PROVISIONING_KEY = "sk-or-v1-mock-provisioning"
DEFAULT_INFERENCE_KEY = "sk-or-v1-mock-inference"
#: Analytics requests (query and meta together) a management key may make per minute, as OpenRouter
#: documents; the next get a 429 until the minute is over.
ANALYTICS_RATE_LIMIT = 64
#: The statuses an account without workspaces may answer ``GET /workspaces`` with (``refuse_workspaces``).
REFUSALS = (403, 404)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Scenario(Listings):
    """What the mock knows and how a test scripts it (see ``MockOpenRouter``)."""

    _accounts: dict[str, AccountBalance]
    _keys: dict[str, KeyView]
    _activity: dict[str, list[dict[str, Any]] | None]
    _history: dict[str, list[dict[str, Any]] | None]

    def __init__(
        self,
        *,
        provisioning_keys: Mapping[str, tuple[float, float]] | None = None,
        inference_keys: Iterable[str] | Mapping[str, float | None] | None = None,
        zero_credits_for_ordinary_keys: bool = False,
        activity_date_format: str = "date",
        analytics_date_format: str = "timestamp",
        analytics_rate_limit: int | None = ANALYTICS_RATE_LIMIT,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        if provisioning_keys is None:
            provisioning_keys = {DEFAULT_PROVISIONING_KEY: (25.0, 7.5)}
        if inference_keys is None:
            inference_keys = [DEFAULT_INFERENCE_KEY]
        limits = dict(inference_keys) if isinstance(inference_keys, Mapping) else dict.fromkeys(inference_keys)
        self._lock = threading.Lock()
        self._clock = clock
        self.zero_credits_for_ordinary_keys = zero_credits_for_ordinary_keys
        self._initial_date_format = self._activity_date_format = _date_format(activity_date_format)
        self._initial_analytics_format = self._analytics_date_format = _form(
            "analytics_date_format", analytics_date_format, ANALYTICS_DATE_FORMATS
        )
        self._initial_rate_limit = self.analytics_rate_limit = _rate_limit(analytics_rate_limit)
        #: (start of the current minute, requests in it) of each management key's analytics calls.
        self._analytics_calls: dict[str, tuple[float, int]] = {}
        self.refuse_workspaces: int | None = None
        """None, or the status (403 or 404) ``GET /workspaces`` answers: an account without workspaces."""
        self.analytics_dimensions: tuple[str, ...] | None = None
        """None (every one), or the analytics dimensions offered: meta lists only those, queries take only those."""
        accounts = {key: AccountBalance(float(c), float(u)) for key, (c, u) in provisioning_keys.items()}
        # A management key's own usage is 0: it cannot call models; the spend is the account's.
        keys = {key: KeyView(management=True) for key in accounts}
        for key, limit in limits.items():
            usage = 2.5 if limit is None else min(2.5, float(limit))
            keys[key] = KeyView(
                management=False,
                limit=None if limit is None else float(limit),
                usage=usage,
                usage_daily=0.5,
                usage_weekly=1.5,
                usage_monthly=usage,
            )
        #: Activity rows per management key; None: the default month, placed by the clock.
        activity: dict[str, list[dict[str, Any]] | None] = dict.fromkeys(accounts)
        #: What GET /keys lists for the account; None: the ordinary keys above, as the mock names them.
        listing: list[dict[str, Any]] | None = None
        #: The account's whole history per management key, when scripted (set_history); None: the
        #: default year, or the scripted activity (set_activity) after the default year's older days.
        history: dict[str, list[dict[str, Any]] | None] = dict.fromkeys(accounts)
        #: The workspaces GET /workspaces lists: the default one first.
        workspaces = [workspace_record(DEFAULT_WORKSPACE, DEFAULT_WORKSPACE_NAME, "default")]
        #: The keys of the workspaces added (add_workspace, set_workspaces), listed after the others.
        workspace_listing: list[dict[str, Any]] = []
        self._initial = (accounts, keys, activity, listing, history, workspaces, workspace_listing)
        self._restore()
        self._faults: dict[str, deque[Fault]] = {endpoint: deque() for endpoint in ENDPOINTS}
        self._latency = 0.0
        self._ids = itertools.count(1)
        self._in_flight = 0
        self.requests: list[tuple[str, str, int]] = []
        """(method, path, status) of every API request served, in order (not the /_mock/ ones); never the key."""

    @property
    def provisioning_key(self) -> str:
        """The first management (provisioning) key (the default one unless keys were given)."""
        return next(iter(self._accounts))

    @property
    def inference_key(self) -> str:
        """The first ordinary (inference) key."""
        return next(key for key, view in self._keys.items() if not view.management)

    label = staticmethod(key_label)

    def _key(self, key: str | None, *, management: bool = True) -> str:
        """A key given by itself or by its label (the first management key when None)."""
        if key is None:
            return self.provisioning_key
        known = self._accounts if management else self._keys
        if key in known:
            return key
        for candidate in known:
            if key_label(candidate) == key:
                return candidate
        kind = "management (provisioning) key" if management else "key"
        labels = ", ".join(key_label(k) for k in known)
        raise ValueError(f"{key!r} is not a {kind} of this mock; its keys are labelled {labels}")

    def balance(self, key: str | None = None) -> AccountBalance:
        with self._lock:
            found = self._accounts[self._key(key)]
            return AccountBalance(found.total_credits, found.total_usage)

    def set_balance(
        self, key: str | None = None, *, total_credits: float | None = None, total_usage: float | None = None
    ) -> None:
        """Change a management key's balance (the first key's unless named, by key or label); None
        leaves a field as it is."""
        for name, value in (("total_credits", total_credits), ("total_usage", total_usage)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{name} must be a number of dollars, not {value!r}")
        with self._lock:
            balance = self._accounts[self._key(key)]
            if total_credits is not None:
                balance.total_credits = float(total_credits)
            if total_usage is not None:
                balance.total_usage = float(total_usage)

    def key_view(self, key: str | None = None) -> KeyView:
        """What ``GET /key`` tells ``key`` (by key or label; the first management key when None)."""
        with self._lock:
            return attrs.evolve(self._keys[self._key(key, management=False)])

    def set_key(self, key: str | None = None, **fields: Any) -> None:
        """Change what ``GET /key`` says of a key: ``limit`` (None: no limit), ``usage``,
        ``usage_daily``, ``usage_weekly``, ``usage_monthly``, ``is_free_tier``."""
        allowed = {"limit", "usage", "usage_daily", "usage_weekly", "usage_monthly", "is_free_tier"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(f"a key has no field {unknown[0]!r}; its fields are {', '.join(sorted(allowed))}")
        for name, value in fields.items():
            if name == "is_free_tier":
                if not isinstance(value, bool):
                    raise ValueError(f"is_free_tier must be true or false, not {value!r}")
            elif not (value is None and name == "limit"):
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise ValueError(f"{name} must be a number of dollars, not {value!r}")
                fields[name] = float(value)
        with self._lock:
            view = self._keys[self._key(key, management=False)]
            for name, value in fields.items():
                setattr(view, name, value)

    def set_budgets(
        self,
        key: str | None = None,
        *,
        guardrail: Budget | float | Mapping[str, Any] | None = None,
        workspace: Budget | float | Mapping[str, Any] | None = None,
    ) -> None:
        """The budgets ``GET /key`` reports for a key (by key or label; the first management key when
        None) besides its own limit: a guardrail's (scope ``api_key``) and its workspace's (scope
        ``workspace``). Each is a number (the limit, nothing spent), ``{"limit": ..., "spend": ...,
        "reset_interval": "daily" | "weekly" | "monthly" | None, "include_byok": ...}``, or None (no
        such budget). ``effective_budget`` follows: the spent layer, else the least remaining."""
        budgets = {"guardrail": Budget.of(guardrail), "workspace": Budget.of(workspace)}
        with self._lock:
            view = self._keys[self._key(key, management=False)]
            for name, budget in budgets.items():
                setattr(view, name, budget)

    def set_activity(
        self, activity: Iterable[Mapping[str, Any]] | Mapping[str, float] | None, key: str | None = None
    ) -> None:
        """Script a management key's ``GET /activity``: rows (each with at least ``date`` and ``usage``;
        see ``activity_row``), or ``{"YYYY-MM-DD": usage}`` for one row a day, or None for the
        default month placed by the clock. Rows are served as given, whatever their dates."""
        rows = None if activity is None else rows_from(activity)
        with self._lock:
            found = self._key(key)
            self._activity[found] = rows
            self._history[found] = None

    def activity(self, key: str | None = None) -> list[dict[str, Any]]:
        """The rows ``GET /activity`` gives a management key now."""
        with self._lock:
            return self._activity_now(self._key(key))

    def _activity_now(self, key: str) -> list[dict[str, Any]]:
        """A management key's /activity rows (call with the lock held): as scripted, else the last 30
        completed days of its scripted history, else the default month."""
        rows = self._activity[key]
        if rows is not None:
            return copy.deepcopy(rows)
        today = self._clock().date()
        history = self._history[key]
        return default_activity(today) if history is None else split_at_window(history, today)[1]

    def set_history(
        self, rows: Iterable[Mapping[str, Any]] | Mapping[str, float] | None, key: str | None = None
    ) -> None:
        """Script a management key's whole history, up to a year: rows as ``set_activity`` takes them
        (any dates; a row may name its ``api_key_hash``, ``workspace_id``, ``user_id`` and ``app_id``),
        or ``{"YYYY-MM-DD": usage}``. Analytics answers from all of it, ``GET /activity`` from its 30
        completed days. None restores the default year (and month). Replaces a ``set_activity`` script."""
        history = None if rows is None else rows_from(rows)
        with self._lock:
            found = self._key(key)
            self._history[found] = history
            self._activity[found] = None

    def history(self, key: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """A management key's history as two lists of rows, each dealt to the listed keys on its own
        (see ``_history``): the days ``/activity`` does not show, then ``/activity``'s rows."""
        with self._lock:
            found = self._key(key)
            today = self._clock().date()
            scripted = self._history[found]
            activity = self._activity[found]
            current = self._activity_now(found)
        if scripted is not None:
            return split_at_window(scripted, today)[0], current
        if activity is not None:  # a scripted /activity is the account's whole spend
            return [], current
        return default_older(today), current

    @property
    def activity_date_format(self) -> str:
        """How ``GET /activity`` writes a row's date: ``date``, ``datetime`` or ``rfc3339`` (see
        ACTIVITY_DATE_FORMATS). Dates scripted in another form than YYYY-MM-DD are sent as given."""
        return self._activity_date_format

    def set_activity_date_format(self, form: str) -> None:
        """Write activity dates as ``form`` from now on: ``date``, ``datetime`` or ``rfc3339``."""
        self._activity_date_format = _date_format(form)

    @property
    def analytics_date_format(self) -> str:
        """How analytics writes ``date__day`` (and week, month): ``timestamp``
        (2026-05-19T00:00:00.000Z) or ``date`` (2026-05-19); see ANALYTICS_DATE_FORMATS."""
        return self._analytics_date_format

    def set_analytics_date_format(self, form: str) -> None:
        """Write analytics dates as ``form`` from now on: ``timestamp`` or ``date``."""
        self._analytics_date_format = _form("analytics_date_format", form, ANALYTICS_DATE_FORMATS)

    def set_analytics_rate_limit(self, per_minute: int | None) -> None:
        """Analytics requests a management key may make per minute of the mock's clock (None: no limit)."""
        self.analytics_rate_limit = _rate_limit(per_minute)

    def set_refuse_workspaces(self, status: int | None) -> None:
        """Make ``GET /workspaces`` answer ``status`` (403 or 404), as an account without workspaces
        may; None answers it again."""
        if status is not None and status not in REFUSALS:
            raise ValueError(f"refuse_workspaces is one of {', '.join(map(str, REFUSALS))} or null, not {status!r}")
        self.refuse_workspaces = status

    def set_analytics_dimensions(self, names: Iterable[str] | None) -> None:
        """Offer only these analytics dimensions (``GET /analytics/meta`` lists them, queries refuse the
        others, as an API without them would); None offers every one again."""
        if names is None:
            self.analytics_dimensions = None
            return
        if isinstance(names, str) or not all(isinstance(name, str) for name in names):
            raise ValueError("analytics_dimensions is a list of dimension names, or null")
        chosen = tuple(names)
        unknown = [name for name in chosen if name not in DIMENSIONS]
        if unknown:
            raise ValueError(f"no analytics dimension {unknown[0]!r}; the dimensions are {', '.join(DIMENSIONS)}")
        self.analytics_dimensions = chosen

    def inject(
        self,
        kind: str,
        *,
        count: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
        rate_limit_reset: float | None = None,
        endpoint: str = "credits",
    ) -> None:
        """Make the next ``count`` responses of ``endpoint`` (credits, key, activity, keys, workspaces,
        analytics/query or analytics/meta) faulty (see FAULT_KINDS); ``rate_limit_reset`` is for the
        rate-limit kind."""
        fault = Fault(kind, status, retry_after, rate_limit_reset)
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a whole number, 1 or more, not {count!r}")
        with self._lock:
            self._faults[endpoint].extend([fault] * count)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        retry_after: float | None = None,
        rate_limit_reset: float | None = None,
        endpoint: str = "credits",
    ) -> None:
        """The next ``count`` responses of ``endpoint`` answer ``status`` (429 and 5xx are the usual
        ones). With ``rate_limit_reset`` (seconds), a 429 as OpenRouter sends it: the rate-limit fault."""
        kind = "status" if rate_limit_reset is None else "rate-limit"
        self.inject(
            kind,
            count=count,
            status=status,
            retry_after=retry_after,
            rate_limit_reset=rate_limit_reset,
            endpoint=endpoint,
        )

    @property
    def latency(self) -> float:
        """Seconds every API response waits before it is sent."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not (math.isfinite(seconds) and seconds >= 0)
        ):
            raise ValueError(f"latency must be 0 or more seconds, not {seconds!r}")
        self._latency = float(seconds)

    def reset(self) -> None:
        """Back to how it started: the balances, keys, workspaces, activity and history and the date
        formats and rate limit it was made with, no pending faults, no latency, the 0/0 answer and the
        refusal of workspaces off, every analytics dimension offered, and an empty request log."""
        with self._lock:
            self._restore()
            for faults in self._faults.values():
                faults.clear()
            self._latency = 0.0
            self.zero_credits_for_ordinary_keys = False
            self._activity_date_format = self._initial_date_format
            self._analytics_date_format = self._initial_analytics_format
            self.analytics_rate_limit = self._initial_rate_limit
            self._analytics_calls.clear()
            self.refuse_workspaces = None
            self.analytics_dimensions = None
            self.requests.clear()

    def _restore(self) -> None:
        state = copy.deepcopy(self._initial)
        (
            self._accounts,
            self._keys,
            self._activity,
            self._listing,
            self._history,
            self._workspaces,
            self._workspace_listing,
        ) = state

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (a slow one can outlive the client that sent it)."""
        return self._in_flight

    @property
    def pending_faults(self) -> list[Fault]:
        """The faults still to come, for every endpoint."""
        with self._lock:
            return [fault for faults in self._faults.values() for fault in faults]


def _date_format(form: object) -> str:
    return _form("activity_date_format", form, ACTIVITY_DATE_FORMATS)


def _form(name: str, form: object, forms: Mapping[str, str]) -> str:
    if not isinstance(form, str) or form not in forms:
        raise ValueError(f"{name} must be one of {', '.join(forms)}, not {form!r}")
    return form


def _rate_limit(per_minute: object) -> int | None:
    if per_minute is not None and (isinstance(per_minute, bool) or not isinstance(per_minute, int) or per_minute < 1):
        raise ValueError(f"analytics_rate_limit must be a whole number, 1 or more, or null, not {per_minute!r}")
    return per_minute
