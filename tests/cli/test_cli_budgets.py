"""The command with a guardrail budget below the key's own limit and the account: spendable is the
guardrail's remaining in the table, --json and --format prometheus, and each says which layer caps it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from test_cli import prometheus_samples, promtool, run, steady_spend

from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-cli-SECRET-provisioning-5d1c"  # test_cli's, which run() keeps out of every output


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys=[])) as running:
        yield running


@pytest.fixture(autouse=True)
def _guarded(mock: MockServer) -> None:
    steady_spend(mock)
    mock.app.set_key(KEY, limit=10.0, usage=0.0)
    mock.app.set_budgets(
        KEY,
        guardrail={"limit": 5.0, "spend": 2.0, "reset_interval": "daily"},
        workspace={"limit": 50.0, "spend": 10.0, "reset_interval": "monthly"},
    )


def test_table(mock: MockServer) -> None:
    """Spendable $3.00, capped by the guardrail; a row for the budget with its window and reset."""
    result = run(mock)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == "Remaining      $17.50"
    assert lines[1] == "Spendable       $3.00  (capped by the key's api_key budget)"
    assert lines[7] == "Key limit      $10.00  ($10.00 left)"
    assert re.fullmatch(
        r"Key budget      \$5\.00  \(api_key budget, \$3\.00 left; resets daily, in (\d+ h )?\d+ m\)|"
        r"Key budget      \$5\.00  \(api_key budget, \$3\.00 left; resets daily, in less than 1 m\)",
        lines[9],
    ), lines[9]


def test_json(mock: MockServer) -> None:
    """spendable 3.0, capped_by_budget, key.effective_budget and every layer under key.budgets."""
    result = run(mock, "--json")
    assert (result.returncode, result.stderr) == (0, "")
    view = json.loads(result.stdout)
    assert (view["remaining"], view["spendable"], view["capped_by_budget"]) == (17.5, 3.0, "api_key")
    key = view["key"]
    assert [(layer["scope"], layer["remaining_usd"], layer["reset_interval"]) for layer in key["budgets"]] == [
        ("api_key", 3.0, "daily"),
        ("workspace", 40.0, "monthly"),
        ("key_limit", 10.0, None),
    ]
    effective = key["effective_budget"]
    assert effective == key["budgets"][0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00Z", effective["resets_at"])
    assert set(effective) == {
        "scope",
        "limit_usd",
        "remaining_usd",
        "spend_usd",
        "reset_interval",
        "resets_at",
        "include_byok",
        "budget_id",
        "guardrail_id",
    }


def test_prometheus(mock: MockServer) -> None:
    """spendable 3, and a key_budget_remaining_dollars series per scope; promtool agrees."""
    result = run(mock, "--format", "prometheus")
    assert (result.returncode, result.stderr) == (0, "")
    samples = prometheus_samples(result.stdout)
    assert samples["openrouter_credits_spendable_dollars"] == 3.0
    assert {name: value for name, value in samples.items() if "budget" in name} == {
        'openrouter_credits_key_budget_remaining_dollars{scope="api_key"}': 3.0,
        'openrouter_credits_key_budget_remaining_dollars{scope="workspace"}': 40.0,
        'openrouter_credits_key_budget_remaining_dollars{scope="key_limit"}': 10.0,
    }
    promtool(result.stdout)


def test_below_compares_the_budget(mock: MockServer) -> None:
    """--below 5 trips on the guardrail's $3.00, though the account has $17.50."""
    result = run(mock, "--below", "5")
    assert result.returncode == 1
    assert result.stderr == "below: spendable $3.00 is under $5.00\n"
