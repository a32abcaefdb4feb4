"""The analytics backfill against the mock over loopback, in virtual time (the pacer's sleeps move the
mock's clock, whose 64 requests a minute it enforces): a year of each day's spend exactly as the
mock's history has it, no 429, an interrupted backfill resumed, answers cut at the row limit and a
400 asked again in halves, a 429 waited out as it asks, models' display names matched to their ids,
and key and workspace labels: two keys of one name kept apart as ambiguous and counted, a renamed
key found by its new name, a deleted workspace's spend kept."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ledger_mock import NOW

from helpers import Clock
from openrouter_credits import CreditsClient
from openrouter_credits.ledger import Location, open_ledger, sync
from openrouter_credits.ledger._nano import to_nano
from openrouter_credits.ledger._reports import breakdown, day_totals
from openrouter_credits.ledger._sync import ANALYTICS_ROW_LIMIT, SyncReport
from openrouter_credits.testing import MockServer

TODAY = NOW.date()
YEAR = (TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=1))


class Time:
    """The pacer's sleep and monotonic clock on the mock's clock: the backfill waits, the test does not."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.now += dt.timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.clock.now.timestamp()


@pytest.fixture
def mock(server: MockServer, clock: Clock) -> Iterator[MockServer]:
    clock.now = NOW
    server.app.reset()
    yield server
    server.app.reset()


def backfill(
    mock: MockServer,
    clock: Clock,
    path: Path,
    *,
    row_limit: int = ANALYTICS_ROW_LIMIT,
    progress: Callable[[str, int, int], None] | None = None,
    time: Time | None = None,
) -> SyncReport:
    time = time or Time(clock)
    with (
        CreditsClient(mock.app.provisioning_key, base_url=mock.base_url, max_retries=0, clock=clock) as client,
        open_ledger(Location(path=path)) as ledger,
    ):
        return sync(
            client, ledger, now=clock.now, sleep=time.sleep, monotonic=time.monotonic, row_limit=row_limit,
            progress=progress,
        )  # fmt: skip


def history_by_day(mock: MockServer) -> dict[dt.date, int]:
    """The mock's history, each day's spend in nano-dollars (what the ledger must hold)."""
    older, current = mock.app.history()
    spent: dict[dt.date, int] = defaultdict(int)
    for row in [*older, *current]:
        spent[dt.date.fromisoformat(str(row["date"])[:10])] += to_nano(Decimal(repr(row["usage"])))
    return spent


def rate_limited(mock: MockServer) -> int:
    return sum(status == 429 for _, path, status in mock.app.requests if path.startswith("/api/v1/analytics"))


def test_a_year_backfilled_within_the_rate_limit(mock: MockServer, clock: Clock, tmp_path: Path) -> None:
    """The default year in windows small enough to need more queries than the 64 a minute the mock
    allows: each day's spend as the history has it (the days before /activity's 30 from analytics),
    no gap, no 429, the models named by their ids."""
    path = tmp_path / "ledger.sqlite3"
    report = backfill(mock, clock, path, row_limit=400)
    assert report.errors == []
    assert report.analytics_queries > 64
    assert rate_limited(mock) == 0
    assert clock.now - NOW >= dt.timedelta(minutes=(report.analytics_queries - 64) / 64)  # it waited, virtually
    expected = history_by_day(mock)
    with open_ledger(Location(path=path)) as ledger:
        totals = day_totals(ledger, *YEAR)
        labels = ledger.query("SELECT label, model FROM model_labels ORDER BY label")
        models, _ = breakdown(ledger, TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=1), ["model"])
    assert [t.day for t in totals if t.usage_nano is None] == []
    assert {t.day: t.usage_nano for t in totals} == {t.day: expected.get(t.day, 0) for t in totals}
    assert {t.source for t in totals if (TODAY - t.day).days > 30} == {"analytics"}
    assert labels == [
        ("Anthropic: Claude Sonnet 4", "anthropic/claude-sonnet-4"),
        ("OpenAI: GPT-4.1", "openai/gpt-4.1"),
    ]
    assert {line.names[0] for line in models} == {"openai/gpt-4.1", "anthropic/claude-sonnet-4"}


def test_an_interrupted_backfill_resumes(mock: MockServer, clock: Clock, tmp_path: Path) -> None:
    """Ctrl-C after five windows keeps them: the next sync asks again only for the days it lacks, and
    the year is whole."""
    path = tmp_path / "ledger.sqlite3"

    def interrupt(what: str, done: int, total: int) -> None:
        if what.startswith("analytics") and done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfill(mock, clock, path, row_limit=2000, progress=interrupt)
    first = "SELECT breakdown, day FROM coverage WHERE source = 'analytics' AND fetched_at = ? ORDER BY 1, 2"
    with open_ledger(Location(path=path)) as ledger:
        kept = ledger.query(first, (NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),))
    assert len(kept) > 5
    clock.now += dt.timedelta(minutes=1)
    report = backfill(mock, clock, path, row_limit=2000)
    assert report.errors == []
    expected = history_by_day(mock)
    with open_ledger(Location(path=path)) as ledger:
        assert ledger.query(first, (NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),)) == kept  # not asked again
        assert {t.day: t.usage_nano for t in day_totals(ledger, *YEAR)} == {
            day: expected.get(day, 0) for day in (YEAR[0] + dt.timedelta(days=n) for n in range(365))
        }


