"""The ledger's figures (make bench): a year of a 1,000-key account with 20 models, synthetic, into
SQLite. Prints backfill ingest (rows/s), report --month by key and model, the 12-month report, an
incremental daily sync's CPU, the size on disk per million rows, what a day of serve's hourly
listings of the keys adds, and the analytics queries a 365-day backfill needs with their wall time
at the documented 64 a minute.

Each time is given as elapsed (wall) and as this process's CPU: on a machine others share, the
CPU time says what the code costs, the elapsed time what a user waited."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._analytics import plan_windows, rows_per_day_guess
from openrouter_credits.ledger._reports import breakdown, months
from openrouter_credits.ledger._store import Day, KeyFigures, Row, record_days
from openrouter_credits.ledger._sync import ANALYTICS_FAMILIES, ANALYTICS_PER_MINUTE, BACKFILL_DAYS

KEYS, MODELS, MODELS_PER_KEY = 1_000, 20, 8
TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 6, tzinfo=dt.UTC)


def key_model_day(day: dt.date, rng: random.Random) -> Day:
    rows = []
    for k in range(KEYS):
        for m in rng.sample(range(MODELS), MODELS_PER_KEY):
            rows.append(Row(f"key-{k:04d}", f"vendor/model-{m:02d}", "", "", "", rng.randrange(1, 5_000_000_000),
                            None, rng.randrange(1, 500), None, f"{k:064x}", "resolved"))  # fmt: skip
    return Day(day, rows, True)


def median_ms(run, repeat: int = 5) -> str:  # type: ignore[no-untyped-def]
    """The median elapsed and CPU milliseconds of ``repeat`` runs, as text."""
    elapsed, cpu = [], []
    for _ in range(repeat):
        start, started = time.perf_counter(), time.process_time()
        run()
        elapsed.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - started) * 1000)
    return f"{statistics.median(elapsed):.1f} ms ({statistics.median(cpu):.1f} ms of CPU)"


def snapshot_growth(figures: list[KeyFigures], spending: int = 100) -> str:
    """What a day of serve's listings of the 1,000 keys adds (a listing a minute, the first of each
    hour kept), a tenth of the keys spending each hour: rows and bytes, and a year of it."""
    folder = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    path = folder / "ledger.sqlite3"
    with open_ledger(Location(path=path)) as ledger:
        ledger.record_keys(figures, NOW - dt.timedelta(days=1))
        ledger.query("PRAGMA wal_checkpoint(TRUNCATE)")
        before = path.stat().st_size
        listed = list(figures)
        for hour in range(24):
            start = hour * spending % len(listed)
            for k in range(start, start + spending):
                listed[k] = listed[k]._replace(usage=listed[k].usage + 0.01, usage_daily=listed[k].usage_daily + 0.01)
            ledger.record_keys(listed, NOW + dt.timedelta(hours=hour, minutes=1))
        rows = ledger.query("SELECT COUNT(*) FROM key_snapshots")[0][0] - len(figures)
        ledger.query("PRAGMA wal_checkpoint(TRUNCATE)")
    grown = path.stat().st_size - before
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    return (
        f"a day of hourly listings of {len(figures):,} keys, {spending} spending each hour: {rows:,} snapshots, "
        f"{grown / 2**20:.2f} MiB with the keys' marks and spend ({grown * 365 / 2**30:.2f} GiB a year; schema 2 "
        f"kept every key's every hour, 24,000 snapshots, 5.0 MiB a day)"
    )


def main() -> None:
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    path = folder / "ledger.sqlite3"
    days = [TODAY - dt.timedelta(days=back) for back in range(BACKFILL_DAYS, 0, -1)]
    written = 0
    spent = cpu = 0.0
    with open_ledger(Location(path=path)) as ledger:
        for start in range(0, len(days), 10):  # a window of 10 days per transaction, as analytics answers
            batch = [key_model_day(day, rng) for day in days[start : start + 10]]
            models = [Day(d.day, [Row("", f"vendor/model-{m:02d}", "", "", "", 1, None, 1, None)
                                  for m in range(MODELS)],
                          True) for d in batch]  # fmt: skip
            began, started = time.perf_counter(), time.process_time()
            with ledger.write("bench") as tx:
                written += record_days(tx, "analytics", "key+model", batch, NOW)
                written += record_days(tx, "analytics", "model", models, NOW)
            spent += time.perf_counter() - began
            cpu += time.process_time() - started
        figures = [
            KeyFigures(f"{k:064x}", f"key-{k:04d}", "", "", 100.0, 1.0, None, None, False, None) for k in range(KEYS)
        ]
        ledger.record_keys(figures, NOW - dt.timedelta(days=1))
        print(
            f"backfill ingest: {written:,} rows in {spent:.1f} s: {written / spent:,.0f} rows/s "
            f"({written / cpu:,.0f} rows/s of CPU; SQLite)"
        )

        month = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
        lines = len(breakdown(ledger, *month, ["key", "model"])[0])
        print(
            f"report --month 2026-10 --by key,model ({lines:,} lines): "
            f"{median_ms(lambda: breakdown(ledger, *month, ['key', 'model']))}"
        )
        print(f"report --month 2026-10 --by key: {median_ms(lambda: breakdown(ledger, *month, ['key']))}")
        print(f"report --month 2026-10 --by model: {median_ms(lambda: breakdown(ledger, *month, ['model']))}")
        print(f"report (12 months and this one): {median_ms(lambda: months(ledger, TODAY))}")

        # An incremental daily sync: the keys' listing, 30 days of /activity (3 of them written: new +
        # the last two again) and 3 days of each analytics family again.
        cpu = time.process_time()
        ledger.record_keys([f._replace(usage=f.usage + 2) for f in figures], NOW)
        activity = [Day(d, [Row("", f"vendor/model-{m:02d}", "P", f"e{m}", "", 1000, 0, 1, 10) for m in range(MODELS)],
                        True) for d in days[-3:]]  # fmt: skip
        ledger.record_days("activity", "model+provider+endpoint", activity, NOW)
        with ledger.write("bench") as tx:
            record_days(tx, "analytics", "key+model", [key_model_day(d, rng) for d in days[-3:]], NOW)
        print(f"incremental daily sync (1,000 keys, activity, 3 days of analytics again): "
              f"{time.process_time() - cpu:.2f} s of CPU")  # fmt: skip
        rows = ledger.query("SELECT COUNT(*) FROM spend_facts")[0][0]
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(
        f"size on disk: {size / 2**20:,.0f} MiB for {rows:,} rows: "
        f"{size / 2**20 / (rows / 1e6):.0f} MiB per million rows (schema 2, before interning: 175)"
    )
    print(f"serve's listings: {snapshot_growth(figures)}")
    queries = 1 + sum(len(plan_windows(days, rows_per_day_guess(family, KEYS) * 1.25)) for family in ANALYTICS_FAMILIES)
    # At most 64 in any minute: the first 64 at once, then one as each of those turns a minute old.
    waited = max(0, queries - ANALYTICS_PER_MINUTE) / ANALYTICS_PER_MINUTE
    print(f"analytics backfill of 365 days, {KEYS:,} keys: {queries} queries (with /analytics/meta), "
          f"{waited:.1f} min of waiting at most {ANALYTICS_PER_MINUTE} in any minute")  # fmt: skip
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()


if __name__ == "__main__":
    sys.exit(main())
