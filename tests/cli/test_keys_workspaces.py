"""The command line and the account's workspaces, in process through main() against the live mock:
keys of every workspace with a Workspace column, --workspace by name or id (and the usage errors), the
note, JSON and view line when only the default workspace's keys can be listed, spend --by workspace."""

from __future__ import annotations

import json
from typing import Any

import pytest
from commanding import in_process

from openrouter_credits.testing import MockServer

KEYS: list[dict[str, Any]] = [
    {"name": "web", "hash": "1" * 64, "label": "sk-or-v1-111...1111", "usage": 4.0, "usage_monthly": 4.0},
    {"name": "batch", "hash": "2" * 64, "label": "sk-or-v1-222...2222", "usage": 1.0, "usage_monthly": 1.0},
]
REFUSED = "GET /workspaces was refused (HTTP 403: Workspaces are not available for this account)"


@pytest.fixture
def account(mock: MockServer) -> MockServer:
    mock.app.set_keys(KEYS)
    mock.app.add_workspace("Research", keys=2, workspace_id="00000000-0000-4000-8000-0000000000aa")
    return mock


TABLE = """\
Name          Workspace  Label                Limit  Used  Left  Resets in  Today   Week  Month  Status
web           Default    sk-or-v1-111...1111   none     -     -          -  $0.00  $0.00  $4.00  ok
batch         Default    sk-or-v1-222...2222   none     -     -          -  $0.00  $0.00  $1.00  ok
research-000  Research   sk-or-v1-c7e...5ea9   none     -     -          -  $0.00  $0.07  $0.52  ok
research-001  Research   sk-or-v1-f2e...c125   none     -     -          -  $0.00  $0.02  $0.32  ok
4 keys
"""


def test_every_workspace(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every workspace's keys, the most spent this month first, with a Workspace column (the Research
    keys' figures: what the mock's default month dealt them; a Wednesday, which it leaves without spend)."""
    assert in_process(account, capsys, monkeypatch, "keys") == (0, TABLE, "")


@pytest.mark.parametrize("chosen", ["Research", "research", "00000000-0000-4000-8000-0000000000aa"])
def test_one_workspace(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, chosen: str
) -> None:
    """--workspace by name, slug or id: that workspace's keys, without the column."""
    code, out, err = in_process(account, capsys, monkeypatch, "keys", "--workspace", chosen)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["Name", "Label"]
    assert [line.split()[0] for line in lines[1:]] == ["research-000", "research-001", "2"]


def test_workspace_names_that_repeat(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workspaces named alike: a usage error asking for one's id."""
    account.app.add_workspace("research", slug="research-2", workspace_id="00000000-0000-4000-8000-0000000000bb")
    code, out, err = in_process(account, capsys, monkeypatch, "keys", "--workspace", "RESEARCH")
    assert (code, out) == (2, "")
    assert err == (
        "error: --workspace: 2 workspaces are named 'RESEARCH': give one's id "
        "(00000000-0000-4000-8000-0000000000aa, 00000000-0000-4000-8000-0000000000bb).\n"
    )


def test_default_workspace_only(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /workspaces refused: the default workspace's keys and a note under the table; in JSON,
    "workspaces": "default only" with the reason on each key (and the note on stderr); the default
    view's Keys line says so; --workspace NAME cannot be looked up (give the id)."""
    account.app.set_refuse_workspaces(403)
    code, out, err = in_process(account, capsys, monkeypatch, "keys")
    assert (code, err) == (0, "")
    note = f"note: only the default workspace's keys are listed: {REFUSED}. Other workspaces' keys are not counted."
    assert out.splitlines()[-2:] == ["2 keys", note]
    code, out, err = in_process(account, capsys, monkeypatch, "keys", "--json")
    assert (code, err) == (0, note + "\n")
    keys = json.loads(out)
    assert [(k["name"], k["workspaces"], k["workspaces_note"], k["workspace_name"]) for k in keys] == [
        ("web", "default only", REFUSED, None),
        ("batch", "default only", REFUSED, None),
    ]
    code, out, err = in_process(account, capsys, monkeypatch)
    assert code == 0
    keys_line = next(line for line in out.splitlines() if line.startswith("Keys: "))
    assert keys_line == (
        f"Keys: 2 (0 near or past their limit; openrouter-credits keys lists them); only the default workspace's: "
        f"{REFUSED}"
    )
    code, out, err = in_process(account, capsys, monkeypatch, "keys", "--workspace", "Research")
    assert (code, out) == (2, "")
    assert err.startswith("error: --workspace 'Research' is not a workspace's id (a UUID), and names cannot be")


def test_view_counts_every_workspace(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default view's Keys line counts every workspace's keys, and says in how many workspaces."""
    code, out, _ = in_process(account, capsys, monkeypatch)
    assert code == 0
    assert "Keys: 4 in 2 workspaces (0 near or past their limit; openrouter-credits keys lists them)" in out


SPEND = """\
Workspace  30 days  Share  7 days
Default      $1.04  50.2%   $0.26  ########################################
Research     $1.03  49.8%   $0.24  ########################################
Total $2.07 over 30 days, $0.50 in the last 7
"""


def test_spend_by_workspace(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """spend --by workspace: /activity per workspace, named; the JSON with each workspace's id; by id,
    with a note saying why (the refusal's words), when the names cannot be read."""
    assert in_process(account, capsys, monkeypatch, "spend", "--by", "workspace") == (0, SPEND, "")
    code, out, _ = in_process(account, capsys, monkeypatch, "spend", "--by", "workspace", "--json")
    rows = json.loads(out)
    assert [(r["workspace"], r["workspace_id"]) for r in rows] == [
        ("Default", "00000000-0000-4000-8000-000000000000"),
        ("Research", "00000000-0000-4000-8000-0000000000aa"),
    ]
    assert sum(r["usage"] for r in rows) == pytest.approx(2.07)
    account.app.set_refuse_workspaces(403)
    code, out, err = in_process(account, capsys, monkeypatch, "spend", "--by", "workspace")
    assert code == 0
    assert out.splitlines()[1].startswith("00000000-0000-4000-8000-000000000000  ")
    assert err == (
        "note: workspaces are shown by id: their names could not be read: GET /workspaces was refused (HTTP 403: "
        "Workspaces are not available for this account).\n"
    )
