"""Filling the ledger: ``sync()`` reads every source the key can read and writes what it says.

- ``/credits`` and ``/keys`` (every workspace's keys when the library lists them): a snapshot each,
  and from the keys' marks the exact spend of each key yesterday and so far today.
- ``/activity``: the 30 completed days, written for the days the ledger lacks and the last
  ``LATE_DAYS`` again (late data).
- ``POST /analytics/query`` (when the library has it; ``GET /analytics/meta`` first): daily spend
  up to ``BACKFILL_DAYS`` back, for the days the ledger lacks and the last ``LATE_DAYS``, in windows
  sized to stay under the row limit, at most ``ANALYTICS_PER_MINUTE`` queries a minute. An answer cut
  at the limit is asked again in halves; a 400 for a too-long range likewise; a 429 waits as its
  headers say. Each window is written in its own transaction: an interrupted backfill resumes where
  it stopped.

A source that fails leaves the others' answers written; its error is in the report. Time, sleep and
the monotonic clock are injected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from .._activity import Activity
from .._exceptions import OpenRouterCreditsError
from ._errors import LedgerError
from ._ledger import Ledger
from ._nano import to_nano
from ._store import Day, Row

__all__ = [
    "ACTIVITY_BREAKDOWN",
    "ANALYTICS_FAMILIES",
    "ANALYTICS_PER_MINUTE",
    "BACKFILL_DAYS",
    "LATE_DAYS",
    "Pacer",
    "SyncReport",
    "activity_days",
    "record_activity",
    "sync",
]

ACTIVITY_BREAKDOWN = "model+provider+endpoint"
ACTIVITY_WORKSPACE_BREAKDOWN = "workspace+model+provider+endpoint"
#: The analytics queries the backfill makes: the ledger's breakdown name and the API's dimensions.
#: key+model serves a breakdown by key, by model or both; model and workspace are cheap totals.
ANALYTICS_FAMILIES: dict[str, tuple[str, ...]] = {
    "model": ("model",),
    "workspace": ("workspace",),
    "key+model": ("api_key_id", "model"),
}
#: How far back the backfill reaches (the analytics API's daily metrics reach 365 days).
BACKFILL_DAYS = 365
#: The last days written again at every sync, for data that arrives late.
LATE_DAYS = 2
#: The analytics API's rate limit (requests a minute) and row limit (rows an answer).
ANALYTICS_PER_MINUTE = 64
ANALYTICS_ROW_LIMIT = 10_000
#: How many times a window is asked again after a 429 before the sync gives up on analytics.
RATE_LIMIT_TRIES = 3
#: The metrics read, each the first of its names the API's /analytics/meta lists.
COST_METRICS = ("total_usage", "usage", "total_cost", "cost")
BYOK_METRICS = ("byok_usage", "total_byok_usage", "byok_usage_inference")
REQUEST_METRICS = ("request_count", "requests")
TOKEN_METRICS = ("tokens_total", "total_tokens", "tokens")


@attrs.define
class SyncReport:
    """What a sync did: rows written per source, analytics queries made, and what went wrong (each
    error with the source it came from, and notes: sentences for the reader)."""

    written: dict[str, int] = attrs.Factory(lambda: defaultdict(int))
    analytics_queries: int = 0
    errors: list[tuple[str, BaseException]] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)
    ambiguous_rows: int = 0


class Pacer:
    """At most ``per_minute`` calls a minute, evenly spaced: ``wait()`` before each call."""

    def __init__(self, per_minute: int, *, monotonic: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.gap = 60.0 / per_minute
        self.monotonic = monotonic
        self.sleep = sleep
        self._next = float("-inf")

    def wait(self) -> None:
        now = self.monotonic()
        if now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.gap

    def hold(self, seconds: float) -> None:
        """A 429 asked to wait ``seconds``: no call before then."""
        self.sleep(seconds)
        self._next = self.monotonic() + self.gap


Progress = Callable[[str, int, int], None]


def activity_days(activity: Activity, *, by_workspace: bool = False) -> list[Day]:
    """The 30 completed days of ``activity`` as the ledger's days (a day without rows spent $0)."""
    by_day: dict[dt.date, list[Row]] = {day.date: [] for day in activity.daily_spend}
    for row, date in zip(activity.rows, activity._dates, strict=True):
        rows = by_day.get(date)  # type: ignore[arg-type]
        if rows is None:
            continue
        workspace = getattr(row, "workspace_id", None)
        rows.append(
            Row(
                "",
                str(row.model),
                str(row.provider_name),
                str(row.endpoint_id),
                workspace if by_workspace and isinstance(workspace, str) else "",
                to_nano(row.usage),
                to_nano(row.byok_usage_inference),
                int(row.requests),
                int(row.prompt_tokens) + int(row.completion_tokens) + int(row.reasoning_tokens),
            )
        )
    return [Day(day, rows, True) for day, rows in by_day.items()]