def test_cut_answers_a_400_and_a_429(mock: MockServer, clock: Clock, tmp_path: Path) -> None:
    """A window whose answer is cut at the row limit (the ledger guesses 3 rows a day for its one
    listed key; the answers hold 20: the year's 2,400 are cut, and so is its recent half), and one
    refused with a 400, are asked again in halves; a 429 waits the 30 s its X-RateLimit-Reset asks;
    nothing is lost or counted twice."""
    keys = [f"{n:064x}" for n in range(1, 11)]  # ten keys the listing does not have: 20 rows a day
    history: list[dict[str, Any]] = [
        {"date": (TODAY - dt.timedelta(days=back)).isoformat(), "usage": 0.01, "model": model, "api_key_hash": key}
        for back in range(1, 121)
        for key in keys
        for model in ("openai/gpt-4.1", "anthropic/claude-sonnet-4")
    ]
    mock.app.set_history(history)
    mock.app.fail_next(1, status=400, endpoint="analytics/query")
    reset = (NOW + dt.timedelta(seconds=30)).timestamp()
    mock.app.fail_next(1, status=429, rate_limit_reset=reset, endpoint="analytics/query")
    time = Time(clock)
    path = tmp_path / "ledger.sqlite3"
    planned: list[int] = []  # the windows the backfill means to ask for, as it goes

    def windows(what: str, done: int, total: int) -> None:
        if what.startswith("analytics"):
            planned.append(total)

    report = backfill(mock, clock, path, row_limit=2000, time=time, progress=windows)
    assert report.errors == []
    assert max(planned) - min(planned) >= 3  # windows split in halves: the 400's, and two cut answers
    assert report.rate_limited == 1
    assert any(seconds >= 29 for seconds in time.slept)
    assert any("analytics/query" in path and status == 400 for _, path, status in mock.app.requests)
    with open_ledger(Location(path=path)) as ledger:
        held = ledger.query(
            "SELECT breakdown, COUNT(*), SUM(row_count), SUM(usage_nano) FROM coverage WHERE source = 'analytics' "
            "AND complete = 1 AND day >= ? GROUP BY breakdown ORDER BY breakdown",
            ((TODAY - dt.timedelta(days=90)).isoformat(),),
        )
    # 88 complete days (the last two are late); 20 key and model rows a day (the keys' label is "": each
    # key its own row, as the API groups by key); 2 models; 1 workspace; $0.20 a day.
    assert held == [
        ("key+model", 88, 88 * 2, 88 * 200_000_000),
        ("model", 88, 88 * 2, 88 * 200_000_000),
        ("workspace", 88, 88, 88 * 200_000_000),
    ]


def test_key_and_workspace_labels(mock: MockServer, clock: Clock, tmp_path: Path) -> None:
    """Two keys named ci: their rows kept as one ambiguous line, counted; a key renamed between two
    syncs: one line, by its new name; a workspace deleted: its spend kept under its name; the last 30
    days per workspace from /activity?group_by=workspace."""
    research = mock.app.add_workspace("Research", keys=1)
    research_key = next(key for key in mock.app.listed_keys() if key["workspace_id"] == research)
    keys = [{"name": "ci", "hash": "a" * 64}, {"name": "ci", "hash": "b" * 64}, {"name": "old", "hash": "d" * 64}]
    mock.app.set_keys(keys)
    spends = {"a" * 64: 1.0, "b" * 64: 2.0, "d" * 64: 4.0, research_key["hash"]: 8.0}
    history = [
        {"date": (TODAY - dt.timedelta(days=back)).isoformat(), "usage": usage, "model": "openai/gpt-4.1",
         "api_key_hash": key, **({"workspace_id": research} if key == research_key["hash"] else {})}
        for back in (60, 50, 40, 2)
        for key, usage in spends.items()
    ]  # fmt: skip
    mock.app.set_history(history)
    path = tmp_path / "ledger.sqlite3"
    first = backfill(mock, clock, path)
    assert first.errors == []
    assert first.ambiguous_rows == 2 * 4  # a and b's rows on each of the four days
    clock.now += dt.timedelta(days=1)
    mock.app.set_keys([*keys[:2], {"name": "new", "hash": "d" * 64}])
    mock.app.set_workspaces([])  # Research deleted, its key with it
    second = backfill(mock, clock, path)
    assert second.errors == []
    with open_ledger(Location(path=path)) as ledger:
        by_key, gaps = breakdown(ledger, TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=3), ["key"])
        by_workspace, _ = breakdown(ledger, TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=1), ["workspace"])
        recent, _ = breakdown(ledger, TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=2), ["workspace"])
    assert gaps == []
    assert {line.names[0]: line.usage_nano for line in by_key} == {
        "ci (ambiguous: 2 keys have this name)": 9_000_000_000,
        "new": 12_000_000_000,
        "research-000": 24_000_000_000,
    }
    assert {line.names[0]: line.usage_nano for line in by_workspace} == {
        "Default": 4 * 7_000_000_000,
        "Research": 4 * 8_000_000_000,
    }
    assert {(line.names[0], line.sources) for line in recent} == {
        ("Default", frozenset({"activity"})),
        ("Research", frozenset({"activity"})),
    }
