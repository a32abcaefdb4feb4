"""The ledger's one schema, for SQLite and PostgreSQL alike, built by numbered migrations.

A ledger records the version it was last migrated to (``ledger_meta``); opening it runs the
migrations it lacks, in one transaction, so a ledger written by an older version opens in a newer
one, and one written by a newer version is refused with a sentence (``NewerLedger``). A SQLite file
is also marked with an application id, so that a file of another program is never taken for one.

The tables (money in whole nano-dollars, ``_nano``: sums are exact integers; days are UTC):

- ``spend``: what a source says was spent on one completed UTC day (or so far today), by whatever it
  breaks the spend down by. Natural key: (source, breakdown, day, key_id, model, provider,
  endpoint, workspace); ``''`` where a source does not tell. ``key_id`` is the source's own name for
  the key (a hash for key snapshots, a label for analytics), ``key_hash`` the hash it is resolved to
  (``key_match``: hash, resolved, ambiguous or unmatched).
- ``coverage``: which days each (source, breakdown) has answered for, complete or not, with the
  day's totals: a day a source covered without rows spent $0; a day no source covered is a gap.
- ``credits_snapshots``, ``key_snapshots``: ``/credits`` and every key's lifetime usage, at most one
  an hour (the first); ``key_marks``: a key's lifetime usage at 00:00 UTC of a day (its usage minus
  its ``usage_daily`` at any time that day); ``keys``, ``key_names``, ``workspaces``: what was seen.
- ``daily_spend`` (a view): each day's total from the best source that covered it (for Grafana).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._db import Database, Transaction
from ._errors import NewerLedger, NotALedger

__all__ = ["APPLICATION", "SCHEMA_VERSION", "SOURCE_RANK", "migrate"]

APPLICATION = "openrouter-credits ledger"
#: SQLite's application_id of a ledger file ("ORCL").
SQLITE_APPLICATION_ID = 0x4F52434C
#: The rank of each source when several cover a day (lower is preferred): /activity is exact by date;
#: key snapshots are exact by key hash; analytics labels keys by name.
SOURCE_RANK = {"activity": 0, "key-snapshots": 1, "analytics": 2}

_TYPES = {
    "sqlite": {"date": "TEXT", "time": "TEXT", "int": "INTEGER", "norowid": " WITHOUT ROWID"},
    "postgresql": {"date": "DATE", "time": "TIMESTAMPTZ", "int": "BIGINT", "norowid": ""},
}

_V1 = [
    "CREATE TABLE IF NOT EXISTS ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE spend (
        source TEXT NOT NULL, breakdown TEXT NOT NULL, day {date} NOT NULL,
        key_id TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '', provider TEXT NOT NULL DEFAULT '',
        endpoint TEXT NOT NULL DEFAULT '', workspace TEXT NOT NULL DEFAULT '',
        key_hash TEXT NOT NULL DEFAULT '', key_match TEXT NOT NULL DEFAULT '',
        usage_nano {int} NOT NULL, byok_nano {int}, requests {int}, tokens {int},
        complete {int} NOT NULL, fetched_at {time} NOT NULL,
        PRIMARY KEY (source, breakdown, day, key_id, model, provider, endpoint, workspace)
    ){norowid}""",
    """CREATE TABLE coverage (
        source TEXT NOT NULL, breakdown TEXT NOT NULL, day {date} NOT NULL, complete {int} NOT NULL,
        row_count {int} NOT NULL, usage_nano {int} NOT NULL, byok_nano {int}, requests {int},
        fetched_at {time} NOT NULL,
        PRIMARY KEY (source, breakdown, day)
    )""",
    "CREATE INDEX coverage_day ON coverage (day)",
    """CREATE TABLE credits_snapshots (
        hour TEXT PRIMARY KEY, taken_at {time} NOT NULL,
        total_credits_nano {int} NOT NULL, total_usage_nano {int} NOT NULL
    )""",
    """CREATE TABLE key_snapshots (
        key_hash TEXT NOT NULL, hour TEXT NOT NULL, taken_at {time} NOT NULL, name TEXT NOT NULL,
        workspace_id TEXT NOT NULL DEFAULT '', usage_nano {int} NOT NULL, usage_daily_nano {int} NOT NULL,
        byok_nano {int}, byok_daily_nano {int}, disabled {int} NOT NULL,
        PRIMARY KEY (key_hash, hour)
    ){norowid}""",
    """CREATE TABLE key_marks (
        key_hash TEXT NOT NULL, day {date} NOT NULL, usage_nano {int} NOT NULL, byok_nano {int},
        taken_at {time} NOT NULL,
        PRIMARY KEY (key_hash, day)
    ){norowid}""",
    """CREATE TABLE keys (
        key_hash TEXT PRIMARY KEY, name TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
        workspace_id TEXT NOT NULL DEFAULT '', created_day {date}, disabled {int} NOT NULL DEFAULT 0,
        first_seen {time} NOT NULL, last_seen {time} NOT NULL
    )""",
    """CREATE TABLE key_names (
        key_hash TEXT NOT NULL, name TEXT NOT NULL, first_seen {time} NOT NULL, last_seen {time} NOT NULL,
        PRIMARY KEY (key_hash, name)
    )""",
    "CREATE INDEX key_names_name ON key_names (name)",
]

