"""Budgets on ``GET /key`` as the live API sends them beyond the shipped document (``budgets``,
``effective_budget``): a guardrail budget below the key's own limit and the account caps what the key
may spend, in the library and the exporter; a malformed layer is an invalid answer naming its path."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import client_call, key_data
from openrouter_credits import (
    Balance,
    CreditsClient,
    KeyInfo,
    MalformedBudgetError,
    OpenRouterCreditsError,
    ResponseValidationError,
)
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._apps.metrics import balance_metrics, exposition
from openrouter_credits._budgets import BudgetLayer
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import MockOpenRouter, MockServer

MANAGEMENT = "sk-or-v1-budget-SECRET-management-6a1d"
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)  # a Wednesday
GUARDRAIL = BudgetLayer(
    scope="api_key",
    limit_usd=5.0,
    remaining_usd=3.0,
    spend_usd=2.0,
    reset_interval="daily",
    resets_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    include_byok=False,
    budget_id=None,
    guardrail_id=f"guardrail-{MockOpenRouter.label(MANAGEMENT)}",
)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys=[], clock=lambda: NOW)
    with MockServer(app) as running:
        yield running


def guarded(mock: MockServer) -> None:
    """The account has $17.50 left, the key's own limit $10.00 of $10.00, its workspace $40.00 of
    $50.00, and a guardrail on it $3.00 of $5.00 a day: the guardrail blocks first."""
    mock.app.set_key(MANAGEMENT, limit=10.0, usage=0.0)
    mock.app.set_budgets(
        MANAGEMENT,
        guardrail={"limit": 5.0, "spend": 2.0, "reset_interval": "daily"},
        workspace={"limit": 50.0, "spend": 10.0, "reset_interval": "monthly"},
    )


def balance(mode: str, mock: MockServer) -> Balance:
    return client_call(
        mode, MANAGEMENT, "get_balance", {"base_url": mock.base_url, "clock": lambda: NOW, "max_retries": 0}
    )


def test_a_guardrail_below_the_limit_and_the_account_caps_spendable(mode: str, mock: MockServer) -> None:
    """Spendable is the guardrail's remaining ($3.00), not the key's limit ($10.00) nor the account's ($17.50)."""
    guarded(mock)
    found = balance(mode, mock)
    assert (found.remaining, found.spendable, found.spendable_at_most) == (17.5, 3.0, 3.0)
    assert found.budget == GUARDRAIL
    assert "spendable" not in found.unknown
    key = found.key
    assert key is not None
    assert key.limit_left == 10.0
    assert key.effective_layer == GUARDRAIL
    assert key.budget_layers is not None
    assert [(layer.scope, layer.remaining_usd) for layer in key.budget_layers] == [
        ("api_key", 3.0),
        ("workspace", 40.0),
        ("key_limit", 10.0),
    ]
    workspace = key.budget_layers[1]
    assert (workspace.reset_interval, workspace.resets_at) == ("monthly", dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert "budgets" in key.extra  # the shipped document does not declare them: the server sends them


def test_the_account_below_the_budget_caps_it(mode: str, mock: MockServer) -> None:
    """A budget above the account's remaining: spendable is the account's, and no budget caps it."""
    mock.app.set_budgets(MANAGEMENT, guardrail=20.0)
    mock.app.set_balance(MANAGEMENT, total_usage=24.0)
    found = balance(mode, mock)
    assert (found.remaining, found.spendable, found.budget) == (1.0, 1.0, None)
    assert found.key is not None
    assert found.key.effective_layer is not None
    assert found.key.effective_layer.remaining_usd == 20.0


def test_a_spent_budget_blocks_everything(mode: str, mock: MockServer) -> None:
    """The spent layer is the effective one, even when another has less left: spendable is 0."""
    mock.app.set_budgets(MANAGEMENT, guardrail={"limit": 5.0, "spend": 7.0}, workspace=4.0)
    found = balance(mode, mock)
    assert found.spendable == 0.0
    assert found.budget is not None
    assert found.budget.scope == "api_key"


def test_nothing_budgeted(mode: str, mock: MockServer) -> None:
    """No budgets at all: ``budgets`` empty, ``effective_budget`` null, spendable the account's."""
    found = balance(mode, mock)
    assert found.key is not None
    assert (found.key.budget_layers, found.key.effective_layer, found.spendable) == ((), None, 17.5)


def test_an_answer_without_budgets() -> None:
    """An answer that says nothing of budgets (an older server): None, and spendable as before."""
    body = key_body()
    del body["data"]["budgets"], body["data"]["effective_budget"]
    key = get_key(body)
    assert (key.budget_layers, key.effective_layer) == (None, None)


# --- a malformed layer ---------------------------------------------------------------------------


def key_body(**changes: Any) -> dict[str, Any]:
    """A /key answer as the live API sends it: two layers, the guardrail's effective."""
    layer = {
        "scope": "api_key",
        "limit_usd": 5.0,
        "remaining_usd": 3.0,
        "spend_usd": 2.0,
        "reset_interval": "daily",
        "resets_at": "2026-11-26T00:00:00Z",
        "include_byok": False,
        "budget_id": None,
        "guardrail_id": "gr-1",
    }
    workspace = {**layer, "scope": "workspace", "remaining_usd": 40.0, "guardrail_id": None, "budget_id": "b-1"}
    unused = {"usage": 0.0, "usage_daily": 0.0, "usage_weekly": 0.0, "usage_monthly": 0.0}
    layers = {"budgets": [layer, workspace], "effective_budget": layer}
    data = key_data(**{**unused, "is_management_key": True, **layers, **changes})
    return {"data": data}


def transport(key: dict[str, Any]) -> httpx.MockTransport:
    # Python's json writes and reads Infinity; httpx's json= refuses it.
    text = json.dumps(key).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/key"):
            return httpx.Response(200, content=text, headers={"content-type": "application/json"})
        if request.url.path.endswith("/credits"):
            return httpx.Response(200, json={"data": {"total_credits": 25.0, "total_usage": 7.5}})
        return httpx.Response(200, json={"data": []})

    return httpx.MockTransport(handler)


def get_key(body: dict[str, Any]) -> KeyInfo:
    with httpx.Client(transport=transport(body)) as http, CreditsClient("k-1234567890", http_client=http) as client:
        return client.get_key()


BAD_LAYERS = [
    (1, "remaining_usd", "ten", "data.budgets[1].remaining_usd is 'ten', not a number of dollars"),
    (0, "scope", None, "data.budgets[0].scope is None, not a string"),
    (1, "resets_at", "tomorrow", "data.budgets[1].resets_at is 'tomorrow', not an ISO 8601 date-time or null"),
    (0, "include_byok", "no", "data.budgets[0].include_byok is 'no', not true or false"),
    (1, "limit_usd", float("inf"), "data.budgets[1].limit_usd is inf, not a finite number of dollars"),
]


@pytest.mark.parametrize(("index", "field", "value", "message"), BAD_LAYERS)
def test_a_malformed_layer_is_an_invalid_answer(index: int, field: str, value: Any, message: str) -> None:
    """get_key() raises ResponseValidationError naming the layer's JSON path."""
    body = key_body()
    body["data"]["budgets"][index] = {**body["data"]["budgets"][index], field: value}
    with pytest.raises(ResponseValidationError) as caught:
        get_key(body)
    assert message in str(caught.value)
    assert str(caught.value).startswith("OpenRouter sent HTTP 200 for the key's own limit and usage but data.budgets[")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"budgets": {"scope": "api_key"}}, "data.budgets is {'scope': 'api_key'}, not a list of budget layers"),
        ({"budgets": [3]}, "data.budgets[0] is 3, not a budget layer (an object)"),
        ({"effective_budget": {"scope": "api_key"}}, "data.effective_budget.limit_usd is missing"),
    ],
)
def test_a_malformed_budget_list(changes: dict[str, Any], message: str) -> None:
    """The list itself, an item that is no object, a layer missing a field: each names its path."""
    with pytest.raises(ResponseValidationError, match=re.escape(message)):
        get_key(key_body(**changes))


