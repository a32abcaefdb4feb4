"""Teams: the one rule (a key's team from its name, label, hash or workspace; unknown where what is
known cannot tell; two teams on one key an error naming both and the key), the [teams.NAME] tables'
mistakes as sentences (exit 2), and keys --config and spend --by team against the live mock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from commanding import KEY, in_process

from openrouter_credits._apps.config_file import load_config, teams_setting
from openrouter_credits._apps.teams import UNASSIGNED, UNKNOWN, KeyRef, Team, TeamConflict, Teams, team_of
from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits.testing import MockServer

RESEARCH = "00000000-0000-4000-8000-0000000000aa"
DEFAULT = "00000000-0000-4000-8000-000000000000"
KEYS: list[dict[str, Any]] = [
    {"name": "web", "hash": "1" * 64, "label": "sk-or-v1-111...1111", "usage": 4.0, "usage_monthly": 4.0,
     "usage_weekly": 2.0, "usage_daily": 1.0},
    {"name": "ci-build", "hash": "2" * 64, "label": "sk-or-v1-222...2222", "usage": 1.0, "usage_monthly": 1.0},
    {"name": "deploy", "hash": "3" * 64, "label": "sk-or-v1-333...3333", "usage": 3.0, "usage_monthly": 3.0,
     "usage_weekly": 3.0, "usage_daily": 0.25},
]  # fmt: skip
TEAMS = """\
[teams.platform]
keys = ["ci-*", "sk-or-v1-333...3333"]

