"""The mock sends the newer ``GET /key`` fields the live API sends (``budgets``, ``effective_budget``,
``allowed_data_regions``, ``free_model_daily_requests``, ``organization_id``, ``workspace_id``) and
``cached_tokens`` in activity rows; budgets are scripted from Python and through ``/_mock/budgets``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mocking import MANAGEMENT, NOW, ORDINARY, control, get

from helpers import script_figures
from openrouter_credits.testing import MockOpenRouter, MockServer

SHAPES = Path(__file__).resolve().parents[3] / "shared" / "upstream" / "sdk-1.3.84-shapes.json"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(
        provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys={ORDINARY: 10.0}, clock=lambda: NOW
    )
    with MockServer(app) as running:
        yield running


def key_data(mock: MockServer, key: str = MANAGEMENT) -> dict[str, Any]:
    response = get(mock, "/key", key=key)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def test_the_newer_key_fields_are_sent(mock: MockServer) -> None:
    """Every field the official SDK's GET /key model requires is in the mock's answer."""
    data = key_data(mock)
    assert data["allowed_data_regions"] == ["global"]
    assert data["free_model_daily_requests"] == {"limit": 1000, "remaining": 1000, "used": 0}
    assert (data["organization_id"], data["workspace_id"]) == (None, "00000000-0000-4000-8000-000000000000")
    assert (data["budgets"], data["effective_budget"]) == ([], None)
    if SHAPES.is_file():  # beside the project's workspace
        required = json.loads(SHAPES.read_text())["GET /key: data"]["required"]
        assert sorted(set(required) - set(data)) == []


def test_the_key_s_own_limit_is_a_layer(mock: MockServer) -> None:
    """An ordinary key with a $10 limit: one key_limit layer, which is the effective one."""
    layer = {
        "scope": "key_limit",
        "limit_usd": 10.0,
        "remaining_usd": 7.5,
        "spend_usd": 2.5,
        "reset_interval": None,
        "resets_at": None,
        "include_byok": False,
        "budget_id": None,
        "guardrail_id": None,
    }
    script_figures(mock.app, ORDINARY)
    data = key_data(mock, ORDINARY)
    assert (data["budgets"], data["effective_budget"]) == ([layer], layer)


def test_set_budgets(mock: MockServer) -> None:
    """A guardrail and a workspace budget: in order before the key's own limit, the least remaining effective."""
    script_figures(mock.app, ORDINARY)
    mock.app.set_budgets(ORDINARY, guardrail={"limit": 5.0, "spend": 2.0, "reset_interval": "daily"}, workspace=(50.0))
    data = key_data(mock, ORDINARY)
    assert [(layer["scope"], layer["remaining_usd"], layer["resets_at"]) for layer in data["budgets"]] == [
        ("api_key", 3.0, "2026-11-26T00:00:00Z"),
        ("workspace", 50.0, None),
        ("key_limit", 7.5, None),
    ]
    assert data["effective_budget"] == data["budgets"][0]
    assert data["budgets"][0]["guardrail_id"] == f"guardrail-{MockOpenRouter.label(ORDINARY)}"
    mock.app.set_budgets(ORDINARY)
    assert [layer["scope"] for layer in key_data(mock, ORDINARY)["budgets"]] == ["key_limit"]


def test_a_spent_layer_is_effective(mock: MockServer) -> None:
    """The spent layer blocks first, though another has less left."""
    mock.app.set_budgets(MANAGEMENT, guardrail={"limit": 2.0, "spend": 3.0}, workspace={"limit": 1.0, "spend": 0.5})
    data = key_data(mock)
    assert data["effective_budget"]["scope"] == "api_key"
    assert data["effective_budget"]["remaining_usd"] == 0.0


def test_budgets_through_the_control_api(mock: MockServer) -> None:
    """POST /_mock/budgets sets them (the key by its label); the state shows them; reset clears them."""
    label = MockOpenRouter.label(MANAGEMENT)
    response = control(
        mock, "budgets", {"key": label, "workspace": {"limit": 20, "spend": 5, "reset_interval": "weekly"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["keys"][label]["workspace"] == {
        "limit": 20.0,
        "spend": 5.0,
        "reset_interval": "weekly",
        "include_byok": False,
    }
    (layer,) = key_data(mock)["budgets"]
    assert (layer["scope"], layer["remaining_usd"], layer["resets_at"]) == ("workspace", 15.0, "2026-11-30T00:00:00Z")
    control(mock, "reset", {})
    assert key_data(mock)["budgets"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"guardrail": "5"}, "guardrail must be a number, an object or null, not '5'"),
        ({"guardrail": {"limit": 5, "every": "day"}}, "a budget has no field 'every'"),
        ({"workspace": {"spend": 1}}, "a budget needs its limit"),
        (
            {"workspace": {"limit": 5, "reset_interval": "hourly"}},
            "reset_interval must be one of daily, weekly, monthly",
        ),
        ({"team": 5}, "there is no budget 'team'; the budgets are guardrail and workspace"),
        ({"guardrail": {"limit": "lots"}}, "limit must be a number of dollars, not 'lots'"),
    ],
)
def test_bad_budgets_are_refused(mock: MockServer, body: dict[str, Any], message: str) -> None:
    """A 400 with a sentence; nothing changes."""
    response = control(mock, "budgets", body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert key_data(mock)["budgets"] == []


def test_activity_rows_carry_cached_tokens(mock: MockServer) -> None:
    """Each activity row has cached_tokens, as the live API sends."""
    response = httpx.get(mock.base_url + "/activity", headers={"Authorization": f"Bearer {MANAGEMENT}"})
    rows = response.json()["data"]
    assert rows
    assert all(row["cached_tokens"] == 0 for row in rows)
