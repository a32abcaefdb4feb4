"""report --by team from the ledger (SQLite; the team rule is the ledger's dialect-free Python): the
ledger's keys grouped by the [teams.NAME] of --config, a key known by name only matched by name (its
team unknown where a workspace would decide), totals exact; FOCUS's Tags column with teams."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_mock import sync_ledger

from openrouter_credits.cli._main import main
from openrouter_credits.ledger import Location
from openrouter_credits.testing import MockOpenRouter, MockServer

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
TEAMS = """\
[teams.platform]
keys = ["ci-*", "deploy-*"]
workspaces = ["Production"]

[teams.research]
workspaces = ["Research"]
"""
#: November by team: the deleted key's spend, known by its name alone, is unknown (a workspace decides
#: the teams' keys, and a name does not tell one).
BY_TEAM = """\
Team        Spend  Share
platform    $0.63  33.2%
unassigned  $0.62  32.6%
research    $0.59  31.1%
(unknown)   $0.06   3.2%
Total $1.90 from 2026-11-01 to 2026-11-30
"""


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockServer, Path, Path]]:
    """A ledger filled from the default mock's year (its keys in two workspaces), once for the module."""
    app = MockOpenRouter(clock=lambda: NOW, analytics_rate_limit=None)
    folder = tmp_path_factory.mktemp("teams")
    with MockServer(app) as mock:
        app.set_keys([
            {"name": "web", "hash": "1" * 64, "usage": 4.0, "usage_monthly": 4.0},
            {"name": "ci-build", "hash": "2" * 64, "usage": 1.0, "usage_monthly": 1.0},
        ])  # fmt: skip
        app.add_workspace("Research", keys=1, workspace_id="00000000-0000-4000-8000-0000000000aa")
        sync_ledger(mock, Location(path=folder / "ledger.sqlite3"), NOW)
        config = folder / "teams.toml"
        config.write_text(TEAMS)
        yield mock, folder / "ledger.sqlite3", config


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args), clock=lambda: NOW)
    out, err = capsys.readouterr()
    return status, out, err


def test_report_by_team(synced: tuple[MockServer, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A month by team: the keys' spend under their teams (the deleted key, known to analytics by its
    name alone, is unknown: a workspace decides the teams' keys); by team and model; CSV totals the
    exact sum of the lines; without teams, exit 2."""
    _, ledger, config = synced
    base = ("report", "--ledger", str(ledger), "--config", str(config), "--month", "2026-11")
    assert run(capsys, *base, "--by", "team") == (0, BY_TEAM, "")
    status, out, _ = run(capsys, *base, "--by", "team,model")
    assert status == 0
    assert out.splitlines()[1].split() == ["unassigned", "openai/gpt-4.1", "$0.40", "21.1%"]
    status, out, _ = run(capsys, *base, "--by", "team", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["team"] for row in rows] == ["platform", "unassigned", "research", "(unknown)"]
    assert sum(Decimal(row["usage"]) for row in rows) == Decimal("1.90")  # no total row: the column sums
    status, out, err = run(capsys, "report", "--ledger", str(ledger), "--month", "2026-11", "--by", "team")
    assert (status, out) == (2, "")
    assert err.startswith("error: --by team needs teams: add [teams.NAME] tables")


def test_focus_tags(synced: tuple[MockServer, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--format focus with teams: FOCUS's Tags column, {"team": ...} as JSON, empty where the team
    cannot be told; without teams, no Tags column."""
    _, ledger, config = synced
    args = ("report", "--ledger", str(ledger), "--from", "2026-11-03", "--to", "2026-11-20", "--format", "focus")
    status, out, _ = run(capsys, *args, "--config", str(config))
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    tags = {(row["ResourceName"], row["Tags"]) for row in rows}
    assert ("ci-build", '{"team": "platform"}') in tags
    assert ("research-000", '{"team": "research"}') in tags
    assert ("web", '{"team": "unassigned"}') in tags
    assert ("retired (no key of this name seen)", "") in tags  # its team cannot be told
    assert list(rows[0])[-3:] == ["Tags", "x_Source", "x_ByokCost"]
    _, out, _ = run(capsys, *args)
    assert "Tags" not in out.splitlines()[0]