[teams.research]
workspaces = ["Research"]
"""


# --- the rule ----------------------------------------------------------------------------------------

PLATFORM = Team("platform", keys=("ci-*", "sk-or-v1-333...3333", "abcdef12"))
RESEARCH_TEAM = Team("research", workspaces=("Research", RESEARCH))
RULE = Teams((PLATFORM, RESEARCH_TEAM), "teams.toml")


@pytest.mark.parametrize(
    ("key", "team"),
    [
        (KeyRef("ci-build", "sk-or-v1-aaa...aaaa", "f" * 64, DEFAULT, "Default"), "platform"),  # a name glob
        (KeyRef("deploy", "sk-or-v1-333...3333", "3" * 64, DEFAULT, "Default"), "platform"),  # a label
        (KeyRef("x", "sk-or-v1-abc...0000", "abcdef12" + "0" * 56, DEFAULT, "Default"), "platform"),  # a hash prefix
        (KeyRef("CI-build", "sk-or-v1-aaa...aaaa", "f" * 64, DEFAULT, "Default"), UNASSIGNED),  # globs see case
        (KeyRef("r", "sk-or-v1-aaa...aaaa", "f" * 64, "1" * 32, "research"), "research"),  # a name, any case
        (KeyRef("r", "sk-or-v1-aaa...aaaa", "f" * 64, RESEARCH, None), "research"),  # an id
        (KeyRef("web", "sk-or-v1-111...1111", "1" * 64, DEFAULT, "Default"), UNASSIGNED),
        (KeyRef("web", "sk-or-v1-111...1111", "1" * 64, DEFAULT, None), UNKNOWN),  # "Research" cannot be told
        (KeyRef("web"), UNKNOWN),  # only a name: a label, a hash or a workspace could claim it
        (KeyRef("ci-old"), "platform"),  # only a name, and the name decides
    ],
)
def test_the_team_of_a_key(key: KeyRef, team: str) -> None:
    """Name globs (case-sensitive), labels, hash prefixes of 8+ digits, workspaces by name or id."""
    assert team_of(key, RULE) == team


def test_two_teams_on_one_key_name_both_and_the_key() -> None:
    """A key two teams claim: a configuration error naming both teams and the key."""
    teams = Teams((PLATFORM, Team("ops", keys=("*-build",))), "teams.toml")
    with pytest.raises(TeamConflict) as caught:
        team_of(KeyRef("ci-build", "sk-or-v1-222...2222", "2" * 64), teams)
    assert isinstance(caught.value, ConfigurationError)
    assert str(caught.value) == (
        "--config teams.toml: [teams.platform] and [teams.ops] both claim the key ci-build (sk-or-v1-222...2222): "
        "a key belongs to one team; narrow the keys or workspaces of one of them."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[teams.a]\nkey = ["x"]\n', "[teams.a]: unknown setting 'key'; the settings are keys (name globs, labels"),
        ("[teams.a]\n", "[teams.a]: an empty team: give keys (name globs, labels or hash prefixes) or workspaces"),
        ('[teams.a]\nkeys = ["ci-["]\n', "[teams.a]: keys: 'ci-[' is not a glob: a '[' opens a set of characters"),
        ('[teams.a]\nkeys = "ci-*"\n', '[teams.a]: keys must be a list of strings, such as keys = ["ci-*"].'),
        ('[teams.a]\nworkspaces = [""]\n', "[teams.a]: workspaces holds an empty string: remove it."),
        ('[teams.unassigned]\nkeys = ["x"]\n', "[teams.unassigned]: unassigned is the team of the keys no team"),
        (
            '[teams.a]\nworkspaces = ["Research"]\n[teams.b]\nworkspaces = ["research"]\n',
            "[teams.a] and [teams.b] both name 'research' in their workspaces: a key belongs to one team",
        ),
        ("teams = 3\n", "teams holds [teams.NAME] tables, one per team."),
    ],
)
def test_mistakes_in_the_tables(tmp_path: Path, text: str, message: str) -> None:
    """Each mistake a sentence naming the file, the table and the setting, whether the file is read for
    its teams alone (keys, spend, report) or whole (serve, the view)."""
    path = tmp_path / "teams.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as caught:
        teams_setting(str(path))
    assert str(caught.value).startswith(f"--config {path}: ")
    assert message in str(caught.value)
    path.write_text(text + '\n[keys.a]\napi_key_env = "TEAMS_KEY"\n')
    with pytest.raises(ConfigurationError) as whole:
        load_config(str(path), {"TEAMS_KEY": KEY})
    assert message in str(whole.value)


def test_a_file_of_keys_and_teams(tmp_path: Path) -> None:
    """serve's file holds teams beside its keys; keys, spend and report read its teams alone."""
    path = tmp_path / "keys.toml"
    path.write_text('[keys.a]\napi_key_env = "TEAMS_KEY"\n\n' + TEAMS)
    loaded = load_config(str(path), {"TEAMS_KEY": KEY})
    assert loaded.teams.names == ("platform", "research")
    assert teams_setting(str(path)) == loaded.teams
    assert loaded.teams.teams[0].keys == ("ci-*", "sk-or-v1-333...3333")


# --- keys and spend --by team, against the live mock --------------------------------------------------


@pytest.fixture
def account(mock: MockServer, tmp_path: Path) -> tuple[MockServer, Path]:
    mock.app.set_keys(KEYS)
    mock.app.add_workspace("Research", keys=2, workspace_id=RESEARCH)
    path = tmp_path / "teams.toml"
    path.write_text(TEAMS)
    return mock, path


#: The Research keys' usage is what the mock's activity deals them (the default month, to 25 November).
KEYS_TABLE = """\
Name          Workspace  Team        Label                Limit  Used  Left  Resets in  Today   Week  Month  Status
web           Default    unassigned  sk-or-v1-111...1111   none     -     -          -  $1.00  $2.00  $4.00  ok
deploy        Default    platform    sk-or-v1-333...3333   none     -     -          -  $0.25  $3.00  $3.00  ok
ci-build      Default    platform    sk-or-v1-222...2222   none     -     -          -  $0.00  $0.00  $1.00  ok
research-000  Research   research    sk-or-v1-c7e...5ea9   none     -     -          -  $0.00  $0.06  $0.36  ok
research-001  Research   research    sk-or-v1-f2e...c125   none     -     -          -  $0.00  $0.04  $0.32  ok
5 keys
"""


