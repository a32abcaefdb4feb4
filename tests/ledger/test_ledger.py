"""The ledger on SQLite and on a real PostgreSQL: each dollar counted once however often and however
concurrently it is written, each key's day exact from its snapshots, gaps never $0, schemas
migrated forward and refused backward, and files that are not ledgers refused with a sentence."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from ledger_mock import NOW, sync_ledger

from helpers import Clock
from openrouter_credits.ledger import Location, NewerLedger, NotALedger, open_ledger
from openrouter_credits.ledger._db import Transaction, connect
from openrouter_credits.ledger._nano import NANO
from openrouter_credits.ledger._reports import breakdown, day_totals, months
from openrouter_credits.ledger._schema import SCHEMA_VERSION, migrate
from openrouter_credits.ledger._store import Day, KeyFigures, Row, record_days
from openrouter_credits.testing import MockServer

TODAY = NOW.date()


def _dollars(nano: int | None) -> float | None:
    return None if nano is None else nano / NANO


def test_sync_twice_counts_each_dollar_once(account: MockServer, location: Location) -> None:
    """Two syncs of the same answers leave the same figures: November's completed days sum to the
    activity's $3.55 exactly (the analytics of the same days not counted again); the days before
    /activity's 30 are analytics' (the mock's scripted account spent nothing then: $0, not a gap)."""
    sync_ledger(account, location, NOW)
    with open_ledger(location) as ledger:
        first = ledger.query("SELECT COUNT(*), SUM(usage_nano) FROM spend")
    sync_ledger(account, location, NOW)
    with open_ledger(location) as ledger:
        assert ledger.query("SELECT COUNT(*), SUM(usage_nano) FROM spend") == first
        totals = {t.day: t for t in day_totals(ledger, dt.date(2026, 10, 20), TODAY - dt.timedelta(days=1))}
        november = months(ledger, TODAY, 1)[-1]
    assert sum(t.usage_nano or 0 for d, t in totals.items() if d.month == 11) == 3_550_000_000
    assert totals[dt.date(2026, 11, 19)].usage_nano == 0  # covered by /activity, nothing spent: $0
    assert (totals[dt.date(2026, 10, 20)].usage_nano, totals[dt.date(2026, 10, 20)].source) == (0, "analytics")
    assert totals[dt.date(2026, 11, 23)].source == "activity"
    # This month so far: the completed days and today's spend so far from the keys' snapshots ($1).
    assert (november.usage_nano, november.gaps, november.partial) == (4_550_000_000, 0, 1)


def test_each_keys_day_from_its_snapshots(account: MockServer, location: Location, clock: Clock) -> None:
    """A listing a day: a key's spend on a day is its lifetime usage at the next midnight less at
    this one (usage minus usage_daily); a key created that day started from 0."""
    sync_ledger(account, location, NOW)
    next_day = NOW + dt.timedelta(days=1, hours=-6)
    clock.now = next_day
    account.app.set_keys([
        {"name": "ci", "hash": "a" * 64, "usage": 13.0, "usage_daily": 0.5},  # 12.5 at midnight: $3.50 on the 24th
        {"name": "batch", "hash": "b" * 64, "usage": 5.25, "usage_daily": 0.25},  # $0 on the 24th
        {"name": "new", "hash": "c" * 64, "usage": 0.75, "usage_daily": 0.5, "created_at": "2026-11-24T15:00:00Z"},
    ])  # fmt: skip
    sync_ledger(account, location, next_day)
    with open_ledger(location) as ledger:
        lines, gaps = breakdown(ledger, TODAY, TODAY, ["key"])
        partial = breakdown(ledger, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=1), ["key"])[0]
    assert gaps == []
    assert [(line.names[0], _dollars(line.usage_nano)) for line in lines] == [
        ("ci", 3.5),
        ("new", 0.25),
        ("batch", 0.0),
    ]
    assert {line.names[0]: _dollars(line.usage_nano) for line in partial} == {"ci": 0.5, "batch": 0.25, "new": 0.5}


