"""Filling the ledger: ``sync()`` reads every source the key can read and writes what it says.

- ``/credits`` and ``/keys`` (every workspace's keys, and ``/workspaces`` for their names): a
  snapshot each, and from the keys' marks the exact spend of each key yesterday and so far today.
- ``/activity``: the 30 completed days, written for the days the ledger lacks and the last
  ``LATE_DAYS`` again (late data); and ``/activity?group_by=workspace``, the same per workspace.
- ``POST /analytics/query`` (``GET /analytics/meta`` first; skipped, saying so, when the API document
  in use lacks it): daily spend up to ``BACKFILL_DAYS`` back, for the days the ledger lacks and the
  last ``LATE_DAYS``, in windows sized to stay under the row limit, at most ``ANALYTICS_PER_MINUTE``
  queries in any minute. An answer cut at the limit is asked again in halves; a 400 for a too-long
  range likewise; a 429 waits as its headers say. Each window is written in its own transaction: an
  interrupted backfill resumes where it stopped.

A source that fails leaves the others' answers written; its error is in the report. Time, sleep and
the monotonic clock are injected.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from .._activity import Activity
from .._exceptions import OpenRouterCreditsError

if TYPE_CHECKING:
    from .._client import CreditsClient
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
COST_METRICS = ("credits_usage", "total_usage")
BYOK_METRICS = ("byok_usage",)
REQUEST_METRICS = ("request_count",)
TOKEN_METRICS = ("tokens_total",)


@attrs.define
class SyncReport:
    """What a sync did: rows written per source, analytics queries made, and what went wrong (each
    error with the source it came from, and notes: sentences for the reader)."""

    written: dict[str, int] = attrs.Factory(lambda: defaultdict(int))
    analytics_queries: int = 0
    errors: list[tuple[str, BaseException]] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)
    ambiguous_rows: int = 0
    #: The analytics queries answered 429 (each then waited out as it asked).
    rate_limited: int = 0


class Pacer:
    """At most ``per_minute`` calls in any 60 seconds: ``wait()`` before each call. A sync that needs
    fewer calls than that makes them at once; a backfill that needs more waits only for the oldest
    of the last ``per_minute`` to be a minute old (within any minute the API counts, fixed or
    sliding, there are never more)."""

    WINDOW = 60.0

    def __init__(self, per_minute: int, *, monotonic: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.per_minute = per_minute
        self.monotonic = monotonic
        self.sleep = sleep
        self._calls: collections.deque[float] = collections.deque(maxlen=per_minute)
        self._not_before = float("-inf")

    def wait(self) -> None:
        now = self.monotonic()
        ready = self._not_before
        if len(self._calls) == self.per_minute:
            ready = max(ready, self._calls[0] + self.WINDOW)
        if now < ready:
            self.sleep(ready - now)
            now = self.monotonic()
        self._calls.append(now)

    def hold(self, seconds: float) -> None:
        """A 429 asked to wait ``seconds``: no call before then."""
        self._not_before = self.monotonic() + seconds


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


def record_activity(ledger: Ledger, activity: Activity, now: dt.datetime, *, by_workspace: bool = False) -> int:
    """Write ``activity``'s days that the ledger lacks and the last LATE_DAYS again; the rows written.
    (sync and serve's polls alike; ``by_workspace``: an answer of ``group_by="workspace"``.)"""
    breakdown = ACTIVITY_WORKSPACE_BREAKDOWN if by_workspace else ACTIVITY_BREAKDOWN
    days = activity_days(activity, by_workspace=by_workspace)
    wanted = set(_wanted(ledger, "activity", breakdown, [d.day for d in days]))
    return ledger.record_days("activity", breakdown, [d for d in days if d.day in wanted], now)


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
    client: CreditsClient,
    ledger: Ledger,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    analytics: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    row_limit: int = ANALYTICS_ROW_LIMIT,
) -> SyncReport:
    """Read every source ``client`` can and write it to ``ledger``. ``row_limit``: the rows an
    analytics answer may hold (the API's most, 10,000; less only to test the halving)."""
    report = SyncReport()
    step = progress or (lambda what, done, total: None)
    step("credits", 0, 1)
    with _source(report, "/credits"):
        credits = client.get_credits()
        ledger.record_credits(credits.total_credits, credits.total_usage, now)
    step("keys", 0, 1)
    with _source(report, "/keys"):
        keys = client.list_keys(include_disabled=True)
        if not keys.complete and keys.workspaces_note:
            report.notes.append(f"/keys: {keys.workspaces_note}")
        workspaces = _workspaces(client)  # those without keys too (the keys' are written with them)
        if workspaces:
            ledger.record_workspaces(workspaces, now)
        written = ledger.record_keys(keys, now)
        report.written["key-snapshots"] += written
    step("activity", 0, 1)
    with _source(report, "/activity"):
        written = record_activity(ledger, client.get_activity(), now)
        report.written["activity"] += written
    with _source(report, "/activity?group_by=workspace"):
        written = record_activity(ledger, client.get_activity(group_by="workspace"), now, by_workspace=True)
        report.written["activity"] += written
    if analytics:
        from ._analytics import sync_analytics

        with _source(report, "/analytics/query"):
            pacer = Pacer(ANALYTICS_PER_MINUTE, monotonic=monotonic, sleep=sleep)
            sync_analytics(client, ledger, now, report, step, pacer, row_limit=row_limit)
    return report


def _workspaces(client: CreditsClient) -> dict[str, str]:
    """The account's workspaces by id, with their names (none when they cannot be listed: the
    listing of keys says whether it covers every workspace)."""
    try:
        return {str(w.id): str(w.name or "") for w in client.list_workspaces() if w.id}
    except OpenRouterCreditsError:
        return {}
