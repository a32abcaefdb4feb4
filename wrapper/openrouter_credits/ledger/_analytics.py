"""The analytics backfill: ``POST /analytics/query`` for the days the ledger lacks, up to a year back.

Its answers name keys, models and workspaces by **label**, not by id:

- a key by its name, which two keys may share: a label that exactly one key has now (as the last
  listing saw it), else exactly one key ever had, is resolved to that key's hash (a key renamed is
  found by its new name); one that several keys share is kept as ``ambiguous`` with the name, never
  merged into either and never dropped (the sync says how many rows); one that names no key seen (a
  key deleted before the ledger first listed it) is kept as ``unmatched``;
- a workspace by its name: resolved to the id of the one workspace of that name; a deleted
  workspace's label (its id, or a name no listed workspace has) is kept as it came;
- a model by its display name (``OpenAI: GPT-4.1``): kept as it came; ``learn_model_labels``
  matches each to the model id ``/activity`` uses (``openai/gpt-4.1``) from the days both cover, and
  the reports show the id.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._exceptions import BadRequestError, OpenRouterCreditsError, OperationUnavailable, RateLimitError
from ._ledger import Ledger, as_date
from ._nano import to_nano
from ._store import Day, Row, iso, record_days
from ._sync import (
    ACTIVITY_BREAKDOWN,
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

if TYPE_CHECKING:
    from .._analytics import AnalyticsResult, AnalyticsRow
    from .._client import CreditsClient
    from ._db import Transaction

__all__ = ["Labels", "Metrics", "UnusableAnswer", "learn_model_labels", "plan_windows", "sync_analytics"]


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
    """The metric names to ask for, picked from what ``GET /analytics/meta`` lists. The spend is what
    ``/activity`` and ``/credits`` count: ``credits_usage``; else ``total_usage`` less ``byok_usage``
    (total_usage counts BYOK inference too)."""

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

    def spend(self, row: AnalyticsRow, index: int) -> tuple[int, int | None]:
        """A row's spend and BYOK spend in nano-dollars."""
        cost, byok = row.metrics.get(self.cost), None if self.byok is None else row.metrics.get(self.byok)
        if cost is None:
            raise UnusableAnswer(
                f"POST /analytics/query: data[{index}] has no {self.cost} (the metrics asked were "
                f"{', '.join(self.names)}): the answer is not stored."
            )
        usage = to_nano(cost)
        byok_nano = None if byok is None else to_nano(byok)
        if self.cost == "total_usage" and byok_nano is not None:
            usage -= byok_nano
        return usage, byok_nano

    def count(self, row: AnalyticsRow, metric: str | None) -> int | None:
        value = None if metric is None else row.metrics.get(metric)
        return value if isinstance(value, int) else None


class Labels:
    """How the answers' labels are resolved, from what the ledger has seen (see the module)."""

    def __init__(self, tx: Transaction) -> None:
        self.current = _hashes_by_name(tx.query("SELECT key_hash, name FROM keys"))
        self.history = _hashes_by_name(tx.query("SELECT key_hash, name FROM key_names"))
        workspaces = tx.query("SELECT workspace_id, name FROM workspaces")
        named = _hashes_by_name([(w, n) for w, n in workspaces if n])
        self.workspaces = {name: ids[0] for name, ids in named.items() if len(ids) == 1}

    def key(self, label: str) -> tuple[str, str]:
        """(key_hash, key_match) of a key label."""
        for seen in (self.current, self.history):
            hashes = seen.get(label, [])
            if len(hashes) == 1:
                return hashes[0], "resolved"
            if hashes:
                return "", "ambiguous"
        return "", "unmatched"

    def workspace(self, label: str) -> str:
        return self.workspaces.get(label, label)


