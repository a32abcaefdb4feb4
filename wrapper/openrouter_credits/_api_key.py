"""A key of the account as ``list_keys()`` returns it (``ApiKey``, the generated ``GET /keys`` item with
the wrapper's additions): its window, pace, projection and status, and its workspace. The listing
itself, and its paging, is ``_listing``'s.

Pure functions of the time they are given (``now``): nothing here does I/O.

A key's limit window is the one ``limit_reset`` names (``_windows``): the usage of a daily limit's
window is ``usage_daily``, of a weekly one ``usage_weekly``, of a monthly one ``usage_monthly``; a
limit without a reset counts the key's whole ``usage``. Its pace, projection at the reset and
exhaustion come from ``_forecast``: its own daily spend when the caller has it (a ledger's), else the
window's pace so far; estimates, in plain floats.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Final, Literal, get_args

import attrs

from openrouter_credits_client.models.list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem

from ._fields import read
from ._forecast import Forecast, forecast_spend, pace_forecast
from ._frozen import Frozen
from ._windows import next_reset, utc, window_start

__all__ = [
    "DAY",
    "DORMANT_AFTER",
    "SOON",
    "STATUSES",
    "ApiKey",
    "KeyStatus",
    "canonical_id",
    "parse_time",
    "workspace_of",
]

DAY: Final = dt.timedelta(days=1)
#: A key that expires, or is projected to reach a limit without a reset, within this is flagged.
SOON: Final = dt.timedelta(days=7)
#: A key unused for this long is ``dormant``.
DORMANT_AFTER: Final = dt.timedelta(days=30)

KeyStatus = Literal["disabled", "expired", "exhausted", "will_exhaust", "near_limit", "expires_soon", "dormant", "ok"]
#: The statuses in the order ``ApiKey.status()`` decides them: the first that holds is the key's.
STATUSES: Final[tuple[KeyStatus, ...]] = get_args(KeyStatus)


def parse_time(value: object) -> dt.datetime | None:
    """An aware UTC time from a datetime or an ISO 8601 string; None for anything else."""
    if isinstance(value, dt.datetime):
        return utc(value)
    if isinstance(value, str):
        try:
            return utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")))
        except ValueError:
            return None
    return None


def _last_used(key: ApiKey) -> dt.datetime | None:
    """``last_used_at`` of a listed key, beyond the published document: the property of that name
    reads it from what the server sent. A document that declares it (as the official SDK's does) gives
    a typed attribute that takes the property's place (see ``_fields``); either way it is read here."""
    return parse_time(read(key, "last_used_at"))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@attrs.frozen(repr=False, eq=True, hash=False)
class ApiKey(Frozen, ListApiKeysResponse200DataItem):
    """One key of the account as ``GET /keys`` lists it: ``name``, ``label``, ``hash_`` (its
    identifier; never the secret, which the listing does not carry), ``disabled``, ``limit`` (None: no
    limit), ``limit_remaining``, ``limit_reset``, ``usage`` and ``usage_daily`` / ``_weekly`` /
    ``_monthly``, ``byok_usage``, ``expires_at``, ``workspace_id``, ... Every field of the API
    document's key item is an attribute; immutable. ``workspace_name`` is the name of its workspace
    when ``list_keys()`` could read the workspaces (else None). Its window, pace and status are
    methods of ``now`` (an aware time; a naive one is taken as UTC)."""

    __hash__ = Frozen.__hash__  # type: ignore[assignment]  # the generated base is unhashable

    workspace_name: str | None = None

    def in_workspace(self, name: str | None) -> ApiKey:
        """This key, its workspace named ``name``."""
        if name == self.workspace_name:
            return self
        new = copy.copy(self)
        object.__setattr__(new, "workspace_name", name)
        return new

    @property
    def limit_left(self) -> float | None:
        """What the key's limit still allows in its window, in dollars; None for a key without a
        limit, or when OpenRouter did not say."""
        if self.limit is None:
            return None
        return _number(self.limit_remaining)

    @property
    def window_usage(self) -> float | None:
        """The key's usage in its limit's current window: ``usage_daily``, ``usage_weekly`` or
        ``usage_monthly`` by ``limit_reset``, its lifetime ``usage`` for a limit without a reset;
        None for a key without a limit, or a reset this version does not know."""
        if self.limit is None:
            return None
        if self.limit_reset is None:
            return _number(self.usage)
        kind = self.limit_reset.strip().lower()
        if kind == "daily":
            return _number(self.usage_daily)
        if kind == "weekly":
            return _number(self.usage_weekly)
        if kind == "monthly":
            return _number(self.usage_monthly)
        return None

    @property
    def expires(self) -> dt.datetime | None:
        """When the key expires (aware UTC), None when it does not."""
        return parse_time(self.expires_at)

    @property
    def last_used_at(self) -> dt.datetime | None:  # type: ignore[override, unused-ignore]  # see _last_used
        """When the key was last used (aware UTC), None when the listing does not say."""
        return _last_used(self)

    def resets_at(self, now: dt.datetime) -> dt.datetime | None:
        """When the key's limit next starts afresh after ``now``; None without a limit or a reset."""
        if self.limit is None:
            return None
        return next_reset(self.limit_reset, now)

    def _pace(self, now: dt.datetime) -> tuple[float | None, float | None, dt.datetime | None]:
        """(window usage, the days its pace is measured over, reset) at ``now``, each None when unknown:
        the one place the window's bounds are worked out. For a limit without a reset, the days are
        the 7 of ``usage_weekly``'s pace (its usage the lifetime's)."""
        usage = self.window_usage
        if usage is None:
            return None, None, None
        if self.limit_reset is None:
            return usage, 7.0, None
        now = utc(now)
        start = window_start(self.limit_reset, now)
        if start is None:
            return usage, None, None
        return usage, (now - start) / DAY, next_reset(self.limit_reset, now)

    def forecast(self, now: dt.datetime, *, daily: Sequence[tuple[dt.date, float]] | None = None) -> Forecast | None:
        """The forecast of the key's spend from ``now`` (``_forecast``): of ``daily``, its own spend
        of the completed UTC days before ``now`` (a ledger's days of this key; days from ``now``'s on
        are left out) when given and not empty; else its window's pace, ``pace_forecast``: the
        window's usage over the days elapsed in it (``usage_weekly / 7`` for a limit without a
        reset), ``"window average"``, without a range. None without a limit, at the window's very
        first instant, or when neither is known. Raises ValueError for a ``daily`` that is not a
        history (see ``forecast_spend``)."""
        now = utc(now)
        return self._forecast(now, daily, self._pace(now))

    def _forecast(
        self,
        now: dt.datetime,
        daily: Sequence[tuple[dt.date, float]] | None,
        bounds: tuple[float | None, float | None, dt.datetime | None],
    ) -> Forecast | None:
        if daily:
            today = now.date()
            return forecast_spend([day for day in daily if day[0] < today], at=now)
        usage, days, _ = bounds
        if usage is None or days is None or days <= 0:
            return None
        spent = _number(self.usage_weekly) if self.limit_reset is None else usage
        if spent is None or spent < 0:
            return None
        return pace_forecast(spent, days, at=now)

    def pace_per_day(self, now: dt.datetime, *, daily: Sequence[tuple[dt.date, float]] | None = None) -> float | None:
        """Dollars a day the key spends against its limit: the forecast's (``forecast``) central spend
        of an average day; without ``daily``, the window's usage divided by the days elapsed in it
        (fractional; None at the window's very first instant), for a limit without a reset
        ``usage_weekly / 7``. None without a limit (and without ``daily``)."""
        forecast = self.forecast(now, daily=daily)
        return None if forecast is None else forecast.spend_per_day

    def projected_at_reset(
        self, now: dt.datetime, *, daily: Sequence[tuple[dt.date, float]] | None = None
    ) -> float | None:
        """The window's usage at its reset: its usage so far and the forecast's central spend from
        ``now`` to the reset (``forecast``: the window's pace, without ``daily``); None without a
        reset or a forecast."""
        now = utc(now)
        bounds = self._pace(now)
        usage, _, reset = bounds
        if usage is None or reset is None:
            return None
        forecast = self._forecast(now, daily, bounds)
        return None if forecast is None else usage + forecast.spend_between(now, reset).central

    def exhausts_at(
        self, now: dt.datetime, *, daily: Sequence[tuple[dt.date, float]] | None = None
    ) -> dt.datetime | None:
        """When the key reaches its limit at the forecast's central spend (``forecast``: the window's
        pace, without ``daily``): ``now`` when nothing is left; None when that comes at or after the
        reset (or the forecast spends nothing, or is unknown). For a limit without a reset, however far."""
        left = self.limit_left
        now = utc(now)
        if left is None:
            return None
        if left <= 0:
            return now
        bounds = self._pace(now)
        forecast = self._forecast(now, daily, bounds)
        when = None if forecast is None else forecast.runs_out_at(left)
        reset = bounds[2]
        return None if when is None or (reset is not None and when >= reset) else when

    def status(
        self, now: dt.datetime, *, near: float = 0.10, daily: Sequence[tuple[dt.date, float]] | None = None
    ) -> KeyStatus:
        """The first of ``STATUSES`` that holds at ``now``: ``disabled``; ``expired``; ``exhausted``
        (nothing left); ``will_exhaust`` (at the forecast's central spend, ``exhausts_at``, it reaches
        the limit before the reset, or within 7 days for a limit without a reset); ``near_limit``
        (less than ``near`` of the limit left); ``expires_soon`` (within 7 days); ``dormant`` (last
        used over 30 days ago, when the listing says); else ``ok``."""
        now = utc(now)
        if self.disabled:
            return "disabled"
        expires = self.expires
        if expires is not None and expires <= now:
            return "expired"
        left = self.limit_left
        if left is not None and left <= 0:
            return "exhausted"
        exhausts = self.exhausts_at(now, daily=daily)
        if exhausts is not None and (self.limit_reset is not None or exhausts - now <= SOON):
            return "will_exhaust"
        limit = _number(self.limit)
        if left is not None and limit is not None and left < near * limit:
            return "near_limit"
        if expires is not None and expires - now <= SOON:
            return "expires_soon"
        used = _last_used(self)
        if used is not None and now - used > DORMANT_AFTER:
            return "dormant"
        return "ok"


def canonical_id(value: object) -> str | None:
    """A workspace id as one string for each workspace (a UUID's canonical form), None for none."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


def workspace_of(key: ApiKey) -> str | None:
    """The id of the key's workspace (``canonical_id``), None when the listing does not say (the API
    document in use may not declare ``workspace_id``)."""
    return canonical_id(getattr(key, "workspace_id", None))