def test_writers_at_once_never_double_count(account: MockServer, location: Location) -> None:
    """Four writers (each its own connection, as four processes) syncing the same answers, analytics
    included, into a new ledger at once (creating it, naming the same models and keys) leave what
    one sync leaves; a sync after them changes nothing."""
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            start.wait(timeout=10)
            sync_ledger(account, location, NOW)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    totals = "SELECT source, breakdown, COUNT(*), SUM(usage_nano) FROM spend GROUP BY 1, 2 ORDER BY 1, 2"
    with open_ledger(location) as ledger:
        assert ledger.query(totals) == [
            ("activity", "model+provider+endpoint", 4, 3_550_000_000),
            ("activity", "workspace+model+provider+endpoint", 4, 3_550_000_000),
            ("analytics", "key+model", 4, 3_550_000_000),
            ("analytics", "model", 4, 3_550_000_000),
            ("analytics", "workspace", 4, 3_550_000_000),
            ("key-snapshots", "key", 2, 1_000_000_000),
        ]
        assert ledger.query("SELECT COUNT(*) FROM key_snapshots") == [(2,)]  # one an hour per key
        # Each once: /activity's model (and with its workspace), analytics' two keys' and its model's
        # and workspace's rows, the two keys' snapshots.
        assert ledger.query("SELECT COUNT(*) FROM facets") == [(1 + 1 + 2 + 1 + 1 + 2,)]
        held = ledger.query(totals)
    sync_ledger(account, location, NOW)
    with open_ledger(location) as ledger:
        assert ledger.query(totals) == held


def _schema_1_rows(tx: Transaction) -> None:
    """The rows of schema 1's tables that both older ledgers hold: a credits snapshot, key ``a…`` named
    ci (and ``c…`` of the same name), its hourly snapshot and its day's mark."""
    tx.execute(
        "INSERT INTO credits_snapshots (hour, taken_at, total_credits_nano, total_usage_nano) "
        "VALUES ('2026-11-01T00', '2026-11-01T00:00:00Z', 25000000000, 7500000000)"
    )
    tx.execute(
        "INSERT INTO keys (key_hash, name, label, workspace_id, created_day, disabled, first_seen, last_seen) "
        "VALUES (?, 'ci', '', 'ws-1', NULL, 0, '2026-11-21T06:00:00Z', '2026-11-21T06:00:00Z')",
        ("a" * 64,),
    )
    tx.executemany(  # two keys named ci: analytics' rows of that name are ambiguous
        "INSERT INTO key_names (key_hash, name, first_seen, last_seen) "
        "VALUES (?, 'ci', '2026-11-21T06:00:00Z', '2026-11-21T06:00:00Z')",
        [("a" * 64,), ("c" * 64,)],
    )
    tx.execute(
        "INSERT INTO key_snapshots (key_hash, hour, taken_at, name, workspace_id, usage_nano, usage_daily_nano, "
        "byok_nano, byok_daily_nano, disabled) VALUES (?, '2026-11-21T06', '2026-11-21T06:00:00Z', 'ci', "
        "'ws-1', 10000000000, 750000000, NULL, NULL, 0)",
        ("a" * 64,),
    )
    tx.execute(
        "INSERT INTO key_marks (key_hash, day, usage_nano, byok_nano, taken_at) "
        "VALUES (?, '2026-11-21', 9250000000, NULL, '2026-11-21T06:00:00Z')",
        ("a" * 64,),
    )


