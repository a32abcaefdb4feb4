"""serve --ledger: the exporter writes each poll's answers to the ledger (in process, in virtual time,
against the live mock): /credits, every key's usage and /activity land as the mock gave them; polls
again, a restart and a new day count nothing twice; a ledger that cannot be written costs no poll.
The status page shows the ledger's 12 months and how its sources agreed over the last 30 days."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import MANAGEMENT, Clock, MakeExporter

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.exporter._ledger_hook import LedgerWriter
from openrouter_credits.exporter._page import KeyView, Snapshot, render_page
from openrouter_credits.exporter._page_ledger import LedgerView, MonthSpend
from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._reports import breakdown
from openrouter_credits.testing import MockServer, activity_row

KEYS: list[dict[str, Any]] = [
    {"name": "ci", "hash": "a" * 64, "usage": 10.0, "usage_daily": 1.0},
    {"name": "batch", "hash": "b" * 64, "usage": 5.0, "usage_daily": 0.0},
]
#: Days of /activity, some days back from the real date (the exporter's clients keep the real clock).
ACTIVITY = {3: 1.25, 4: 0.5, 9: 2.0}
SPEC = KeySpec("acct", MANAGEMENT, discover=True)


def held(path: Path) -> dict[str, Any]:
    """What the ledger holds, counted: a doubled write changes some figure."""
    with open_ledger(Location(path=path), create=False) as ledger:
        return {
            "credits": ledger.query("SELECT hour, total_credits_nano, total_usage_nano FROM credits_snapshots"),
            "snapshots": ledger.query(
                "SELECT r.key_hash, s.usage_nano FROM key_snapshots s JOIN key_refs r ON r.key_ref = s.key_ref "
                "ORDER BY r.key_hash, s.hour"
            ),
            "spend": ledger.query(
                "SELECT source, day, COUNT(*), SUM(usage_nano) FROM spend GROUP BY source, day ORDER BY source, day"
            ),
            "days": ledger.query("SELECT source, day, complete, usage_nano FROM coverage ORDER BY source, day"),
        }


async def poll(exporter: MakeExporter, path: Path, times: int, clock: Clock) -> None:
    """One exporter's life: ``times`` polls a minute apart, then closed (a restart makes another)."""
    writer = LedgerWriter(open_ledger(Location(path=path)))
    watcher = exporter(SPEC, ledger=writer)
    try:
        for _ in range(times):
            await watcher.poll("acct")
            clock.now += 60
    finally:
        await watcher.aclose()
        writer.close()


