"""The mock's workspaces: GET /workspaces paged, GET /keys of the default workspace without
workspace_id, each listed key with its workspace, scripting from Python and POST /_mock/workspaces,
/activity split per workspace, and an account that refuses GET /workspaces."""

from __future__ import annotations

import pytest
from mocking import ORDINARY, control, get

from openrouter_credits.testing import MockServer

DEFAULT = "00000000-0000-4000-8000-000000000000"


def test_one_default_workspace(mock: MockServer) -> None:
    """By default: one workspace, the default one, which every key and activity row belongs to."""
    answer = get(mock, "/workspaces").json()
    assert answer["total_count"] == 1
    (workspace,) = answer["data"]
    assert (workspace["id"], workspace["name"], workspace["slug"]) == (DEFAULT, "Default", "default")
    assert {key["workspace_id"] for key in get(mock, "/keys").json()["data"]} == {DEFAULT}


def test_keys_per_workspace(mock: MockServer) -> None:
    """GET /keys lists the default workspace's keys; another's only by its workspace_id; one the
    account does not have, none (the document's answer is the list; it declares no error for it)."""
    research = mock.app.add_workspace("Research", keys=40)
    assert len(get(mock, "/keys").json()["data"]) == 1
    theirs = get(mock, "/keys", workspace_id=research).json()["data"]
    assert len(theirs) == 40
    assert {key["workspace_id"] for key in theirs} == {research}
    assert [key["name"] for key in theirs[:2]] == ["research-000", "research-001"]
    assert get(mock, "/keys", workspace_id="00000000-0000-4000-8000-0000000000ff").json() == {"data": []}
    assert get(mock, "/keys", workspace_id="not-a-uuid").status_code == 400
    assert len(mock.app.listed_keys()) == 41


def test_workspaces_paged(mock: MockServer) -> None:
    """offset and limit (50 unless asked, 100 at most) page the workspaces; total_count counts them all."""
    mock.app.set_workspaces([f"team {i:03d}" for i in range(120)])
    first = get(mock, "/workspaces").json()
    assert (len(first["data"]), first["total_count"]) == (50, 121)
    assert len(get(mock, "/workspaces", limit="100").json()["data"]) == 100
    last = get(mock, "/workspaces", offset="100", limit="100").json()["data"]
    assert [w["slug"] for w in last][-1] == "team-119"
    for bad in ({"limit": "0"}, {"limit": "101"}, {"offset": "-1"}, {"page": "2"}):
        assert get(mock, "/workspaces", **bad).status_code == 400, bad


def test_set_workspaces_replaces_the_others(mock: MockServer) -> None:
    """set_workspaces: the default one stays; the keys of workspaces no longer there leave the listing;
    a key in a workspace the mock does not have is refused with a sentence."""
    mock.app.add_workspace("Old", keys=3)
    mock.app.set_workspaces([{"name": "New", "keys": 2}])
    assert [w["name"] for w in mock.app.workspaces()] == ["Default", "New"]
    assert sorted(key["name"] for key in mock.app.listed_keys())[-2:] == ["new-000", "new-001"]
    assert len(mock.app.listed_keys()) == 3
    with pytest.raises(ValueError, match="which the mock does not have: add it first"):
        mock.app.set_keys([{"name": "stray", "workspace_id": "00000000-0000-4000-8000-0000000000ff"}])


def test_control_api(mock: MockServer) -> None:
    """POST /_mock/workspaces adds or sets workspaces; the state lists them; a bad body is a 400."""
    state = control(mock, "workspaces", {"add": {"name": "Research", "keys": 4}}).json()
    assert [w["name"] for w in state["workspaces"]] == ["Default", "Research"]
    assert state["listed_keys"] == 5
    state = control(mock, "workspaces", {"workspaces": ["A", {"name": "B", "keys": 1}]}).json()
    assert [w["name"] for w in state["workspaces"]] == ["Default", "A", "B"]
    bad = control(mock, "workspaces", {"add": {"name": "C", "colour": "red"}})
    assert bad.status_code == 400
    assert "a workspace has no field 'colour'" in bad.json()["error"]["message"]
    assert control(mock, "workspaces", {}).status_code == 400
    state = control(mock, "options", {"refuse_workspaces": 403}).json()
    assert state["refuse_workspaces"] == 403
    assert get(mock, "/workspaces").status_code == 403
    assert control(mock, "options", {"refuse_workspaces": 500}).status_code == 400


def test_management_keys_only(mock: MockServer) -> None:
    """An ordinary key gets the 401 the document declares (it gives /workspaces no 403)."""
    denied = get(mock, "/workspaces", key=ORDINARY)
    assert denied.status_code == 401
    assert denied.json()["error"]["message"] == "Only management keys can perform this operation"


def test_activity_per_workspace(mock: MockServer) -> None:
    """group_by=workspace gives each row its key's workspace; workspace_id keeps that workspace's
    rows; without either, the rows are the account's, as before."""
    research = mock.app.add_workspace("Research", keys=1)
    rows = get(mock, "/activity").json()["data"]
    grouped = get(mock, "/activity", group_by="workspace").json()["data"]
    assert len(grouped) == len(rows)
    assert "workspace_id" not in rows[0]
    split = {w: sum(r["usage"] for r in grouped if r["workspace_id"] == w) for w in (DEFAULT, research)}
    assert all(amount > 0 for amount in split.values())
    assert sum(split.values()) == pytest.approx(sum(row["usage"] for row in rows))
    theirs = get(mock, "/activity", workspace_id=research).json()["data"]
    assert sum(row["usage"] for row in theirs) == pytest.approx(split[research])
