"""The mock as OpenRouter's official Python SDK sees it: every answer of every operation the SDK's
models describe (``GET /credits``, ``/key``, ``/activity`` and ``/keys``, in each workspace) is valid
against the JSON Schema of that model (``tests/data/upstream/sdk-1.3.84-shapes.json``: the SDK 1.3.84,
generated from a newer document than ours, so the fields the live API sends now)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from mocking import MANAGEMENT, NOW, ORDINARY

from openrouter_credits.testing import MockOpenRouter, MockServer

SHAPES = json.loads((Path(__file__).resolve().parents[1] / "data" / "upstream" / "sdk-1.3.84-shapes.json").read_text())
LIMITED = "sk-or-v1-sdkshapes-SECRET-limited-7c3a"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(
        provisioning_keys={MANAGEMENT: (25.0, 7.5)},
        inference_keys={ORDINARY: None, LIMITED: 10.0},
        clock=lambda: NOW,
    )
    with MockServer(app) as running:
        yield running


def validator(name: str) -> Any:
    return jsonschema_rs.validator_for(SHAPES[name], validate_formats=True)


def answer(mock: MockServer, path: str, key: str = MANAGEMENT, **params: str) -> Any:
    response = httpx.get(mock.base_url + path, headers={"Authorization": f"Bearer {key}"}, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def problems(name: str, items: list[Any]) -> list[str]:
    """Each item's errors against the SDK's model ``name``, as ``<index>: <path>: <message>``."""
    check = validator(name)
    return [
        f"{index}: {'/'.join(map(str, error.instance_path))}: {error.message}"
        for index, item in enumerate(items)
        for error in check.iter_errors(item)
    ]


def scenario(mock: MockServer) -> None:
    """Everything the answers can hold: a second workspace with keys of its own, budgets on a key,
    generated keys (limits of every window, disabled and expiring ones)."""
    mock.app.add_workspace("Research", keys=3)
    mock.app.set_budgets(LIMITED, guardrail={"limit": 5, "spend": 2, "reset_interval": "daily"}, workspace=20)


def test_credits_and_key(mock: MockServer) -> None:
    """/credits, and /key for a management key, an ordinary key and one with a limit and budgets."""
    scenario(mock)
    assert problems("GET /credits: data", [answer(mock, "/credits")]) == []
    keys = [answer(mock, "/key", key) for key in (MANAGEMENT, ORDINARY, LIMITED)]
    assert keys[2]["budgets"]  # the budgets' shape is checked too
    assert problems("GET /key: data", keys) == []


@pytest.mark.parametrize("form", ["date", "datetime", "rfc3339"])
def test_activity(mock: MockServer, form: str) -> None:
    """/activity in each date form the mock writes: as it is, per workspace, per key."""
    scenario(mock)
    mock.app.set_activity_date_format(form)
    listed = answer(mock, "/keys")
    rows = answer(mock, "/activity")
    rows += answer(mock, "/activity", group_by="workspace")
    rows += answer(mock, "/activity", api_key_hash=listed[0]["hash"])
    assert rows
    assert problems("GET /activity: data[]", rows) == []


def test_keys_in_every_workspace(mock: MockServer) -> None:
    """/keys of each workspace /workspaces lists, disabled keys included: every item is the SDK's ListData."""
    scenario(mock)
    mock.app.add_keys(40)  # the default workspace's and Other's
    items = []
    for workspace in answer(mock, "/workspaces"):
        found = answer(mock, "/keys", workspace_id=workspace["id"], include_disabled="true")
        assert found, workspace["name"]
        items += found
    assert len({workspace["name"] for workspace in answer(mock, "/workspaces")}) == 3
    assert problems("GET /keys: data[] (ListData)", items) == []


def test_scripted_keys_are_whole_too(mock: MockServer) -> None:
    """Keys scripted with only a name get every field the SDK requires; a last use given is sent as given."""
    mock.app.set_keys([{"name": "ci"}, {"name": "web", "last_used_at": "2026-11-24T18:00:00Z"}])
    items = answer(mock, "/keys")
    assert problems("GET /keys: data[] (ListData)", items) == []
    assert [(item["last_used_at"], item["external_user"]) for item in items] == [
        (None, None),
        ("2026-11-24T18:00:00Z", None),
    ]