def test_each_poll_lands_once(mock: MockServer, exporter: MakeExporter, clock: Clock, tmp_path: Path) -> None:
    """The first poll writes /credits, each key's usage and the 30 days of /activity; more polls and a
    restart add nothing; the next day, each key's spend on the day before is exact from its usage."""
    path = tmp_path / "ledger.sqlite3"
    today = dt.datetime.now(dt.UTC).date()
    mock.app.set_keys(KEYS)
    mock.app.set_activity([activity_row(today - dt.timedelta(days=back), usage) for back, usage in ACTIVITY.items()])

    asyncio.run(poll(exporter, path, 1, clock))
    first = held(path)
    hour = dt.datetime.fromtimestamp(clock.now - 60, dt.UTC).strftime("%Y-%m-%dT%H")
    assert first["credits"] == [(hour, 25_000_000_000, 7_500_000_000)]
    assert first["snapshots"] == [("a" * 64, 10_000_000_000), ("b" * 64, 5_000_000_000)]
    activity = {row[1]: row[3] for row in first["days"] if row[0] == "activity"}
    assert len(activity) == 30  # each of the 30 days covered, $0 where nothing was spent
    assert sum(activity.values()) == 3_750_000_000
    assert len([row for row in first["spend"] if row[0] == "activity"]) == 3
    keyed = [row for row in first["spend"] if row[0] == "key-snapshots"]
    assert [(count, usage) for _, _, count, usage in keyed] == [(2, 1_000_000_000)]  # today so far: ci's $1

    restarted = dt.datetime.fromtimestamp(clock.now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    asyncio.run(poll(exporter, path, 2, clock))  # the same hour, after a restart: the same answers
    assert held(path) == first
    with open_ledger(Location(path=path), create=False) as ledger:  # written again, not added to
        assert ledger.query("SELECT MAX(fetched_at) FROM coverage WHERE source = 'activity'") == [(restarted,)]

    clock.now += 86_400  # the next day: ci spent $3.50 more by midnight, $0.50 since; batch nothing
    mock.app.set_keys([{**KEYS[0], "usage": 13.0, "usage_daily": 0.5}, {**KEYS[1], "usage": 5.0}])
    asyncio.run(poll(exporter, path, 2, clock))
    then = held(path)
    assert len(then["credits"]) == 2
    assert then["snapshots"] == [  # batch spent nothing: no second snapshot of the same figures
        ("a" * 64, 10_000_000_000), ("a" * 64, 13_000_000_000), ("b" * 64, 5_000_000_000),
    ]  # fmt: skip
    assert [row for row in then["spend"] if row[0] == "activity"] == [
        row for row in first["spend"] if row[0] == "activity"
    ]
    assert [row[:2] for row in then["days"] if row[0] == "activity"] == [
        row[:2] for row in first["days"] if row[0] == "activity"
    ]
    yesterday = dt.datetime.fromtimestamp(clock.now, dt.UTC).date() - dt.timedelta(days=1)
    with open_ledger(Location(path=path), create=False) as ledger:
        lines, gaps = breakdown(ledger, yesterday, yesterday, ["key"])
    assert gaps == []
    assert [(line.names[0], line.usage_nano, line.sources) for line in lines] == [
        ("ci", 3_500_000_000, frozenset({"key-snapshots"})),
        ("batch", 0, frozenset({"key-snapshots"})),
    ]


def test_a_ledger_that_cannot_be_written_costs_no_poll(
    mock: MockServer, exporter: MakeExporter, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A ledger whose file turned into something else: each poll still succeeds; the failure is
    logged once, by its kind, until the ledger is written again."""
    path = tmp_path / "ledger.sqlite3"
    mock.app.set_keys(KEYS)
    writer = LedgerWriter(open_ledger(Location(path=path)))

    async def scenario() -> list[bool]:
        watcher = exporter(SPEC, ledger=writer)
        ups = []
        try:
            with writer.ledger.write("test") as tx:
                tx.execute("ALTER TABLE credits_snapshots RENAME TO moved")
            for _ in range(3):
                await watcher.poll("acct")
                ups.append(watcher.states["acct"].up)
                clock.now += 3600
            with writer.ledger.write("test") as tx:
                tx.execute("ALTER TABLE moved RENAME TO credits_snapshots")
            await watcher.poll("acct")
        finally:
            await watcher.aclose()
            writer.close()
        return ups

    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        assert asyncio.run(scenario()) == [True, True, True]
    said = [r.getMessage() for r in caplog.records if "ledger" in r.getMessage()]
    assert len(said) == 2, said
    assert said[0].startswith("Key acct: the ledger was not written (ledger_unavailable): Cannot record /credits")
    assert said[1] == "Key acct: the ledger is written again"
    assert MANAGEMENT not in caplog.text


def test_the_page_shows_the_ledgers_months_and_agreement() -> None:
    """A bar a month with its dollars in its title; a month not in the ledger marked as such, never
    $0; this month so far; the days the sources agree on and those they do not."""
    months = [MonthSpend(dt.date(2025, 11 + n, 1) if n < 2 else dt.date(2026, n - 1, 1), 10.0 * n) for n in range(12)]
    months[0] = MonthSpend(dt.date(2025, 11, 1), None)
    months[1] = MonthSpend(dt.date(2025, 12, 1), 4.5, gaps=3)
    view = LedgerView(
        (*months, MonthSpend(dt.date(2026, 11, 1), 42.25, current=True)),
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 29),
        compared=27,
        differing=(dt.date(2026, 11, 2), dt.date(2026, 11, 9)),
        single=2,
        gaps=1,
    )
    at = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    page = render_page(Snapshot(at, (KeyView("acct", "ok"),), ledger=view)).decode()
    section = page[page.index('<section id="ledger">') :]
    assert len(re.findall(r'<rect class="(bar|none)"', section)) == 13
    assert "<title>2025-11: not in the ledger</title>" in section
    assert "<title>2025-12: $4.50 (3 days missing)</title>" in section
    assert "<title>2026-10: $110.00</title>" in section
    assert "<title>2026-11: $42.25 (so far)</title>" in section
    assert (
        "The sources agree on 25 of the 27 days two or more of them cover, from 2026-10-31 to 2026-11-29; they "
        "differ by more than 1 % or $0.01 on 2026-11-02, 2026-11-09 (report --reconcile says why); 2 covered by "
        "one source, 1 by none (gaps)."
    ) in section
    unreadable = render_page(Snapshot(at, (), ledger=LedgerView(unreadable="ledger_unavailable"))).decode()
    assert "The ledger could not be read (ledger_unavailable): see the log." in unreadable


def test_the_page_reads_the_ledger_serve_writes(
    mock: MockServer, exporter: MakeExporter, clock: Clock, tmp_path: Path
) -> None:
    """After a poll, the page has the ledger's 13 months, this one so far, and the agreement line."""
    mock.app.set_keys(KEYS)
    writer = LedgerWriter(open_ledger(Location(path=tmp_path / "ledger.sqlite3")))

    async def scenario() -> str:
        watcher = exporter(SPEC, ledger=writer)
        try:
            await watcher.poll("acct")
            return watcher.route("GET", "/")[1].decode()
        finally:
            await watcher.aclose()
            writer.close()

    page = asyncio.run(scenario())
    section = page[page.index('<section id="ledger">') :]
    assert len(re.findall(r'<rect class="(bar|none)"', section)) == 13
    month = dt.datetime.fromtimestamp(clock.now, dt.UTC).strftime("%Y-%m")
    assert re.search(rf"<title>{month}: \$[0-9.,]+ \(so far", section)
    assert '<p class="agreement">' in section
