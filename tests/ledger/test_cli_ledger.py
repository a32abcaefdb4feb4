"""sync, report and history through the command (in-process main(argv)): totals equal the sum of
their rows, FOCUS columns, gaps never $0, and each fault of the ledger a sentence and its exit
status (the forecast from the ledger's history: test_ledger_forecast.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_mock import NOW
from postgres import LOCKED_ROLE

from helpers import Clock
from openrouter_credits.cli._main import main
from openrouter_credits.testing import MockServer


@pytest.fixture
def env(server: MockServer, clock: Clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    clock.now = NOW
    server.app.reset()
    server.app.set_activity([
        {"date": "2026-11-20", "usage": 1.25, "model": "openai/gpt-4.1"},
        {"date": "2026-11-20", "usage": 0.1, "model": "anthropic/claude-sonnet-4"},
        {"date": "2026-11-23", "usage": 2.0, "model": "openai/gpt-4.1"},
    ])  # fmt: skip
    server.app.set_keys([{"name": "ci", "hash": "a" * 64, "usage": 10.0, "usage_daily": 1.0}])
    monkeypatch.setenv("OPENROUTER_API_KEY", server.app.provisioning_key)
    monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url)
    return tmp_path / "ledger.sqlite3"


# The command's syncs leave analytics out (--no-analytics): its backfill is paced at 64 queries a minute
# in real time, a few seconds a sync; test_ledger.py runs it against the mock in virtual time.


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv, clock=lambda: NOW)
    out, err = capsys.readouterr()
    return status, out, err


def test_report_totals_are_the_sum_of_their_rows(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json and --csv of a month by model: the total is the exact sum of the lines."""
    assert run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys) == (0, "", "")
    status, out, _ = run(["report", "--ledger", str(env), "--month", "2026-11", "--by", "model", "--json"], capsys)
    assert status == 0
    found = json.loads(out)
    assert [(r["model"], r["usage"]) for r in found["rows"]] == [
        ("openai/gpt-4.1", 3.25), ("(not broken down)", 1.0), ("anthropic/claude-sonnet-4", 0.1),
    ]  # fmt: skip
    assert found["total"] == 4.35
    assert found["gaps"] == []
    status, out, _ = run(["report", "--ledger", str(env), "--month", "2026-11", "--by", "model", "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(Decimal(r["usage"]) for r in rows) == Decimal("4.35")  # no total row: the column sums
    assert {r["gap"] for r in rows} == {""}


def test_focus_export(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format focus: FOCUS's columns, a row per day and model, costs summing to the period's."""
    run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys)
    status, out, _ = run(["report", "--ledger", str(env), "--from", "2026-11-20", "--to", "2026-11-23",
                          "--by", "model", "--format", "focus"], capsys)  # fmt: skip
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"BilledCost", "EffectiveCost", "ChargePeriodStart", "ServiceName", "SubAccountId", "ResourceId"} <= set(
        rows[0]
    )
    assert [(r["ChargePeriodStart"], r["ServiceName"], r["BilledCost"]) for r in rows] == [
        ("2026-11-20T00:00:00Z", "openai/gpt-4.1", "1.25"),
        ("2026-11-20T00:00:00Z", "anthropic/claude-sonnet-4", "0.10"),
        ("2026-11-23T00:00:00Z", "openai/gpt-4.1", "2.00"),
    ]
    assert {r["BillingCurrency"] for r in rows} == {"USD"}


def test_a_period_not_in_the_ledger_is_no_data(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A period none of whose days is in the ledger: "no data", a null total with every day a gap, a
    CSV of gap rows; never $0."""
    run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys)
    report = ["report", "--ledger", str(env), "--month", "2020-01"]
    assert run(report, capsys) == (
        0, "2020-01-01 to 2020-01-31: no data: none of its 31 days is in the ledger (unknown, not $0)\n", ""
    )  # fmt: skip
    status, out, _ = run([*report, "--by", "key", "--json"], capsys)
    found = json.loads(out)
    assert (status, found["rows"], found["total"], len(found["gaps"])) == (0, [], None, 31)
    status, out, _ = run([*report, "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["usage"], r["gap"]) for r in rows] == [("", f"2020-01-{day:02}") for day in range(1, 32)]


@pytest.mark.parametrize(
    ("period", "says"),
    [
        (["--month", "2099-01"],
         "error: --month 2099-01 has not begun (today is 2026-11-24): give a month up to 2026-11."),
        (["--from", "2099-01-01"], "error: --from 2099-01-01 is after today (2026-11-24): give a day up to today."),
        (["--from", "2026-11-20", "--to", "2026-11-19"],
         "error: --to 2026-11-19 is before --from 2026-11-20: give the earlier day to --from."),
    ],
)  # fmt: skip
def test_a_period_after_today_is_a_usage_error(
    env: Path, capsys: pytest.CaptureFixture[str], period: list[str], says: str
) -> None:
    """A period that starts after today, or ends before it starts: exit 2, naming the option."""
    assert run(["report", "--ledger", str(env), *period], capsys) == (2, "", says + "\n")


def test_a_to_after_today_ends_the_report_today(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--to after today: the period is cut to today, and stderr says so."""
    run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys)
    status, out, err = run(
        ["report", "--ledger", str(env), "--from", "2026-11-20", "--to", "2027-01-31", "--json"], capsys
    )
    assert (status, json.loads(out)["to"]) == (0, "2026-11-24")
    assert err == "note: --to 2027-01-31 is after today: the report ends today, 2026-11-24 (so far).\n"


def test_csv_and_focus_say_the_gaps(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A period with days not in the ledger: the CSV's gap rows (a date in gap, amounts empty) are the
    JSON's gaps, after the data rows; FOCUS (which has no row for unknown) says them on stderr."""
    run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys)
    period = ["report", "--ledger", str(env), "--from", "2026-10-20", "--to", "2026-11-23", "--by", "model"]
    gaps = json.loads(run([*period, "--json"], capsys)[1])["gaps"]
    assert gaps == ["2026-10-20", "2026-10-21", "2026-10-22", "2026-10-23", "2026-10-24"]
    rows = list(csv.DictReader(io.StringIO(run([*period, "--csv"], capsys)[1])))
    assert [r["gap"] for r in rows if r["gap"]] == gaps
    assert {(r["model"], r["usage"], r["byok_usage"], r["requests"]) for r in rows if r["gap"]} == {("", "", "", "")}
    assert sum(Decimal(r["usage"]) for r in rows if not r["gap"]) == Decimal("3.35")
    status, _, err = run([*period, "--format", "focus"], capsys)
    assert (status, err) == (
        0, "note: 5 days not in the ledger (gaps, not $0) have no rows in the export: 2026-10-20, 2026-10-21, "
        "2026-10-22, 2026-10-23, 2026-10-24\n",
    )  # fmt: skip


def test_history_shows_gaps_as_gaps(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the analytics backfill, the days before /activity's 30 are not in the ledger: gaps."""
    run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys)
    status, out, _ = run(["history", "--ledger", str(env), "--days", "32"], capsys)
    lines = out.splitlines()
    assert status == 0
    assert [line.split() for line in lines[:3]] == [
        ["2026-10-23", "gap"],
        ["2026-10-24", "gap"],
        ["2026-10-25", "$0.00"],
    ]
    assert lines[-1] == "Total $3.35 over 30 days, $0.11 a day on average; 2 days not in the ledger (gaps, not $0)"


@pytest.mark.xdist_group("postgresql")  # with the other tests on PostgreSQL (conftest)
def test_ledger_faults_exit_with_their_status(env: Path, capsys: pytest.CaptureFixture[str], pg_server: str) -> None:
    """No ledger yet: 8; not a ledger: 7; PostgreSQL down: 8; PostgreSQL refusing the login: 7; a
    password on the command line: 2. Each one sentence, never a password."""
    status, _, err = run(["report", "--ledger", str(env)], capsys)
    assert (status, err) == (8, f"error: There is no ledger at {env} yet: run openrouter-credits sync first (or name "
                                "another with --ledger).\n")  # fmt: skip
    env.write_text("x" * 4096)
    status, _, err = run(["sync", "--ledger", str(env)], capsys)
    assert status == 7
    assert err.startswith(f"error: {env} is not a ledger (SQLite says: file is not a database)")
    status, _, err = run(["report", "--ledger", "postgresql://postgres@127.0.0.1:1/ledger"], capsys)
    assert status == 8
    assert err.startswith("error: Cannot connect to the ledger at postgresql://postgres@127.0.0.1:1/ledger")
    port = pg_server.split(":")[2].split("/")[0]
    os.environ["PGPASSWORD"] = "wrong-password"
    try:
        status, _, err = run(["report", "--ledger", f"postgresql://{LOCKED_ROLE}@127.0.0.1:{port}/postgres"], capsys)
    finally:
        del os.environ["PGPASSWORD"]
    assert status == 7
    assert "refused to connect to the ledger" in err
    assert "password authentication failed" in err
    assert "wrong-password" not in err
    status, _, err = run(["report", "--ledger", "postgresql://u:hunter2@127.0.0.1/db"], capsys)
    assert status == 2
    assert "hunter2" not in err
    assert "holds a password" in err


def modes_bind(command: list[str]) -> list[str]:
    """``command`` run so that file modes bind. Root ignores them (CAP_DAC_OVERRIDE): as root, the
    command runs without that capability (util-linux's setpriv drops it from the bounding set, so
    the root process that execs has none of it), still as root, so it reads its own interpreter
    (running as nobody cannot: the interpreter may live under /root)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("as root, file modes bind only without CAP_DAC_OVERRIDE, which needs setpriv (util-linux)")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]


#: The command's runs in one process where file modes bind (``modes_bind``): sync and report on the
#: read-only ledger, then report once its folder is read-only too. Prints [[status, out, err], ...].
READ_ONLY_RUNS = """
import contextlib, io, json, sys
from pathlib import Path
from openrouter_credits.cli._main import main

ledger, period = Path(sys.argv[1]), sys.argv[2:]
results = []
for argv in (["sync", "--quiet"], ["report", *period], None, ["report"]):
    if argv is None:  # the folder read-only too, without the reader's files SQLite left beside it
        for extra in ledger.parent.glob(ledger.name + "-*"):
            extra.unlink()
        ledger.parent.chmod(0o555)
        continue
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*argv, "--ledger", str(ledger)])
    results.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="file modes and capabilities as Linux has them")
def test_a_read_only_ledger(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A ledger file that cannot be written: sync exits 8 with a sentence and writes nothing; report
    reads it as before. In a folder that cannot be written either, SQLite cannot keep the reader's
    shared memory beside it: report exits 8, saying so."""
    run(["sync", "--ledger", str(env), "--quiet"], capsys)
    period = ["--from", "2026-11-01", "--to", "2026-11-23", "--by", "model"]  # the same on any day
    _, before, _ = run(["report", "--ledger", str(env), *period], capsys)
    env.chmod(0o444)
    content = env.read_bytes()
    try:
        ran = subprocess.run(
            modes_bind([sys.executable, "-c", READ_ONLY_RUNS, str(env), *period]),
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    finally:
        env.parent.chmod(0o755)
        env.chmod(0o644)
    sync, report, shut = json.loads(ran.stdout)
    assert sync == [
        8, "", f"error: Cannot record /credits in the ledger at {env}: it is read-only (attempt to write a readonly "
        "database). Check the file's and its folder's permissions; nothing was written.\n",
    ]  # fmt: skip
    assert env.read_bytes() == content
    assert report == [0, before, ""]
    assert shut[0] == 8
    assert shut[2].startswith(f"error: Cannot open the ledger at {env}: it is read-only")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE as a full disk")
def test_a_full_disk_leaves_the_ledger_consistent(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A sync that cannot grow the file (a full disk) exits 8 with a sentence, and the ledger it
    leaves opens and holds whole days only."""
    run(["sync", "--ledger", str(env), "--quiet", "--no-analytics"], capsys)
    size = env.stat().st_size
    code = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({size + 2048}, {size + 2048})); "
        "from openrouter_credits.cli._main import console; sys.argv = ['openrouter-credits', *sys.argv[1:]]; console()"
    )
    tomorrow = {"OPENROUTER_CREDITS_LEDGER": str(env), "OPENROUTER_BASE_URL": os.environ["OPENROUTER_BASE_URL"]}
    result = subprocess.run(
        [sys.executable, "-c", code, "sync", "--quiet", "--no-analytics"], capture_output=True, text=True, timeout=60,
        env={**os.environ, **tomorrow},
    )  # fmt: skip
    assert result.returncode in (0, 8), result.stderr
    if result.returncode == 8:
        assert result.stderr.startswith("error: Cannot record")
        assert "Free some space" in result.stderr
    import sqlite3

    with sqlite3.connect(env) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        uneven = conn.execute(
            "SELECT c.source, c.day FROM coverage c JOIN series se ON se.source = c.source AND se.breakdown = "
            "c.breakdown WHERE c.row_count != (SELECT COUNT(*) FROM spend_facts s WHERE s.series_id = se.series_id "
            "AND s.day = c.day) OR c.usage_nano != (SELECT COALESCE(SUM(usage_nano), 0) FROM spend_facts s WHERE "
            "s.series_id = se.series_id AND s.day = c.day)"
        ).fetchall()
    conn.close()
    assert uneven == []  # every day whole: its rows and its totals written together or not at all
