"""The analytics backfill: ``POST /analytics/query`` for the days the ledger lacks, up to a year back.

Its answers name keys, models and workspaces by **label** (a key's name, which two keys may share),
not by id. A key label that names exactly one key ever seen is resolved to its hash; one that two
keys share is kept as ``ambiguous`` with the name, never merged into either and never dropped; one
that names no key seen (renamed or deleted before the ledger first saw it) is kept as ``unmatched``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._exceptions import APIStatusError, OpenRouterCreditsError, RateLimitError
from ._ledger import Ledger
from ._nano import to_nano
from ._store import Day, Row, label_resolver, record_days
from ._sync import (
    ANALYTICS_FAMILIES,
    ANALYTICS_ROW_LIMIT,
    BACKFILL_DAYS,
    BYOK_METRICS,
    COST_METRICS,
    LATE_DAYS,
    RATE_LIMIT_TRIES,
    REQUEST_METRICS,
    TOKEN_METRICS,
    Pacer,
    SyncReport,
)

__all__ = ["Metrics", "UnusableAnswer", "plan_windows", "rows_per_day_guess", "sync_analytics"]


class UnusableAnswer(OpenRouterCreditsError):
    """An analytics answer (or its metadata) this version cannot read: nothing of it is stored."""

    kind = "invalid_response"


#: The rows a day is guessed to have in each family before the ledger knows (per listed key for
#: key+model: a key uses a few models a day).
_GUESS = {"model": 30, "workspace": 10}
_KEY_MODELS_GUESS = 3
#: Head room under the row limit when sizing windows.
_HEADROOM = 0.8


class Metrics:
    """The metric names to ask for, picked from what ``GET /analytics/meta`` lists."""

    def __init__(self, listed: Iterable[str]) -> None:
        names = set(listed)

        def first(options: Sequence[str]) -> str | None:
            return next((name for name in options if name in names), None)

        cost = first(COST_METRICS)
        if cost is None:
            shown = ", ".join(sorted(names)[:20]) or "none"
            raise UnusableAnswer(
                f"GET /analytics/meta lists none of the cost metrics this version reads ({', '.join(COST_METRICS)}); "
                f"it lists: {shown}. The backfill from analytics is skipped; upgrade openrouter-credits."
            )
        self.cost = cost
        self.byok = first(BYOK_METRICS)
        self.requests = first(REQUEST_METRICS)
        self.tokens = first(TOKEN_METRICS)

    @property
    def names(self) -> list[str]:
        return [name for name in (self.cost, self.byok, self.requests, self.tokens) if name is not None]


def _listed_names(items: Any) -> list[str]:
    names = []
    for item in items or ():
        name = item if isinstance(item, str) else getattr(item, "name", None)
        if name is None and isinstance(item, Mapping):
            name = item.get("name")
        if isinstance(name, str):
            names.append(name)
    return names


def rows_per_day_guess(family: str, keys: int) -> int:
    if family == "key+model":
        return max(1, keys) * _KEY_MODELS_GUESS
    return _GUESS.get(family, 100)


def plan_windows(days: Sequence[dt.date], rows_per_day: float, limit: int = ANALYTICS_ROW_LIMIT) -> list[list[dt.date]]:
    """``days`` (sorted) in windows of consecutive days, each expected to stay under ``limit`` rows."""
    span = max(1, int(limit * _HEADROOM // max(rows_per_day, 1.0)))
    span = min(span, BACKFILL_DAYS)
    windows: list[list[dt.date]] = []
    for day in sorted(days):
        last = windows[-1] if windows else None
        if last is not None and len(last) < span and (day - last[-1]).days == 1:
            last.append(day)
        else:
            windows.append([day])
    return windows


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _day_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def _count(row: Any, metric: str | None) -> int | None:
    """A count metric (the API sends counts as strings) as an int; None when absent."""
    value = None if metric is None else _get(row, metric)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _rows(
    family: str, answer_rows: Iterable[Any], metrics: Metrics, names: Mapping[str, list[str]]
) -> tuple[dict[dt.date, list[Row]], int]:
    """The answer's rows by day as the ledger's, and how many carry an ambiguous key label."""
    by_day: dict[dt.date, list[Row]] = defaultdict(list)
    ambiguous = 0
    dimensions = ANALYTICS_FAMILIES[family]
    for index, row in enumerate(answer_rows):
        day = _day_of(_get(row, "date__day"))
        cost = _get(row, metrics.cost)
        if day is None or cost is None or isinstance(cost, bool):
            missing = "date__day" if day is None else metrics.cost
            raise UnusableAnswer(
                f"POST /analytics/query: data[{index}] has no {missing} (the metrics asked were "
                f"{', '.join(metrics.names)}): the answer is not stored."
            )
        key_id = model = workspace = ""
        key_hash, match = "", ""
        if "api_key_id" in dimensions:
            key_id = str(_get(row, "api_key_id") or "")
            hashes = names.get(key_id, [])
            if len(hashes) == 1:
                key_hash, match = hashes[0], "resolved"
            elif hashes:
                match = "ambiguous"
                ambiguous += 1
            else:
                match = "unmatched"
        if "model" in dimensions:
            model = str(_get(row, "model") or "")
        if "workspace" in dimensions:
            workspace = str(_get(row, "workspace") or "")

        byok = None if metrics.byok is None else _get(row, metrics.byok)
        by_day[day].append(
            Row(
                key_id,
                model,
                "",
                "",
                workspace,
                to_nano(cost),
                None if byok is None or isinstance(byok, bool) else to_nano(byok),
                _count(row, metrics.requests),
                _count(row, metrics.tokens),
                key_hash,
                match,
            )
        )
    return by_day, ambiguous


def _held_rows_per_day(ledger: Ledger, family: str) -> float | None:
    found = ledger.query(
        "SELECT AVG(row_count) FROM coverage WHERE source = 'analytics' AND breakdown = ? AND complete = 1", (family,)
    )
    value = found[0][0] if found else None
    return None if value is None else float(value)


def sync_analytics(
    client: Any,
    ledger: Ledger,
    now: dt.datetime,
    report: SyncReport,
    step: Callable[[str, int, int], None],
    pacer: Pacer,
) -> None:
    """Backfill (and keep up) each analytics family for the completed days the ledger lacks."""
    pacer.wait()
    meta = client.analytics_meta()
    report.analytics_queries += 1
    metrics = Metrics(_listed_names(getattr(meta, "metrics", None) or _get(meta, "metrics")))
    today = now.astimezone(dt.UTC).date()
    days = [today - dt.timedelta(days=back) for back in range(BACKFILL_DAYS, 0, -1)]
    keys = ledger.query("SELECT COUNT(*) FROM keys")[0][0] or 0
    plans: list[tuple[str, list[dt.date]]] = []
    for family in ANALYTICS_FAMILIES:
        held = ledger.covered("analytics", family, days[0], days[-1])
        missing = [day for day in days if not held.get(day) or day in days[-LATE_DAYS:]]
        per_day = _held_rows_per_day(ledger, family) or rows_per_day_guess(family, int(keys))
        plans += [(family, window) for window in plan_windows(missing, per_day * 1.25)]
    late = set(days[-LATE_DAYS:])
    total = len(plans)
    done = 0
    queue = list(plans)
    while queue:
        family, window = queue.pop(0)
        step(f"analytics {family}", done, total)
        answer = _ask(client, family, window, metrics, pacer, report)
        if answer is None:  # too long a range: asked again in halves
            half = len(window) // 2
            queue[:0] = [(family, window[:half]), (family, window[half:])]
            total += 1
            continue
        rows, truncated = answer
        if truncated and len(window) > 1:
            half = len(window) // 2
            queue[:0] = [(family, window[:half]), (family, window[half:])]
            total += 1
            continue
        with ledger.write("record analytics in the ledger") as tx:
            by_day, ambiguous = _rows(family, rows, metrics, label_resolver(tx))
            complete = not truncated
            if truncated:
                report.notes.append(
                    f"analytics {family} for {window[0]} was cut at {ANALYTICS_ROW_LIMIT:,} rows even for one "
                    "day: kept as incomplete"
                )
            # The last LATE_DAYS may still be filling in (analytics lag): not complete until asked again.
            answered = [Day(day, by_day.get(day, []), complete and day not in late) for day in window]
            report.written["analytics"] += record_days(tx, "analytics", family, answered, now)
        report.ambiguous_rows += ambiguous
        done += 1
        step(f"analytics {family}", done, total)


def _ask(
    client: Any, family: str, window: list[dt.date], metrics: Metrics, pacer: Pacer, report: SyncReport
) -> tuple[Sequence[Any], bool] | None:
    """One query for ``window``: (rows, truncated); None when the range is too long (a 400 for more
    than one day). A 429 waits as it asks, up to RATE_LIMIT_TRIES times."""
    for attempt in range(RATE_LIMIT_TRIES + 1):
        pacer.wait()
        report.analytics_queries += 1
        try:
            result = client.query_analytics(
                metrics=metrics.names,
                dimensions=list(ANALYTICS_FAMILIES[family]),
                start=_midnight(window[0]),
                end=_midnight(window[-1] + dt.timedelta(days=1)),
                granularity="day",
                filters=None,
                limit=ANALYTICS_ROW_LIMIT,
            )
        except RateLimitError as error:
            if attempt == RATE_LIMIT_TRIES:
                raise
            pacer.hold(error.retry_after or 60.0)
            continue
        except APIStatusError as error:
            if error.status_code == 400 and len(window) > 1:
                return None
            raise
        return list(getattr(result, "rows", ())), bool(getattr(result, "truncated", False))
    raise AssertionError("unreachable")  # pragma: no cover
