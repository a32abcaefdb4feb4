"""``Ledger``: an open ledger (SQLite or PostgreSQL, migrated to this version's schema) and the
writes each source makes, each in a transaction of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._db import Database, connect
from ._location import Location
from ._schema import migrate
from ._store import Day, KeyFigures, key_figures, record_credits, record_days, record_keys, record_workspaces

__all__ = ["Ledger", "open_ledger"]


class Ledger:
    """The ledger at ``location``; ``close()`` when done (or use it as a context manager)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.location = db.location

    @property
    def dialect(self) -> str:
        return self.db.dialect

    # --- writes, one transaction each ------------------------------------------------------------

    def record_credits(self, total_credits: float, total_usage: float, taken_at: dt.datetime) -> None:
        with self.db.write("record /credits in the ledger") as tx:
            record_credits(tx, total_credits, total_usage, taken_at)

    def record_keys(self, keys: Iterable[Any], taken_at: dt.datetime) -> int:
        """A whole listing (``ApiKey``s, or ``KeyFigures``); the key-day rows written."""
        figures = [key if isinstance(key, KeyFigures) else key_figures(key) for key in keys]
        with self.db.write("record the keys in the ledger") as tx:
            return record_keys(tx, figures, taken_at)

    def record_workspaces(self, workspaces: Mapping[str, str], seen_at: dt.datetime) -> None:
        with self.db.write("record the workspaces in the ledger") as tx:
            record_workspaces(tx, workspaces, seen_at)

    def record_days(self, source: str, breakdown: str, days: Sequence[Day], fetched_at: dt.datetime) -> int:
        with self.db.write(f"record {source} in the ledger") as tx:
            return record_days(tx, source, breakdown, days, fetched_at)

    def write(self, doing: str) -> Any:
        return self.db.write(doing)

    # --- reads -----------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.db.read() as tx:
            return tx.query(sql, params)

    def read(self) -> Any:
        return self.db.read()

    def covered(self, source: str, breakdown: str, start: dt.date, end: dt.date) -> dict[dt.date, bool]:
        """The days from ``start`` to ``end`` that (source, breakdown) covered, and whether complete."""
        rows = self.query(
            "SELECT day, complete FROM coverage WHERE source = ? AND breakdown = ? AND day BETWEEN ? AND ?",
            (source, breakdown, start.isoformat(), end.isoformat()),
        )
        return {as_date(day): bool(complete) for day, complete in rows}

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_date(value: Any) -> dt.date:
    """A day as SQLite (text) or PostgreSQL (a date) returns it."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def open_ledger(location: Location, *, create: bool = True) -> Ledger:
    """The ledger at ``location``, migrated to this version's schema (created when ``create``)."""
    db = connect(location, create=create)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return Ledger(db)
