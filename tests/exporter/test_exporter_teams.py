"""Teams in the exporter, in virtual time against the live mock: a discovering key's listed keys carry
their team, each team's spend is exported per window; a key two teams claim leaves those teams' spend
absent (unknown, never a guess) and is logged once; a reload's teams apply at once; the page shows the
spend per team."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from exporting import MANAGEMENT, MakeExporter, families, polled, samples

from openrouter_credits._apps.config_file import KeySpec, load_config
from openrouter_credits._apps.teams import Team, Teams
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.exporter._reload import Reloader
from openrouter_credits.testing import MockServer

KEYS: list[dict[str, Any]] = [
    {"name": "ci-a", "hash": "a" * 64, "usage": 5.0, "usage_daily": 1.0, "usage_weekly": 2.0, "usage_monthly": 3.0},
    {"name": "ci-b", "hash": "b" * 64, "usage": 5.0, "usage_daily": 0.5, "usage_weekly": 0.5, "usage_monthly": 0.5},
    {"name": "web", "hash": "c" * 64, "usage": 9.0, "usage_daily": 0.25, "usage_weekly": 1.0, "usage_monthly": 4.0},
]
TEAMS = Teams((Team("platform", keys=("ci-*",)), Team("research", workspaces=("Research",))), "keys.toml")
SPEND = "openrouter_credits_team_spend_dollars"


def team_spend(found: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(dict(labels)["team"], dict(labels)["window"]): value for labels, value in samples(found, SPEND).items()}


def test_team_labels_and_spend(mock: MockServer, exporter: MakeExporter, caplog: pytest.LogCaptureFixture) -> None:
    """Each listed key's team label; each team's spend today, this week, this month (every team, $0 when
    it has no key; unassigned: the keys no team claims); the page's table; a workspace no workspace
    has logged once."""
    mock.app.set_keys(KEYS)

    async def scenario() -> tuple[dict[str, Any], str]:
        watcher = exporter(KeySpec("acct", MANAGEMENT, discover=True), teams=TEAMS)
        await watcher.poll("acct")
        await watcher.poll("acct")
        await watcher.aclose()
        return families(watcher), watcher.page().decode()

    with caplog.at_level(logging.WARNING, logger=EXPORTER_LOGGER):
        found, page = asyncio.run(scenario())
    usage = samples(found, "openrouter_credits_account_key_usage_dollars")
    assert {dict(labels)["key_name"]: dict(labels)["team"] for labels in usage} == {
        "ci-a": "platform", "ci-b": "platform", "web": "unassigned",
    }  # fmt: skip
    assert team_spend(found) == {
        ("platform", "day"): 1.5, ("platform", "week"): 2.5, ("platform", "month"): 3.5,
        ("research", "day"): 0.0, ("research", "week"): 0.0, ("research", "month"): 0.0,
        ("unassigned", "day"): 0.25, ("unassigned", "week"): 1.0, ("unassigned", "month"): 4.0,
    }  # fmt: skip
    assert '<section id="teams"><h2>Spend per team</h2>' in page
    assert "<td class=n>$3.50</td>" in page
    warned = [r.getMessage() for r in caplog.records if "Research" in r.getMessage()]
    assert warned == [
        "Key acct: --config keys.toml: [teams.research]: workspaces names 'Research', which no workspace of the "
        "account has (by name or id): it claims no key until one does."
    ]


def test_two_teams_on_one_key(mock: MockServer, exporter: MakeExporter, caplog: pytest.LogCaptureFixture) -> None:
    """A key two teams claim: no team label on it, no spend for either team (unknown), the other teams as
    ever, logged once and said on the page; a reload with teams that agree exports them all again."""
    mock.app.set_keys(KEYS)
    clashing = Teams((*TEAMS.teams, Team("web", keys=("web", "ci-b"))), "keys.toml")

    async def scenario() -> tuple[dict[str, Any], str, dict[str, Any]]:
        watcher = exporter(KeySpec("acct", MANAGEMENT, discover=True), teams=clashing)
        await watcher.poll("acct")
        await watcher.poll("acct")
        before, page = families(watcher), watcher.page().decode()
        watcher.set_teams(TEAMS)
        watcher.render()
        after = families(watcher)
        await watcher.aclose()
        return before, page, after

    with caplog.at_level(logging.WARNING, logger=EXPORTER_LOGGER):
        before, page, after = asyncio.run(scenario())
    usage = samples(before, "openrouter_credits_account_key_usage_dollars")
    assert {dict(labels)["key_name"]: dict(labels).get("team") for labels in usage} == {
        "ci-a": "platform", "ci-b": None, "web": "web",
    }  # fmt: skip
    assert {team for team, _ in team_spend(before)} == {"research", "unassigned"}
    conflict = [r.getMessage() for r in caplog.records if "both claim" in r.getMessage()]
    assert len(conflict) == 1
    assert conflict[0].startswith(
        "Key acct: --config keys.toml: [teams.platform] and [teams.web] both claim the key ci-b ("
    )
    assert "both claim the key ci-b" in page
    assert {team for team, _ in team_spend(after)} == {"platform", "research", "unassigned"}


def test_teams_without_a_discovering_key(exporter: MakeExporter, caplog: pytest.LogCaptureFixture) -> None:
    """Teams group listed keys: with no key listing them, a warning at start, and no team series."""

    with caplog.at_level(logging.WARNING, logger=EXPORTER_LOGGER):
        found = families(polled(exporter, KeySpec("acct", MANAGEMENT), teams=TEAMS))
    assert not [name for name in found if "team" in name]
    assert any("no key lists them: give one management key discover = true" in r.getMessage() for r in caplog.records)


def test_sighup_reloads_the_teams(mock: MockServer, exporter: MakeExporter, tmp_path: Path) -> None:
    """A reload reads the file's teams anew: the listed keys regrouped at once, without a new listing."""
    mock.app.set_keys(KEYS)
    path = tmp_path / "keys.toml"
    path.write_text('[keys.acct]\napi_key_env = "TEAMS_KEY"\ndiscover = true\n\n[teams.platform]\nkeys = ["ci-*"]\n')
    environ = {"TEAMS_KEY": MANAGEMENT}

    def load(name: str) -> Any:
        return load_config(name, environ)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        started = load(str(path))
        watcher = exporter(*started.keys, teams=started.teams)
        reloader = Reloader(watcher, str(path), load=load, channels_of=lambda config: {}, started=started)
        await watcher.poll("acct")
        before = families(watcher)
        path.write_text(path.read_text() + '\n[teams.web]\nkeys = ["web"]\n')
        await reloader.reload_once()
        after = families(watcher)
        await watcher.aclose()
        return before, after

    before, after = asyncio.run(scenario())
    assert {team for team, _ in team_spend(before)} == {"platform", "unassigned"}
    assert team_spend(after)[("web", "month")] == 4.0
    assert team_spend(after)[("unassigned", "month")] == 0.0
