"""What sync says it wrote, for every count; the ledger file it creates is its owner's only (0600, and
its -wal and -shm), one the user made is left as it is; a sync whose every source failed leaves no
new ledger file behind."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from ledger_mock import NOW

from openrouter_credits.cli._main import main
from openrouter_credits.cli.ledger import sync_summary
from openrouter_credits.ledger import open_ledger, resolve
from openrouter_credits.testing import MockServer


@pytest.mark.parametrize(
    ("written", "queries", "said"),
    [
        ({}, 0, "wrote no new rows"),
        ({"activity": 0, "key-snapshots": 0}, 0, "wrote no new rows"),
        ({"activity": 1}, 0, "wrote 1 activity row"),
        ({"activity": 2, "analytics": 0}, 1, "wrote 2 activity rows; 1 analytics query"),
        ({"key-snapshots": 12, "activity": 4, "analytics": 10}, 4,
         "wrote 26 rows (4 activity, 10 analytics, 12 key-snapshots); 4 analytics queries"),
        ({"activity": 1234, "analytics": 1}, 0, "wrote 1,235 rows (1,234 activity, 1 analytics)"),
        ({}, 2, "wrote no new rows; 2 analytics queries"),
    ],
)  # fmt: skip
def test_the_summary_reads_right_for_every_count(written: dict[str, int], queries: int, said: str) -> None:
    """No rows, one, several sources, thousands, queries: one sentence that agrees with its counts."""
    assert sync_summary(written, queries) == said


def test_every_source_failed_leaves_no_ledger(
    account: MockServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An ordinary key: each source's error, exit 3, `wrote no new rows`, and neither the ledger nor
    its folder created."""
    ledger = tmp_path / "new" / "ledger.sqlite3"
    monkeypatch.setenv("OPENROUTER_API_KEY", account.app.inference_key)
    status = main(["sync", "--ledger", str(ledger), "--base-url", account.base_url], clock=lambda: NOW)
    out, err = capsys.readouterr()
    assert (status, out) == (3, f"sync: {ledger}: wrote no new rows\n")
    assert err.startswith("error: /credits: This key may not read the credits balance (HTTP 403")
    assert not (tmp_path / "new").exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_ledger_is_its_owners_only(tmp_path: Path) -> None:
    """The file the ledger creates, its -wal and -shm are 0600 and its new folder 0700, whatever the
    umask; a file the user created keeps its mode."""
    made = tmp_path / "made" / "ledger.sqlite3"
    old = os.umask(0o022)
    try:
        with open_ledger(resolve(str(made))) as ledger:
            ledger.record_credits(25.0, 7.5, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
            files = {path.name: mode(path) for path in made.parent.iterdir()}
        theirs = tmp_path / "theirs.sqlite3"
        theirs.touch(mode=0o644)
        with open_ledger(resolve(str(theirs))) as ledger:
            ledger.record_credits(25.0, 7.5, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    finally:
        os.umask(old)
    assert files == {"ledger.sqlite3": 0o600, "ledger.sqlite3-wal": 0o600, "ledger.sqlite3-shm": 0o600}
    assert (mode(made.parent), mode(theirs)) == (0o700, 0o644)