def test_an_older_ledger_opens_and_a_newer_one_is_refused(location: Location) -> None:
    """A ledger at schema 1 is migrated forward with its rows; one from a newer version is refused."""
    db = connect(location)
    migrate(db, upto=1)
    with db.write() as tx:
        _schema_1_rows(tx)
    db.close()
    with open_ledger(location) as ledger:
        assert ledger.query("SELECT value FROM ledger_meta WHERE name = 'schema_version'") == [(str(SCHEMA_VERSION),)]
        assert ledger.query("SELECT total_usage_nano FROM credits_snapshots") == [(7_500_000_000,)]
        assert ledger.query("SELECT COUNT(*) FROM daily_spend") == [(0,)]
        with ledger.write("test") as tx:
            tx.execute("UPDATE ledger_meta SET value = '99' WHERE name = 'schema_version'")
    with pytest.raises(NewerLedger, match=r"written by a newer version of openrouter-credits \(schema 99; this one"):
        open_ledger(location)


#: Rows of schema 2's spend table (its 16 columns) and the coverage written with them.
V2_SPEND = [
    ("activity", "model+provider+endpoint", "2026-11-20", "", "openai/gpt-4.1", "OpenAI", "e1", "", "", "",
     1_250_000_000, 0, 3, 120, 1, "2026-11-21T06:00:00Z"),
    ("activity", "model+provider+endpoint", "2026-11-20", "", "openai/gpt-4.1", "Azure", "e2", "", "", "",
     100_000_000, 0, 1, 40, 1, "2026-11-21T06:00:00Z"),
    ("analytics", "key+model", "2026-11-19", "ci", "openai/gpt-4.1", "", "", "", "", "ambiguous",
     500_000_000, None, 2, None, 1, "2026-11-21T06:00:00Z"),
    ("analytics", "key+model", "2026-11-19", "batch", "openai/gpt-4.1", "", "", "", "b" * 64, "resolved",
     250_000_000, None, 1, None, 1, "2026-11-21T06:00:00Z"),
    ("key-snapshots", "key", "2026-11-21", "a" * 64, "", "", "", "ws-1", "a" * 64, "hash",
     750_000_000, None, None, None, 0, "2026-11-21T06:00:00Z"),
]  # fmt: skip


def _v2_ledger(location: Location) -> None:
    """A ledger as schema 2 wrote it: spend's rows with their strings, coverage, a snapshot."""
    db = connect(location)
    migrate(db, upto=2)
    with db.write() as tx:
        tx.executemany("INSERT INTO spend VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", V2_SPEND)
        tx.executemany(
            "INSERT INTO coverage (source, breakdown, day, complete, row_count, usage_nano, byok_nano, requests, "
            "fetched_at) SELECT source, breakdown, day, MAX(complete), COUNT(*), SUM(usage_nano), SUM(byok_nano), "
            "SUM(requests), MAX(fetched_at) FROM spend WHERE source = ? GROUP BY source, breakdown, day",
            [("activity",), ("analytics",), ("key-snapshots",)],
        )
        _schema_1_rows(tx)
    db.close()


def _text(row: tuple[object, ...]) -> tuple[object, ...]:
    """A row with its day and time as text, as SQLite returns them."""
    out = []
    for value in row:
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out.append(value)
    return tuple(out)


