"""An ordinary key cannot see the account's balance, which caps what it may spend all the same: its
own limit and budgets are an upper bound, never its spendable. The table, JSON and Prometheus say "at
most", --below trips when even the bound is under and cannot tell otherwise, and the exporter's
alerts and page read it alike. In process, through main() and the exporter, against the live mock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from commanding import in_process
from prometheus_client.parser import text_string_to_metric_families

from openrouter_credits import CreditsClient
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits.exporter._alerts import AlertBook, alerts_due
from openrouter_credits.testing import MockOpenRouter, MockServer

MANAGEMENT = "sk-or-v1-bound-SECRET-management-8d2c"
ORDINARY = "sk-or-v1-bound-SECRET-ordinary-9e3d"
NOW = dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(
        provisioning_keys={MANAGEMENT: (25.0, 24.0)}, inference_keys={ORDINARY: 10.0}, clock=lambda: NOW
    )
    with MockServer(app) as running:
        yield running


@pytest.fixture(autouse=True)
def _three_dollars_left(mock: MockServer) -> None:
    """The key's limit leaves $7.50, a guardrail's daily budget $3.00; the account holds $1.00."""
    mock.app.set_key(ORDINARY, usage=2.5, usage_daily=0.5, usage_weekly=1.5, usage_monthly=2.5)
    mock.app.set_budgets(ORDINARY, guardrail={"limit": 5, "spend": 2, "reset_interval": "daily"})


def run(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    return in_process(mock, capsys, monkeypatch, "--max-retries", "0", *args, key=ORDINARY, now=NOW, secrets=())


def test_the_table_says_at_most(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spendable: unknown, at most $3.00, capped by the guardrail's budget, and why it is not more."""
    code, out, err = run(mock, capsys, monkeypatch)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        "Spendable      unknown  (at most $3.00, capped by the key's api_key budget, the account's balance needs a "
        "management key)"
    )


def test_json_says_at_most(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """spendable null with the reason, spendable_at_most 3.0, the budget that caps the bound named."""
    code, out, _ = run(mock, capsys, monkeypatch, "--json")
    view = json.loads(out)
    assert code == 0
    assert (view["spendable"], view["spendable_at_most"], view["capped_by_budget"]) == (None, 3.0, "api_key")
    assert view["unknown"]["spendable"] == "the account's balance needs a management (provisioning) key"


def test_prometheus_exports_the_bound(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No spendable series, a spendable_at_most of 3, up 1 (nothing failed)."""
    code, out, _ = run(mock, capsys, monkeypatch, "--format", "prometheus")
    samples = {s.name: s.value for f in text_string_to_metric_families(out) for s in f.samples if not s.labels}
    assert code == 0
    assert "openrouter_credits_spendable_dollars" not in samples
    assert samples["openrouter_credits_spendable_at_most_dollars"] == 3.0
    assert samples["openrouter_credits_up"] == 1


@pytest.mark.parametrize(
    ("below", "status", "says"),
    [
        ("5", 1, "below: spendable is at most $3.00, under $5.00\n"),
        (
            "2",
            3,
            "error: --below needs what this key may spend, which is unknown: the account's balance needs a management "
            "(provisioning) key.\n",
        ),
    ],
)
def test_below_trips_on_the_bound(
    mock: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    below: str,
    status: int,
    says: str,
) -> None:
    """--below 5 trips (even the bound is under); --below 2 cannot tell, the account's $1 being out of sight."""
    assert run(mock, capsys, monkeypatch, "--below", below)[::2] == (status, says)


def test_the_config_table_shows_the_bound(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """--config's row: Spendable at most $3.00."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    config = tmp_path / "keys.toml"
    config.write_text('[keys.team]\napi_key_env = "TEAM_KEY"\n')
    monkeypatch.setenv("TEAM_KEY", ORDINARY)
    code, out, _ = run(mock, capsys, monkeypatch, "--config", str(config))
    assert code == 0
    assert out.splitlines()[1].split("  ")[0:1] == ["team"]
    assert "at most $3.00" in out.splitlines()[1]


def test_the_exporters_alert_follows_the_bound(mock: MockServer) -> None:
    """below = 5: an alert when the bound drops under, the recovery when the key's budget rises again."""
    spec = KeySpec("team", ORDINARY, below=5.0)
    book = AlertBook(None)
    with CreditsClient(ORDINARY, base_url=mock.base_url, clock=lambda: NOW) as client:
        crossed = alerts_due(spec, client.get_balance(), book)
        assert [(due.crossed, due.alert.text) for due in crossed] == [
            (True, "OpenRouter key team may spend at most $3.00, below its threshold of $5.00.")
        ]
        book.set("team", "below", True)
        mock.app.set_budgets(ORDINARY, guardrail=None)
        recovered = alerts_due(spec, client.get_balance(), book)
    assert [(due.crossed, due.alert.text) for due in recovered] == [
        (False, "OpenRouter key team recovered: it may spend at most $7.50 (threshold $5.00).")
    ]
