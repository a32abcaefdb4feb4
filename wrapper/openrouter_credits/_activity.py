"""The account's activity: 30 completed UTC days of ``GET /activity``, and the spend of each day.

The one home of the 30-day window (``completed_days``), which the mock imports too, and of what a
row's ``date`` may look like (``utc_date``): the document says ``YYYY-MM-DD``, the live API sends
``YYYY-MM-DD HH:MM:SS``, and some clients see RFC 3339.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple, cast, overload

from ._money import exact_quotient, exact_sum

if TYPE_CHECKING:
    from openrouter_credits_client.models.activity_item import ActivityItem

__all__ = [
    "ACTIVITY_DAYS",
    "DATE_FORMS",
    "WEEK",
    "Activity",
    "DailySpend",
    "DatedRows",
    "Spend",
    "UndatedRow",
    "activity_params",
    "completed_days",
    "group_by_params",
    "renamed_key_hash",
    "spend_per_day",
    "utc_date",
]

#: GET /activity covers this many completed UTC days; the spend per day averages the last WEEK of them.
ACTIVITY_DAYS = 30
WEEK = 7

#: The forms of a row's ``date`` that are taken (for messages).
DATE_FORMS = "YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339"

# YYYY-MM-DD, then optionally a time: after a space without a zone (the live API's form, in UTC), or
# after T, t or a space with fractional seconds allowed and a zone (Z or an offset) required (RFC 3339).
_FORMS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:([Tt ])([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))?)?"
)


def utc_date(text: str) -> dt.date:
    """The UTC date of a row's ``date``: ``YYYY-MM-DD``; ``YYYY-MM-DD HH:MM:SS``, in UTC; or RFC 3339
    (``2026-06-12T00:00:00Z``, ``2026-06-11T22:00:00.5-02:00``), whose offset is applied. Raises
    ValueError for anything else, an impossible date or time included."""
    match = _FORMS.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date ({DATE_FORMS})")
    year, month, day, separator, hour, minute, second, fraction, sign, zone_hours, zone_minutes = match.groups()
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError as exc:  # 2026-02-30
        raise ValueError(f"{text!r} is not a date: {exc}") from None
    if separator is None:
        return date
    if sign is None and text[-1] not in "Zz" and (separator != " " or fraction is not None):
        raise ValueError(f"{text!r} is not a date ({DATE_FORMS}): a time without a zone is HH:MM:SS after a space")
    # RFC 3339 allows a leap second (60), which ends a UTC day as 59 does.
    if int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        raise ValueError(f"{text!r} is not a date: no such time of day")
    if sign is None:  # Z, or the live API's form without a zone: UTC
        return date
    if int(zone_hours) > 23 or int(zone_minutes) > 59:
        raise ValueError(f"{text!r} is not a date: no such offset")
    offset = dt.timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    local = dt.datetime.combine(date, dt.time(int(hour), int(minute), min(int(second), 59)))
    try:
        utc = local - offset if sign == "+" else local + offset
    except OverflowError:  # before year 1 or after 9999 in UTC
        raise ValueError(f"{text!r} is not a date: out of range in UTC") from None
    return utc.date()


class UndatedRow(ValueError):
    """A row whose ``date`` is none of ``DATE_FORMS``: its index and the value."""

    def __init__(self, index: int, value: object) -> None:
        super().__init__(f"rows[{index}].date is {value!r}, not a date ({DATE_FORMS})")
        self.index = index
        self.value = value


def _dates(rows: Sequence[ActivityItem], *, strict: bool) -> list[dt.date | None]:
    """The UTC date of each row, parsed once per distinct string (a month has about 30 of them); a
    date of no known form raises ``UndatedRow`` when ``strict``, else is None."""
    seen: dict[str, dt.date | None] = {}
    dates: list[dt.date | None] = []
    for index, row in enumerate(rows):
        text = row.date
        if text in seen:
            date = seen[text]
        else:
            try:
                date = utc_date(text)
            except (ValueError, TypeError):  # TypeError: not a string (a caller's own rows)
                date = None
            if isinstance(text, str):
                seen[text] = date
        if date is None and strict:
            raise UndatedRow(index, text)
        dates.append(date)
    return dates


class DatedRows(Sequence["ActivityItem"]):
    """The rows of ``GET /activity`` with the UTC date of each, parsed once, as the operation
    returns them; ``Activity`` takes them as they are. Raises ``UndatedRow`` for a row whose date is
    none of ``DATE_FORMS``."""

    __slots__ = ("dates", "rows")

    rows: tuple[ActivityItem, ...]
    dates: tuple[dt.date, ...]

    def __init__(self, rows: Iterable[ActivityItem]) -> None:
        from ._fields import unset_to_none

        self.rows = tuple(unset_to_none(row) for row in rows)  # an optional field it lacks: None
        self.dates = tuple(cast("list[dt.date]", _dates(self.rows, strict=True)))  # strict: never None

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> ActivityItem: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ActivityItem, ...]: ...

    def __getitem__(self, index: int | slice) -> ActivityItem | tuple[ActivityItem, ...]:
        return self.rows[index]

    def __iter__(self) -> Iterator[ActivityItem]:
        return iter(self.rows)

    def __repr__(self) -> str:
        return f"DatedRows({len(self.rows)} rows)"


def completed_days(today: dt.date, days: int = ACTIVITY_DAYS) -> list[dt.date]:
    """The ``days`` completed UTC days before ``today``, oldest first."""
    return [today - dt.timedelta(days=back) for back in range(days, 0, -1)]


class DailySpend(NamedTuple):
    """The dollars spent on one UTC day."""

    date: dt.date
    usage: float


def spend_per_day(daily: Sequence[DailySpend]) -> float:
    """The spend of the last ``WEEK`` days of ``daily`` (oldest first), divided by ``WEEK``."""
    return exact_quotient(exact_sum(d.usage for d in daily[-WEEK:]), WEEK)


class Spend(NamedTuple):
    """What went to one model (or provider) over the 30 days and over the last 7 of them: dollars
    (exact sums), requests and tokens (prompt + completion + reasoning)."""

    name: str
    usage: float
    requests: int
    tokens: int
    usage_7d: float
    requests_7d: int
    tokens_7d: int


def _spend_by(activity: Activity, field: str) -> list[Spend]:
    days = completed_days(activity.today)
    window, week = set(days), set(days[-WEEK:])
    amounts: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for row, date in zip(activity.rows, activity._dates, strict=True):
        if date not in window:
            continue
        name = getattr(row, field)
        entry = amounts.get(name)
        if entry is None:
            entry = amounts[name] = ([], [], [0, 0, 0, 0])
        tokens = row.prompt_tokens + row.completion_tokens + row.reasoning_tokens
        entry[0].append(row.usage)
        counts = entry[2]
        counts[0] += row.requests
        counts[1] += tokens
        if date in week:
            entry[1].append(row.usage)
            counts[2] += row.requests
            counts[3] += tokens
    spends = [
        Spend(name, exact_sum(usage), counts[0], counts[1], exact_sum(usage_7d), counts[2], counts[3])
        for name, (usage, usage_7d, counts) in amounts.items()
    ]
    spends.sort(key=lambda spend: (-spend.usage, spend.name))
    return spends


def activity_params(key_hash: str | None, group_by: str | None = None) -> dict[str, object]:
    """``get_activity()``'s options as the generated endpoint's keywords: ``key_hash`` (an
    ``ApiKey.hash_``: that key's activity alone) and ``group_by`` (``group_by_params``), each checked
    before any I/O (a ConfigurationError)."""
    params: dict[str, object] = {}
    if key_hash is not None:
        if not isinstance(key_hash, str) or not key_hash.strip():
            from ._exceptions import ConfigurationError, term

            raise ConfigurationError(f"{term('key_hash')} must be a key's hash (ApiKey.hash_), a non-empty string.")
        params["api_key_hash"] = key_hash.strip()
    return {**params, **group_by_params(group_by)}


def renamed_key_hash(key_hash: str | None, api_key_hash: str | None) -> str | None:
    """``key_hash``, or what the caller of ``get_activity()`` gave under its old name (``api_key_hash``,
    deprecated: one name for one value across the API, as ``get_balance(key_hash=...)`` has it)."""
    if api_key_hash is None:
        return key_hash
    import warnings

    from ._exceptions import ConfigurationError, term

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


def group_by_params(group_by: str | None) -> dict[str, object]:
    """``get_activity()``'s ``group_by`` as the generated endpoint's keyword: ``workspace`` or None; a
    ConfigurationError for anything else, or when the API document in use has no such parameter."""
    if group_by is None:
        return {}
    from ._exceptions import ConfigurationError, term

    if group_by != "workspace":
        raise ConfigurationError(f'{term("group_by")} is "workspace" or None, not {str(group_by)[:64]!r}.')
    try:
        from openrouter_credits_client.models.get_user_activity_group_by import GetUserActivityGroupBy
    except ModuleNotFoundError:
        raise ConfigurationError(
            "The API document in use has no group_by for GET /activity: openrouter_credits_client was generated "
            "without it. Regenerate it from a newer document (make update-spec, then make generate)."
        ) from None
    return {"group_by": GetUserActivityGroupBy.WORKSPACE}


class Activity:
    """The account's activity: the rows of ``GET /activity`` and the spend of each of the 30 completed
    UTC days before ``today`` (a day without rows spent 0). Immutable.

    A row counts for the UTC date of its ``date`` (see ``utc_date``). The client refuses an answer
    with a date of another form before it gets here; rows given directly with such a date count for
    no day."""

    __slots__ = ("_dates", "daily_spend", "rows", "today")

    rows: tuple[ActivityItem, ...]
    today: dt.date
    daily_spend: tuple[DailySpend, ...]
    _dates: tuple[dt.date | None, ...]

    def __init__(self, rows: Iterable[ActivityItem], today: dt.date) -> None:
        items: tuple[ActivityItem, ...]
        dates: Sequence[dt.date | None]
        if isinstance(rows, DatedRows):
            items, dates = rows.rows, rows.dates
        else:
            items = tuple(rows)
            dates = _dates(items, strict=False)
        days = completed_days(today)
        by_day: dict[dt.date | None, list[float]] = {day: [] for day in days}
        for row, date in zip(items, dates, strict=True):
            amounts = by_day.get(date)
            if amounts is not None:
                amounts.append(row.usage)
        spend = tuple(DailySpend(day, exact_sum(by_day[day])) for day in days)
        object.__setattr__(self, "rows", items)
        object.__setattr__(self, "today", today)
        object.__setattr__(self, "daily_spend", spend)
        object.__setattr__(self, "_dates", tuple(dates))

    def by_model(self) -> list[Spend]:
        """The spend of each model (``model``) over the 30 days and the last 7, the most spent first
        (ties by name)."""
        return _spend_by(self, "model")

    def by_provider(self) -> list[Spend]:
        """The spend of each provider (``provider_name``), as ``by_model()``."""
        return _spend_by(self, "provider_name")

    def by_workspace(self) -> list[Spend]:
        """The spend of each workspace (``workspace_id``: its id is the ``Spend``'s name), as
        ``by_model()``. The rows carry it when read with ``get_activity(group_by="workspace")``; a
        row without it is a ``ConfigurationError`` saying so (its spend would have no workspace)."""
        if any(not isinstance(getattr(row, "workspace_id", None), str) for row in self.rows):
            from ._exceptions import ConfigurationError

            raise ConfigurationError(
                'by_workspace() needs the activity per workspace: read it with get_activity(group_by="workspace").'
            )
        return _spend_by(self, "workspace_id")

    @property
    def total(self) -> float:
        """Dollars spent over the 30 days."""
        return exact_sum(day.usage for day in self.daily_spend)

    @property
    def spend_per_day(self) -> float:
        """The average over the last 7 completed UTC days."""
        return spend_per_day(self.daily_spend)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Activity is immutable: cannot set {name!r}")

    def __repr__(self) -> str:
        return f"Activity(today={self.today.isoformat()}, rows={len(self.rows)}, total={self.total!r})"
