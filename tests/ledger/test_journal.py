"""The journal of changes to keys: in the ledger's key_changes table (schema 3, migrated from 2; SQLite
and the real PostgreSQL), and in the state directory's journal.jsonl (appended whole, bounded, rotated,
a cut line skipped, a planted link refused)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from openrouter_credits._apps.journal import FileJournal, JournalEntry, JournalError, LedgerJournal
from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._db import connect
from openrouter_credits.ledger._schema import migrate

AT = dt.datetime(2026, 11, 25, 9, 0, 12, 345, tzinfo=dt.UTC)


def entry(n: int = 0, **fields: object) -> JournalEntry:
    values: dict[str, object] = {
        "at": AT + dt.timedelta(seconds=n),
        "actor": "runaway-ci",
        "key_hash": f"{n:064x}",
        "key_name": f"ci-{n}",
        "action": "disable",
        "outcome": "done",
        "before": {"disabled": False},
        "after": {"disabled": True},
        "reason": "$14.20 spent today by 09:00 UTC, 7.1\u00d7 its pace",
        "account": "account",
        **fields,
    }
    return JournalEntry(**values)  # type: ignore[arg-type]


def test_ledger_journal_round_trip_after_a_migration(location: Location) -> None:
    """A ledger at schema 3 gains key_changes when opened; entries (each outcome, unknown too) come back
    as written, in order."""
    db = connect(location)
    migrate(db, upto=3)
    db.close()
    with open_ledger(location) as ledger:
        journal = LedgerJournal(ledger)
        journal.check()
        written = [entry(n) for n in range(3)] + [
            entry(3, outcome="dry_run", after={"limit": 9.5}),
            entry(4, outcome="unknown", reason="The change may have been made (...): interrupted (Ctrl-C)."),
        ]
        for one in written:
            journal.append(one)
        assert journal.entries() == written
        assert journal.entries(last=2) == written[-2:]
        assert written[0].at == AT.replace(microsecond=0)


def test_file_journal_round_trip_rotation_and_bounds(tmp_path: Path) -> None:
    """Entries come back as written; past its size the file rotates (one older file kept); a line cut
    short (a crash mid-write) or not an entry is skipped and counted."""
    journal = FileJournal(tmp_path / "state", max_bytes=2000)
    written = [entry(n) for n in range(20)]
    for one in written:
        journal.append(one)
    assert (tmp_path / "state" / "journal.jsonl.1").exists()
    found = journal.entries()
    assert found == written[-len(found) :]
    assert 6 <= len(found) < 20
    with open(tmp_path / "state" / "journal.jsonl", "ab") as handle:
        handle.write(b'{"at": "2026-11-25T09:00:00Z", "actor": "cut sho')
    assert journal.entries(last=1) == [written[-1]]
    assert journal.skipped == 1
    assert oct((tmp_path / "state" / "journal.jsonl").stat().st_mode & 0o777) == "0o600"


def test_file_journal_refuses_a_planted_link(tmp_path: Path) -> None:
    """A symbolic link at the journal's name is never followed: writing and reading are refused."""
    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_text("")
    os.symlink(target, folder / "journal.jsonl")
    journal = FileJournal(folder)
    with pytest.raises(JournalError, match="is a symbolic link, not the journal: remove it"):
        journal.append(entry())
    with pytest.raises(JournalError, match="is a symbolic link"):
        journal.check()
    assert target.read_text() == ""