@pytest.mark.parametrize("prop", ["budget_layers", "effective_layer"])
def test_a_key_made_otherwise_raises_a_typed_error(prop: str) -> None:
    """A KeyInfo made from a generated model (not by get_key(), which refuses the answer): its budget
    properties raise MalformedBudgetError, an OpenRouterCreditsError of kind invalid_response (and a
    ValueError, as documented before), whose message is a sentence naming the layer's path."""
    from openrouter_credits_client.models.get_current_key_response_200_data import GetCurrentKeyResponse200Data

    data = key_body()["data"]
    data["budgets"][1]["remaining_usd"] = "ten"
    data["effective_budget"] = {**data["effective_budget"], "remaining_usd": "ten"}
    key = KeyInfo.from_generated(GetCurrentKeyResponse200Data.from_dict(data))
    with pytest.raises(MalformedBudgetError) as caught:
        getattr(key, prop)
    error = caught.value
    assert isinstance(error, OpenRouterCreditsError)
    assert isinstance(error, ValueError)
    assert error.kind == "invalid_response"
    path = "data.budgets[1].remaining_usd" if prop == "budget_layers" else "data.effective_budget.remaining_usd"
    assert (error.path, error.problem) == (path, "is 'ten', not a number of dollars")
    assert str(error) == (
        "A budget layer of the key's answer is not what OpenRouter documents: "
        f"{path} is 'ten', not a number of dollars."
    )


