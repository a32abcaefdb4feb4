"""The one small dialect layer: plain DB-API over the standard library's sqlite3 and, for a PostgreSQL
URL, psycopg 3 (the ``ledger-postgres`` extra). Everything above it writes SQL once, with ``?``
placeholders and ``INSERT ... ON CONFLICT``, which both speak.

- SQLite: WAL, a busy timeout, ``BEGIN IMMEDIATE`` for every write (writers queue; readers never
  wait), so a cron ``sync`` and ``serve`` share one file safely.
- PostgreSQL: every write transaction first takes one transaction-level advisory lock, so two
  exporters and a sync writing at once queue as on SQLite; readers never wait.

Errors become the ledger's own (``_errors``): a sentence, the file or URL (without a password), and
what to do. A write that fails is rolled back whole.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from .._exceptions import ConfigurationError
from ._errors import LedgerRefused, LedgerUnavailable, NotALedger
from ._location import Location

__all__ = ["BUSY_TIMEOUT", "Database", "Transaction", "connect"]

#: Seconds a writer waits for another to finish before giving up (SQLite's busy timeout, and
#: PostgreSQL's lock timeout for the ledger's lock).
BUSY_TIMEOUT = 30.0
#: Seconds to wait for PostgreSQL to answer the connection.
CONNECT_TIMEOUT = 5
#: The advisory lock every PostgreSQL write transaction takes (any fixed number; "ORCL").
_PG_LOCK = 0x4F52434C


class Transaction(Protocol):
    #: What the writes remember across transactions on this connection (the ids of interned
    #: strings): emptied when a transaction rolls back, so that it never holds an id not committed.
    memo: dict[str, Any]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class Database:
    """One connection to the ledger, SQLite or PostgreSQL; ``write()`` and ``read()`` transactions."""

    dialect: str

    def __init__(self, location: Location) -> None:
        self.location = location
        self._conn: Any = None
        self.memo: dict[str, Any] = {}

    # --- what differs ---------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql

    def _failure(self, exc: BaseException, doing: str) -> Exception:  # pragma: no cover - overridden
        raise NotImplementedError

    def _begin_write(self, cursor: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def errors(self) -> tuple[type[BaseException], ...]:  # pragma: no cover - overridden
        raise NotImplementedError

    # --- the same for both ----------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self, doing: str = "write to the ledger") -> Iterator[Transaction]:
        """A write transaction: committed whole at the end, rolled back whole on any error."""
        with self._transaction(doing, write=True) as tx:
            yield tx

    @contextlib.contextmanager
    def read(self, doing: str = "read the ledger") -> Iterator[Transaction]:
        with self._transaction(doing, write=False) as tx:
            yield tx

    @contextlib.contextmanager
    def _transaction(self, doing: str, *, write: bool) -> Iterator[Transaction]:
        cursor = self._conn.cursor()
        try:
            if write:
                self._begin_write(cursor)
            else:
                self._begin_read(cursor)
            yield _Tx(cursor, self._sql, self.memo)
            self._conn.commit()
        except self.errors() as exc:
            self._rollback()
            raise self._failure(exc, doing) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def _begin_read(self, cursor: Any) -> None:
        pass

    def _rollback(self) -> None:
        self.memo.clear()
        with contextlib.suppress(Exception):
            self._conn.rollback()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class _Tx:
    __slots__ = ("_cursor", "_sql", "memo")

    def __init__(self, cursor: Any, sql: Any, memo: dict[str, Any]) -> None:
        self._cursor = cursor
        self._sql = sql
        self.memo = memo

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), params)
        return list(self._cursor.fetchall())


def _create_private(path: Path) -> None:
    """Create the ledger's file for its owner only (0600: it holds key names and spend per key); SQLite
    gives its -wal and -shm the file's mode. A file someone created meanwhile is left as it is."""
    with contextlib.suppress(OSError):  # one there already is left alone; else sqlite3.connect says what is wrong
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))