def test_a_schema_2_ledger_is_carried_forward(location: Location) -> None:
    """Schema 2's rows reach schema 3 whole: the view spend shows each as it was (all 16 columns),
    each string is stored once, reports add up to the same dollars, and writing a day again after
    the migration replaces its rows instead of adding to them; a key's snapshot and mark are kept by
    its number, and the next listing takes its day's spend from the mark carried forward."""
    _v2_ledger(location)
    with open_ledger(location) as ledger:
        assert ledger.query("SELECT value FROM ledger_meta WHERE name = 'schema_version'") == [(str(SCHEMA_VERSION),)]
        shown = [_text(row) for row in ledger.query("SELECT * FROM spend ORDER BY source, day, usage_nano DESC")]
        assert shown == sorted(V2_SPEND, key=lambda r: (r[0], r[2], -int(r[10])))  # type: ignore[call-overload]
        assert ledger.query("SELECT COUNT(*) FROM facets") == [(5,)]
        assert ledger.query("SELECT COUNT(*) FROM series") == [(3,)]
        assert ledger.query("SELECT total_usage_nano FROM credits_snapshots") == [(7_500_000_000,)]
        snapshots = "SELECT r.key_hash, t.hour, t.usage_nano FROM key_snapshots t JOIN key_refs r USING (key_ref)"
        assert [_text(row) for row in ledger.query(snapshots)] == [("a" * 64, "2026-11-21T06", 10_000_000_000)]
        marks = "SELECT r.key_hash, t.day, t.usage_nano FROM key_marks t JOIN key_refs r USING (key_ref)"
        assert [_text(row) for row in ledger.query(marks)] == [("a" * 64, "2026-11-21", 9_250_000_000)]
        lines, _ = breakdown(ledger, dt.date(2026, 11, 19), dt.date(2026, 11, 20), ["key", "model"])
        assert [(line.names, line.usage_nano) for line in lines] == [
            (("(not broken down)", "openai/gpt-4.1"), 1_350_000_000),
            (("ci (ambiguous: 2 keys have this name)", "openai/gpt-4.1"), 500_000_000),
            (("batch", "openai/gpt-4.1"), 250_000_000),
        ]
        activity = [Row("", "openai/gpt-4.1", "OpenAI", "e1", "", 2_000_000_000, 0, 5, 200)]
        ledger.record_days("activity", "model+provider+endpoint", [Day(dt.date(2026, 11, 20), activity, True)], NOW)
        assert ledger.query("SELECT COUNT(*), SUM(usage_nano) FROM spend WHERE source = 'activity'") == [
            (1, 2_000_000_000)
        ]
        assert ledger.query("SELECT COUNT(*) FROM facets") == [(5,)]
        listed = KeyFigures("a" * 64, "ci", "", "ws-1", 12.0, 0.5, None, None, False, None)
        ledger.record_keys([listed], dt.datetime(2026, 11, 22, 6, tzinfo=dt.UTC))
        lines, _ = breakdown(ledger, dt.date(2026, 11, 21), dt.date(2026, 11, 21), ["key"])
        assert [(line.names, line.usage_nano, line.sources) for line in lines] == [
            (("ci",), 2_250_000_000, frozenset({"key-snapshots"}))  # 11.50 at midnight, 9.25 the one before
        ]


def test_a_rolled_back_write_loses_no_later_dollar(tmp_path: Path) -> None:
    """A write that fails after naming a new model is rolled back whole; the next write of that
    model stores it (the connection forgets the ids the failed write gave out)."""
    day = Day(dt.date(2026, 11, 20), [Row("", "new/model", "P", "e", "", 1_000_000_000, 0, 1, 10)], True)
    with open_ledger(Location(path=tmp_path / "ledger.sqlite3")) as ledger:

        def fails_after_writing() -> None:
            with ledger.write("test") as tx:
                record_days(tx, "activity", "model+provider+endpoint", [day], NOW)
                raise RuntimeError("the disk filled up")

        with pytest.raises(RuntimeError):
            fails_after_writing()
        assert ledger.query("SELECT COUNT(*) FROM facets") == [(0,)]
        ledger.record_days("activity", "model+provider+endpoint", [day], NOW)
        assert ledger.query("SELECT model, usage_nano FROM spend") == [("new/model", 1_000_000_000)]


def test_files_that_are_not_ledgers_are_refused(tmp_path: Path) -> None:
    """A text file, another program's SQLite file and a folder are named and refused, untouched."""
    text = tmp_path / "notes.txt"
    text.write_text("not a database, but long enough to fill SQLite's header of one hundred bytes or so.\n" * 3)
    with pytest.raises(NotALedger, match="is not a ledger"):
        open_ledger(Location(path=text))
    assert text.read_text().startswith("not a database")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    with pytest.raises(NotALedger, match="SQLite file of another program"):
        open_ledger(Location(path=other))
    with pytest.raises(NotALedger, match="is not a ledger file"):
        open_ledger(Location(path=tmp_path))
