"""The analytics backfill against the library's documented contract (``analytics_meta()``,
``query_analytics(...) -> rows, truncated``), with a source that answers as the API documents:
windows cut at the row limit asked again in halves, a 400 for a too-long range split, a 429 waited
out as it asks, at most 64 queries a minute, and rows whose key label two keys share kept apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from openrouter_credits._exceptions import RateLimitError, UnexpectedStatusError
from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._analytics import sync_analytics
from openrouter_credits.ledger._reports import breakdown
from openrouter_credits.ledger._store import KeyFigures
from openrouter_credits.ledger._sync import Pacer, SyncReport

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


class Source:
    """Answers as POST /analytics/query does: $0.50 a day per key label and model, counts as strings."""

    def __init__(
        self, labels: list[str], *, max_rows: int = 10_000, max_days: int = 400, rate_limited: int = 0
    ) -> None:
        self.labels = labels
        self.max_rows = max_rows
        self.max_days = max_days
        self.rate_limited = rate_limited
        self.asked: list[tuple[tuple[str, ...], int]] = []

    def analytics_meta(self) -> Any:
        return SimpleNamespace(metrics=[SimpleNamespace(name=n) for n in ("total_usage", "request_count")])

    def query_analytics(self, *, metrics: list[str], dimensions: list[str], start: dt.datetime, end: dt.datetime,
                        granularity: str, filters: Any, limit: int) -> Any:  # fmt: skip
        days = (end - start).days
        self.asked.append((tuple(dimensions), days))
        if self.rate_limited:
            self.rate_limited -= 1
            raise RateLimitError(
                "Rate limit exceeded",
                status_code=429,
                message="Rate limit exceeded",
                body="",
                request_id=None,
                retry_after=7.0,
                url="http://127.0.0.1/api/v1/analytics/query",
            )
        if days > self.max_days:
            raise UnexpectedStatusError(
                "time range too long",
                status_code=400,
                message="time range too long",
                body="",
                request_id=None,
                retry_after=None,
                url="http://127.0.0.1/api/v1/analytics/query",
            )
        rows = []
        for offset in range(days):
            day = (start + dt.timedelta(days=offset)).date()
            for label in self.labels if "api_key_id" in dimensions else [""]:
                rows.append({"date__day": f"{day}T00:00:00.000Z", "api_key_id": label, "model": "openai/gpt-4.1",
                             "workspace": "Default", "total_usage": 0.5, "request_count": "3"})  # fmt: skip
        return SimpleNamespace(rows=rows[: min(limit, self.max_rows)], truncated=len(rows) > min(limit, self.max_rows))


def _run(tmp_path: Path, source: Source) -> tuple[SyncReport, list[float], list[float]]:
    sleeps: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    report = SyncReport()
    with open_ledger(Location(path=tmp_path / "ledger.sqlite3")) as ledger:
        figures = [KeyFigures(h * 64, name, "", "", 1.0, 0.0, None, None, False, None)
                   for h, name in (("a", "ci"), ("b", "ci"), ("c", "batch"))]  # fmt: skip
        ledger.record_keys(figures, NOW)
        sync_analytics(source, ledger, NOW, report, lambda *_: None, Pacer(64, monotonic=lambda: clock[0], sleep=sleep))
    return report, sleeps, clock


def test_a_year_backfilled_with_labels_kept_apart(tmp_path: Path) -> None:
    """365 days of two labels: "ci" (two keys have it) is kept as ambiguous, never merged or dropped."""
    source = Source(["ci", "batch"])
    report, sleeps, _ = _run(tmp_path, source)
    assert report.errors == []
    assert report.ambiguous_rows == 365
    with open_ledger(Location(path=tmp_path / "ledger.sqlite3")) as ledger:
        lines, gaps = breakdown(ledger, dt.date(2025, 11, 24), dt.date(2026, 11, 23), ["key"])
    assert gaps == []
    assert {line.names[0]: line.usage_nano for line in lines} == {
        "batch": 182_500_000_000,
        "ci (ambiguous: 2 keys have this name)": 182_500_000_000,
    }
    assert min(sleeps, default=60 / 64) >= 60 / 64 - 1e-9  # evenly spaced: at most 64 a minute


def test_truncated_answers_and_too_long_ranges_are_asked_again_in_halves(tmp_path: Path) -> None:
    """An answer cut at its row limit is not stored: its window is asked again in halves; a 400 for
    a range over 100 days likewise; a 429 waits the 7 s it asks for."""
    source = Source(["ci", "batch"], max_rows=150, max_days=100, rate_limited=1)
    report, sleeps, _ = _run(tmp_path, source)
    assert report.errors == []
    assert 7.0 in sleeps
    assert all(days <= 100 for dims, days in source.asked[-3:])
    with open_ledger(Location(path=tmp_path / "ledger.sqlite3")) as ledger:
        held = ledger.query(
            "SELECT breakdown, COUNT(*), SUM(row_count) FROM coverage WHERE source = 'analytics' "
            "GROUP BY breakdown ORDER BY 1"
        )
    assert held == [("key+model", 365, 730), ("model", 365, 365), ("workspace", 365, 365)]