class SQLite(Database):
    dialect = "sqlite"

    def __init__(self, location: Location, *, create: bool) -> None:
        super().__init__(location)
        path = location.path
        assert path is not None
        shown = location.shown
        if not path.exists():
            if not create:
                raise LedgerUnavailable(
                    f"There is no ledger at {shown} yet: run openrouter-credits sync first (or name another "
                    "with --ledger)."
                )
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerUnavailable(
                    f"Cannot create the ledger's folder {path.parent}: {exc.strerror or exc}. Check its permissions "
                    "or name another place with --ledger."
                ) from None
            _create_private(path)
        elif not path.is_file():
            raise NotALedger(f"{shown} is not a ledger file (it is a folder or a device): name a file with --ledger.")
        try:
            # isolation_level=None: the transactions are begun here, explicitly (BEGIN IMMEDIATE to write).
            self._conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            mode = _journal_mode_wal(self._conn)
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            self.close()
            raise self._failure(exc, "open the ledger") from None
        self.wal = mode is not None and str(mode[0]).lower() == "wal"

    def errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error, OSError)

    def _begin_write(self, cursor: Any) -> None:
        cursor.execute("BEGIN IMMEDIATE")

    def _begin_read(self, cursor: Any) -> None:
        cursor.execute("BEGIN")

    def _failure(self, exc: BaseException, doing: str) -> Exception:
        shown = self.location.shown
        text = str(exc)
        lowered = text.lower()
        if "file is not a database" in lowered or "malformed" in lowered:
            return NotALedger(
                f"{shown} is not a ledger (SQLite says: {text}): name another file with --ledger, or move this "
                "one away."
            )
        if "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
            return LedgerUnavailable(
                f"Cannot {doing} at {shown}: it is read-only ({text}). Check the file's and its folder's permissions; "
                "nothing was written."
            )
        if "disk is full" in lowered or "disk i/o" in lowered or isinstance(exc, OSError):
            return LedgerUnavailable(
                f"Cannot {doing} at {shown}: {text}. Free some space on its disk; nothing was half-written, and the "
                "next sync fills in what is missing."
            )
        if "locked" in lowered or "busy" in lowered:
            return LedgerUnavailable(
                f"Cannot {doing} at {shown}: another process held it for more than {BUSY_TIMEOUT:g} s. Try again."
            )
        return LedgerUnavailable(f"Cannot {doing} at {shown}: {text}.")


#: How long a connection waits between tries to put a new ledger in WAL mode while another does.
_WAL_RETRY = 0.01


def _journal_mode_wal(conn: sqlite3.Connection) -> Any:
    """Put the file in WAL mode (a no-op once it is). Several processes opening a new ledger at once
    race to do it, and SQLite answers the losers "database is locked" at once, without its busy
    timeout: they try again, within the same timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            return conn.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(_WAL_RETRY)


class PostgreSQL(Database):
    dialect = "postgresql"

    def __init__(self, location: Location) -> None:
        super().__init__(location)
        try:
            import psycopg
        except ImportError:
            raise ConfigurationError(
                f"{location.origin} names a PostgreSQL ledger, which needs psycopg: "
                "pip install 'openrouter-credits[ledger-postgres]'."
            ) from None
        self._psycopg = psycopg
        try:
            self._conn = psycopg.connect(
                location.url or "",
                connect_timeout=CONNECT_TIMEOUT,
                autocommit=False,
                application_name="openrouter-credits",
            )
        except psycopg.Error as exc:
            raise self._failure(exc, "connect to the ledger") from None

    def errors(self) -> tuple[type[BaseException], ...]:
        return (self._psycopg.Error,)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _begin_write(self, cursor: Any) -> None:
        cursor.execute(f"SET LOCAL lock_timeout = '{int(BUSY_TIMEOUT)}s'")
        cursor.execute(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")

    def _failure(self, exc: BaseException, doing: str) -> Exception:
        shown = self.location.shown
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        url = self.location.url or ""
        if ":" in url and "@" in url:  # never a password, even quoted back by libpq
            from urllib.parse import urlsplit

            secret = urlsplit(url).password
            if secret:
                first = first.replace(secret, "***")
        lowered = first.lower()
        refused = ("authentication failed", "no pg_hba.conf entry", "does not exist", "permission denied")
        if any(word in lowered for word in refused):
            return LedgerRefused(
                f"PostgreSQL at {shown} refused to {doing}: {first}. Check the user, the database and the password "
                "(PGPASSWORD or ~/.pgpass)."
            )
        if isinstance(exc, self._psycopg.OperationalError) and doing == "connect to the ledger":
            return LedgerUnavailable(
                f"Cannot connect to the ledger at {shown}: {first}. Is PostgreSQL running and reachable? Nothing was "
                "written; the next sync fills in what is missing."
            )
        return LedgerUnavailable(f"Cannot {doing} at {shown}: {first}. Nothing was half-written.")


def connect(location: Location, *, create: bool = True) -> Database:
    """A connection to the ledger at ``location`` (SQLite: created when ``create``)."""
    if location.is_postgresql:
        return PostgreSQL(location)
    return SQLite(location, create=create)
