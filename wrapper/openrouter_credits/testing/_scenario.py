"""The mock's scenario: accounts, keys, activity, faults and latency, and how tests change them
from Python. Every change is safe from any thread while a server runs the mock."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._records import (
    ACTIVITY_DATE_FORMATS,
    ENDPOINTS,
    AccountBalance,
    Budget,
    Fault,
    KeyView,
    default_activity,
    generated_keys,
    key_label,
    listed_key,
    rows_from,
)

__all__ = ["DEFAULT_INFERENCE_KEY", "DEFAULT_PROVISIONING_KEY", "Scenario"]

DEFAULT_PROVISIONING_KEY = "sk-or-v1-mock-provisioning"
DEFAULT_INFERENCE_KEY = "sk-or-v1-mock-inference"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Scenario:
    """What the mock knows and how a test scripts it (see ``MockOpenRouter``)."""

    def __init__(
        self,
        *,
        provisioning_keys: Mapping[str, tuple[float, float]] | None = None,
        inference_keys: Iterable[str] | Mapping[str, float | None] | None = None,
        zero_credits_for_ordinary_keys: bool = False,
        activity_date_format: str = "date",
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
        self._initial = (accounts, keys, activity, listing)
        self._accounts, self._keys, self._activity, self._listing = copy.deepcopy(self._initial)
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

    def _listing_now(self) -> list[dict[str, Any]]:
        """The account's listed keys (call with the lock held)."""
        if self._listing is not None:
            return self._listing
        listing = []
        for key, view in self._keys.items():
            if not view.management:
                usage = attrs.asdict(view, filter=lambda a, _: a.name.startswith("usage") or a.name == "limit")
                listing.append(listed_key(key_label(key), hash=hashlib.sha256(key.encode()).hexdigest(), **usage))
        return listing

    def listed_keys(self) -> list[dict[str, Any]]:
        """What ``GET /keys`` lists now (disabled keys included), in order."""
        with self._lock:
            return copy.deepcopy(self._listing_now())

    def set_keys(self, keys: Iterable[Mapping[str, Any]]) -> None:
        """Script ``GET /keys``: each key a mapping with at least ``name``; the other fields of the
        document default (see ``listed_key``). Replaces the listing."""
        listing = []
        for key in keys:
            if not isinstance(key, Mapping) or "name" not in key:
                raise ValueError("each listed key needs at least a 'name'")
            listing.append(listed_key(**key))
        with self._lock:
            self._listing = listing

    def add_keys(self, count: int) -> None:
        """Add ``count`` generated keys to the listing (deterministic: see ``generated_keys``; their
        expiry times are placed by the mock's clock)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count must be a whole number, 0 or more, not {count!r}")
        now = self._clock()
        with self._lock:
            listing = self._listing_now() if self._listing is not None else []
            self._listing = [*listing, *generated_keys(count, len(listing), now)]

    def set_activity(
        self, activity: Iterable[Mapping[str, Any]] | Mapping[str, float] | None, key: str | None = None
    ) -> None:
        """Script a management key's ``GET /activity``: rows (each with at least ``date`` and ``usage``;
        see ``activity_row``), or ``{"YYYY-MM-DD": usage}`` for one row a day, or None for the
        default month placed by the clock. Rows are served as given, whatever their dates."""
        rows = None if activity is None else rows_from(activity)
        with self._lock:
            self._activity[self._key(key)] = rows

    def activity(self, key: str | None = None) -> list[dict[str, Any]]:
        """The rows ``GET /activity`` gives a management key now."""
        with self._lock:
            rows = self._activity[self._key(key)]
        return copy.deepcopy(rows) if rows is not None else default_activity(self._clock().date())

    @property
    def activity_date_format(self) -> str:
        """How ``GET /activity`` writes a row's date: ``date``, ``datetime`` or ``rfc3339`` (see
        ACTIVITY_DATE_FORMATS). Dates scripted in another form than YYYY-MM-DD are sent as given."""
        return self._activity_date_format

    def set_activity_date_format(self, form: str) -> None:
        """Write activity dates as ``form`` from now on: ``date``, ``datetime`` or ``rfc3339``."""
        self._activity_date_format = _date_format(form)

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
        """Make the next ``count`` responses of ``endpoint`` (credits, key, activity or keys) faulty (see
        FAULT_KINDS); ``rate_limit_reset`` is for the rate-limit kind."""
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
        """Back to how it started: the balances, keys, activity and activity date format it was made
        with, no pending faults, no latency, the 0/0 answer off, and an empty request log."""
        with self._lock:
            self._accounts, self._keys, self._activity, self._listing = copy.deepcopy(self._initial)
            for faults in self._faults.values():
                faults.clear()
            self._latency = 0.0
            self.zero_credits_for_ordinary_keys = False
            self._activity_date_format = self._initial_date_format
            self.requests.clear()

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
    if not isinstance(form, str) or form not in ACTIVITY_DATE_FORMATS:
        raise ValueError(f"activity_date_format must be one of {', '.join(ACTIVITY_DATE_FORMATS)}, not {form!r}")
    return form