def _wanted(ledger: Ledger, source: str, breakdown: str, days: Sequence[dt.date]) -> list[dt.date]:
    """The days the ledger lacks (or holds incomplete), and the last LATE_DAYS again."""
    if not days:
        return []
    held = ledger.covered(source, breakdown, min(days), max(days))
    late = set(sorted(days)[-LATE_DAYS:])
    return [day for day in days if not held.get(day) or day in late]


def record_activity(ledger: Ledger, activity: Activity, now: dt.datetime) -> int:
    """Write ``activity``'s days that the ledger lacks and the last LATE_DAYS again; the rows written.
    (sync and serve's polls alike.)"""
    days = activity_days(activity)
    wanted = set(_wanted(ledger, "activity", ACTIVITY_BREAKDOWN, [d.day for d in days]))
    return ledger.record_days("activity", ACTIVITY_BREAKDOWN, [d for d in days if d.day in wanted], now)


@contextlib.contextmanager
def _source(report: SyncReport, where: str) -> Iterator[None]:
    """A source's failure is its own: noted in the report, the other sources still read. A ledger
    that cannot be written stops the sync (LedgerError: the command's exit status 7 or 8)."""
    try:
        yield
    except LedgerError:
        raise
    except OpenRouterCreditsError as error:
        report.errors.append((where, error))


def sync(
    client: Any,
    ledger: Ledger,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    analytics: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> SyncReport:
    """Read every source ``client`` (a ``CreditsClient``) can and write it to ``ledger``."""
    report = SyncReport()
    step = progress or (lambda what, done, total: None)
    step("credits", 0, 1)
    with _source(report, "/credits"):
        credits = client.get_credits()
        ledger.record_credits(credits.total_credits, credits.total_usage, now)
    step("keys", 0, 1)
    with _source(report, "/keys"):
        keys = client.list_keys(include_disabled=True)
        workspaces = _workspaces(client)
        if workspaces:
            ledger.record_workspaces(workspaces, now)
        written = ledger.record_keys(keys, now)
        report.written["key-snapshots"] += written
    step("activity", 0, 1)
    with _source(report, "/activity"):
        written = record_activity(ledger, client.get_activity(), now)
        report.written["activity"] += written
    if analytics and hasattr(client, "query_analytics"):
        from ._analytics import sync_analytics

        with _source(report, "/analytics/query"):
            sync_analytics(
                client, ledger, now, report, step, Pacer(ANALYTICS_PER_MINUTE, monotonic=monotonic, sleep=sleep)
            )
    return report


def _workspaces(client: Any) -> dict[str, str]:
    """The account's workspaces by id, when the library lists them (else none)."""
    lister = getattr(client, "list_workspaces", None)
    if lister is None:
        return {}
    try:
        found = lister()
    except OpenRouterCreditsError:
        return {}  # the listing of keys says whether it covers every workspace
    return {str(getattr(w, "id", "")): str(getattr(w, "name", "")) for w in found if getattr(w, "id", None)}