def test_keys_with_teams(
    account: tuple[MockServer, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """keys --config: a Team column; --team one team's keys; --json each key's team; Prometheus a team
    label on each listed key's series and each team's spend."""
    mock, path = account
    assert in_process(mock, capsys, monkeypatch, "keys", "--config", str(path)) == (0, KEYS_TABLE, "")
    code, out, _ = in_process(mock, capsys, monkeypatch, "keys", "--config", str(path), "--team", "platform", "--json")
    assert (code, [(k["name"], k["team"]) for k in json.loads(out)]) == (0, [("deploy", "platform"),
                                                                               ("ci-build", "platform")])  # fmt: skip
    code, out, _ = in_process(mock, capsys, monkeypatch, "keys", "--config", str(path), "--format", "prometheus")
    assert 'openrouter_credits_account_key_disabled{key_name="web",key_hash="111111111111",team="unassigned"} 0' in out
    assert 'openrouter_credits_team_spend_dollars{team="platform",window="month"} 4' in out
    assert 'openrouter_credits_team_spend_dollars{team="research",window="week"} 0.1' in out
    code, out, _ = in_process(mock, capsys, monkeypatch, "keys", "--json")
    assert "team" not in json.loads(out)[0]  # without teams, no team


def test_keys_team_mistakes(
    account: tuple[MockServer, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key two teams claim: exit 2 naming both and the key; a workspace no workspace has: a warning;
    --team without teams, or a team the file lacks: exit 2 saying what to do."""
    mock, path = account
    path.write_text(TEAMS + '\n[teams.web]\nkeys = ["w*", "d*"]\nworkspaces = ["Staging"]\n')
    code, out, err = in_process(mock, capsys, monkeypatch, "keys", "--config", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"warning: --config {path}: [teams.web]: workspaces names 'Staging', which no workspace of the account has "
        "(by name or id): it claims no key until one does.",
        f"error: --config {path}: [teams.platform] and [teams.web] both claim the key deploy (sk-or-v1-333...3333): "
        "a key belongs to one team; narrow the keys or workspaces of one of them.",
    ]
    code, _, err = in_process(mock, capsys, monkeypatch, "keys", "--team", "platform")
    assert (code, err) == (2, "error: --team needs teams: add [teams.NAME] tables (keys = [...], workspaces = [...]) "
                              "to a file given with --config FILE.\n")  # fmt: skip
    path.write_text(TEAMS)
    code, _, err = in_process(mock, capsys, monkeypatch, "keys", "--config", str(path), "--team", "sales")
    assert (code, err) == (2, "error: --team: 'sales' is not a team; the teams are platform, research, unassigned, "
                              "(unknown).\n")  # fmt: skip


SPEND_TEAMS = """\
Team        Month  Share   Week  Today
platform    $4.00  46.1%  $3.00  $0.25  ########################################
unassigned  $4.00  46.1%  $2.00  $1.00  ########################################
research    $0.68   7.8%  $0.10  $0.00  #######
Total $8.68 this month, $5.10 this week, $1.25 today (UTC), by the 5 keys listed now
"""


def test_spend_by_team(
    account: tuple[MockServer, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """spend --by team: the listed keys' usage per team, the most spent this month first; JSON with each
    team's keys and share; without teams, exit 2."""
    mock, path = account
    assert in_process(mock, capsys, monkeypatch, "spend", "--by", "team", "--config", str(path)) == (0, SPEND_TEAMS, "")
    code, out, _ = in_process(mock, capsys, monkeypatch, "spend", "--by", "team", "--config", str(path), "--json")
    assert json.loads(out)[0] == {"team": "platform", "usage_monthly": 4.0, "usage_weekly": 3.0, "usage_daily": 0.25,
                                  "keys": 2, "share": 4.0 / 8.68}  # fmt: skip
    code, out, err = in_process(mock, capsys, monkeypatch, "spend", "--by", "team")
    assert (code, out) == (2, "")
    assert err.startswith("error: --by team needs teams: add [teams.NAME] tables")