_V2 = [
    """CREATE TABLE workspaces (
        workspace_id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', first_seen {time} NOT NULL,
        last_seen {time} NOT NULL
    )""",
    """CREATE VIEW daily_spend AS
    WITH ranked AS (
        SELECT c.*, ROW_NUMBER() OVER (
            PARTITION BY c.day
            ORDER BY c.complete DESC,
                CASE c.source WHEN 'activity' THEN 0 WHEN 'key-snapshots' THEN 1 ELSE 2 END, c.breakdown
        ) AS pick
        FROM coverage c
    )
    SELECT day, source, breakdown, complete, usage_nano, byok_nano, requests FROM ranked WHERE pick = 1""",
]

#: The migrations, in order: version N is reached by running MIGRATIONS[N - 1].
MIGRATIONS: Sequence[Sequence[str]] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def _tables(tx: Transaction, dialect: str) -> set[str]:
    if dialect == "sqlite":
        rows = tx.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    else:
        rows = tx.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    return {str(row[0]) for row in rows}


def _version(tx: Transaction, db: Database) -> int | None:
    """The ledger's schema version; None for an empty database. Raises NotALedger for another's."""
    shown = db.location.shown
    if db.dialect == "sqlite":
        (app_id,) = tx.query("PRAGMA application_id")[0]
        tables = _tables(tx, "sqlite")
        if app_id not in (0, SQLITE_APPLICATION_ID) or (tables and "ledger_meta" not in tables):
            raise NotALedger(
                f"{shown} is a SQLite file of another program, not a ledger: name another file with --ledger."
            )
    elif "ledger_meta" not in _tables(tx, db.dialect):
        return None
    if "ledger_meta" not in _tables(tx, db.dialect):
        return None
    meta = dict(tx.query("SELECT name, value FROM ledger_meta"))
    if meta.get("application") != APPLICATION or not str(meta.get("schema_version", "")).isdigit():
        raise NotALedger(f"{shown} holds a ledger_meta table of another program: name another ledger with --ledger.")
    return int(meta["schema_version"])


def migrate(db: Database, *, upto: int = SCHEMA_VERSION) -> int:
    """Bring the ledger to schema version ``upto`` (the current one), in one transaction; the version
    it had. Raises NewerLedger for a ledger newer than this version knows."""
    with db.read("open the ledger") as tx:
        found = _version(tx, db)
    if found is not None and found >= upto:
        if found > SCHEMA_VERSION:
            raise NewerLedger(
                f"The ledger at {db.location.shown} was written by a newer version of openrouter-credits (schema "
                f"{found}; this one knows up to {SCHEMA_VERSION}): upgrade openrouter-credits to use it."
            )
        return found
    types = _TYPES[db.dialect]
    with db.write("set up the ledger") as tx:
        found = _version(tx, db)  # again, inside the write lock: another process may have done it
        start = found or 0
        for version in range(start + 1, upto + 1):
            for statement in MIGRATIONS[version - 1]:
                tx.execute(statement.format(**types))
        if found is None:
            if db.dialect == "sqlite":
                tx.execute(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
            tx.execute("INSERT INTO ledger_meta (name, value) VALUES ('application', ?)", (APPLICATION,))
            tx.execute("INSERT INTO ledger_meta (name, value) VALUES ('schema_version', ?)", (str(upto),))
        elif upto > start:
            tx.execute("UPDATE ledger_meta SET value = ? WHERE name = 'schema_version'", (str(upto),))
    return start