def _hashes_by_name(rows: Iterable[tuple[Any, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for ident, name in rows:
        if str(ident) not in found[str(name)]:
            found[str(name)].append(str(ident))
    return found


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


def _rows(
    family: str, answer: AnalyticsResult, metrics: Metrics, labels: Labels
) -> tuple[dict[dt.date, list[Row]], int]:
    """The answer's rows by day as the ledger's, and how many carry an ambiguous key label."""
    by_day: dict[dt.date, list[Row]] = defaultdict(list)
    ambiguous = 0
    dimensions = ANALYTICS_FAMILIES[family]
    for index, row in enumerate(answer.rows):
        if row.date is None:
            raise UnusableAnswer(f"POST /analytics/query: data[{index}] has no date__day: the answer is not stored.")
        key_id = model = workspace = key_hash = match = ""
        if "api_key_id" in dimensions:
            key_id = row.labels.get("api_key_id") or ""
            key_hash, match = labels.key(key_id)
            ambiguous += match == "ambiguous"
        if "model" in dimensions:
            model = row.labels.get("model") or ""
        if "workspace" in dimensions:
            workspace = labels.workspace(row.labels.get("workspace") or "")
        usage, byok = metrics.spend(row, index)
        requests, tokens = metrics.count(row, metrics.requests), metrics.count(row, metrics.tokens)
        by_day[row.date].append(Row(key_id, model, "", "", workspace, usage, byok, requests, tokens, key_hash, match))
    return by_day, ambiguous


def _held_rows_per_day(ledger: Ledger, family: str) -> float | None:
    found = ledger.query(
        "SELECT AVG(row_count) FROM coverage WHERE source = 'analytics' AND breakdown = ? AND complete = 1", (family,)
    )
    value = found[0][0] if found else None
    return None if value is None else float(value)


def sync_analytics(
    client: CreditsClient,
    ledger: Ledger,
    now: dt.datetime,
    report: SyncReport,
    step: Callable[[str, int, int], None],
    pacer: Pacer,
    *,
    row_limit: int = ANALYTICS_ROW_LIMIT,
) -> None:
    """Backfill (and keep up) each analytics family for the completed days the ledger lacks, then
    learn the models' labels."""
    pacer.wait()
    try:
        meta = client.analytics_meta()
    except OperationUnavailable as unavailable:
        report.notes.append(f"analytics: {unavailable.reason}: the backfill beyond 30 days is skipped")
        return
    report.analytics_queries += 1
    metrics = Metrics(meta.metric_names)
    today = now.astimezone(dt.UTC).date()
    days = [today - dt.timedelta(days=back) for back in range(BACKFILL_DAYS, 0, -1)]
    keys = ledger.query("SELECT COUNT(*) FROM keys")[0][0] or 0
    late = set(days[-LATE_DAYS:])
    queue: list[tuple[str, list[dt.date]]] = []
    for family in ANALYTICS_FAMILIES:
        held = ledger.covered("analytics", family, days[0], days[-1])
        missing = [day for day in days if not held.get(day) or day in late]
        per_day = _held_rows_per_day(ledger, family) or rows_per_day_guess(family, int(keys))
        queue += [(family, window) for window in plan_windows(missing, per_day * 1.25, row_limit)]
    total, done = len(queue), 0
    while queue:
        family, window = queue.pop(0)
        step(f"analytics {family}", done, total)
        answer = _ask(client, family, window, metrics, pacer, report, row_limit)
        if answer is None or (answer.truncated and len(window) > 1):  # too long or cut: in halves
            half = len(window) // 2
            queue[:0] = [(family, window[:half]), (family, window[half:])]
            total += 1
            continue
        with ledger.write("record analytics in the ledger") as tx:
            by_day, ambiguous = _rows(family, answer, metrics, Labels(tx))
            if answer.truncated:
                report.notes.append(
                    f"analytics {family} for {window[0]} was cut at {row_limit:,} rows even for one day: kept as "
                    "incomplete"
                )
            # The last LATE_DAYS may still be filling in (analytics lag): not complete until asked again.
            answered = [Day(day, by_day.get(day, []), not answer.truncated and day not in late) for day in window]
            written = record_days(tx, "analytics", family, answered, now)
            report.written["analytics"] += written
        report.ambiguous_rows += ambiguous
        done += 1
        step(f"analytics {family}", done, total)
    with ledger.write("record the models' analytics labels in the ledger") as tx:
        learn_model_labels(tx, now)


def _ask(
    client: CreditsClient,
    family: str,
    window: list[dt.date],
    metrics: Metrics,
    pacer: Pacer,
    report: SyncReport,
    row_limit: int,
) -> AnalyticsResult | None:
    """One query for ``window``; None when the range is too long (a 400 for more than one day). A 429
    waits as it asks, up to RATE_LIMIT_TRIES times."""
    for attempt in range(RATE_LIMIT_TRIES + 1):
        pacer.wait()
        report.analytics_queries += 1
        try:
            return client.query_analytics(
                metrics=metrics.names,
                dimensions=ANALYTICS_FAMILIES[family],
                start=window[0],
                end=window[-1] + dt.timedelta(days=1),
                granularity="day",
                limit=row_limit,
            )
        except RateLimitError as error:
            report.rate_limited += 1
            if attempt == RATE_LIMIT_TRIES:
                raise
            pacer.hold(error.retry_after or 60.0)
        except BadRequestError:
            if len(window) > 1:
                return None
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def learn_model_labels(tx: Transaction, now: dt.datetime) -> int:
    """Match each model label of analytics to the model id /activity gives on the days both cover
    completely: the one id whose spend equals the label's on each of those days (and is not $0 on
    all of them). Labels that match no id, or several, are left as they are. The labels learnt."""
    spent: dict[str, dict[str, dict[dt.date, int]]] = {"analytics": defaultdict(dict), "activity": defaultdict(dict)}
    for source, model, day, usage in tx.query(
        "SELECT se.source, f.model, s.day, SUM(s.usage_nano) FROM spend_facts s "
        "JOIN series se ON se.series_id = s.series_id JOIN facets f ON f.facet_id = s.facet_id "
        "JOIN coverage c ON c.source = se.source AND c.breakdown = se.breakdown AND c.day = s.day "
        "WHERE c.complete = 1 AND ((se.source = 'analytics' AND se.breakdown = 'model') OR "
        "(se.source = 'activity' AND se.breakdown = ?)) GROUP BY se.source, f.model, s.day",
        (ACTIVITY_BREAKDOWN,),
    ):
        spent[str(source)][str(model)][as_date(day)] = int(usage)
    both = {
        as_date(day)
        for (day,) in tx.query(
            "SELECT a.day FROM coverage a JOIN coverage b ON a.day = b.day WHERE a.source = 'analytics' AND "
            "a.breakdown = 'model' AND a.complete = 1 AND b.source = 'activity' AND b.breakdown = ? AND "
            "b.complete = 1",
            (ACTIVITY_BREAKDOWN,),
        )
    }
    learnt = []
    for label, by_day in spent["analytics"].items():
        if label in spent["activity"]:
            continue  # already an id
        matches = [
            model
            for model, theirs in spent["activity"].items()
            if any(by_day.get(day, 0) for day in both) and all(by_day.get(day, 0) == theirs.get(day, 0) for day in both)
        ]
        if len(matches) == 1:
            learnt.append((label, matches[0], iso(now)))
    tx.executemany(
        "INSERT INTO model_labels (label, model, learnt_at) VALUES (?, ?, ?) ON CONFLICT (label) DO UPDATE SET "
        "model = excluded.model, learnt_at = excluded.learnt_at",
        learnt,
    )
    return len(learnt)