def test_get_balance_with_a_malformed_layer() -> None:
    """get_balance(): the key part unknown with the reason, the account's part still there."""
    body = key_body()
    body["data"]["budgets"][1]["remaining_usd"] = "ten"
    with (
        httpx.Client(transport=transport(body)) as http,
        CreditsClient("k-1234567890", http_client=http, max_retries=0) as client,
    ):
        found = client.get_balance()
    assert (found.key, found.remaining, found.spendable, found.spendable_at_most) == (None, 17.5, None, 17.5)
    assert "data.budgets[1].remaining_usd is 'ten', not a number of dollars" in found.unknown["key"]
    assert isinstance(found.errors["key"], ResponseValidationError)


# --- the metrics --------------------------------------------------------------------------------


def samples(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def test_budget_metrics(mock: MockServer) -> None:
    """One series per layer's scope; spendable from the effective budget."""
    guarded(mock)
    text = exposition(balance_metrics(balance("sync", mock), {"key": "team-a"}, up=True, last_success=None))
    found = samples(text)
    assert found['openrouter_credits_spendable_dollars{key="team-a"}'] == 3.0
    assert {name: value for name, value in found.items() if "budget" in name} == {
        'openrouter_credits_key_budget_remaining_dollars{key="team-a",scope="api_key"}': 3.0,
        'openrouter_credits_key_budget_remaining_dollars{key="team-a",scope="workspace"}': 40.0,
        'openrouter_credits_key_budget_remaining_dollars{key="team-a",scope="key_limit"}': 10.0,
    }


def test_two_layers_of_one_scope_make_one_series() -> None:
    """Two guardrails on one key: the series of their scope is the one that blocks first."""
    body = key_body()
    body["data"]["budgets"].append({**body["data"]["budgets"][0], "remaining_usd": 1.25, "guardrail_id": "gr-2"})
    with httpx.Client(transport=transport(body)) as http, CreditsClient("k-1234567890", http_client=http) as client:
        found = samples(exposition(balance_metrics(client.get_balance(), {}, up=True, last_success=None)))
    assert found['openrouter_credits_key_budget_remaining_dollars{scope="api_key"}'] == 1.25


@pytest.mark.anyio
async def test_the_exporter_serves_the_budgets(mock: MockServer) -> None:
    """The exporter's /metrics: spendable is the guardrail's remaining, and each layer's series."""
    guarded(mock)
    watcher = Exporter([KeySpec("team-a", MANAGEMENT)], base_url=mock.base_url, max_retries=0)
    try:
        await watcher.poll("team-a")
        found = samples(exposition(watcher.families()))
    finally:
        await watcher.aclose()
    assert found['openrouter_credits_spendable_dollars{key="team-a"}'] == 3.0
    assert found['openrouter_credits_key_budget_remaining_dollars{key="team-a",scope="api_key"}'] == 3.0
    assert found['openrouter_credits_key_budget_remaining_dollars{key="team-a",scope="workspace"}'] == 40.0
