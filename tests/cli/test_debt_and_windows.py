"""What the live API sends that the document does not say: an account in debt (usage above credits),
and key limits that reset daily, weekly or monthly. The table, --json, Prometheus and the thresholds,
in process through main()."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from openrouter_credits.cli import main
from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-debt-SECRET-management-8c2e"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)})) as running:
        yield running


@pytest.fixture
def in_debt(mock: MockServer) -> MockServer:
    """$25.50 used of $25.00 bought, $1.00 spent every day around today (whichever day the run takes as today)."""
    mock.app.set_balance(total_credits=25.0, total_usage=25.5)
    mock.app.set_key(KEY, usage=0.0)  # a management key's own usage, as the live API gives it
    today = dt.datetime.now(dt.UTC).date()
    mock.app.set_activity({(today - dt.timedelta(days=back)).isoformat(): 1.0 for back in range(-1, 40)})
    return mock


def view(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    code = main(["--base-url", mock.base_url, *args])
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return code, out, err


DEBT_TABLE = """\
Remaining      -$0.50  (in debt)
Spendable      -$0.50
Spend per day   $1.00  (7-day average)
Days left         0.0
Total credits  $25.00
Total usage    $25.50
Key limit        none
Key usage       $0.00  (today $0.00, this week $0.00, this month $0.00)
"""


def test_debt_in_the_table(
    in_debt: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Remaining negative, said to be debt; no days left."""
    assert view(in_debt, capsys, monkeypatch) == (0, DEBT_TABLE, "")


def test_debt_in_json(in_debt: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = view(in_debt, capsys, monkeypatch, "--json")
    document = json.loads(out)
    assert code == 0
    assert {name: document[name] for name in ("remaining", "spendable", "spendable_at_most", "days_left")} == {
        "remaining": -0.5,
        "spendable": -0.5,
        "spendable_at_most": -0.5,
        "days_left": 0,
    }
    assert document["unknown"] == {}


def test_debt_in_prometheus(
    in_debt: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The remaining gauge negative, the time left 0 (a series, not absent: it is known)."""
    code, out, _ = view(in_debt, capsys, monkeypatch, "--format", "prometheus")
    samples = {
        s.name: s.value for family in text_string_to_metric_families(out) for s in family.samples if not s.labels
    }
    assert code == 0
    assert samples["openrouter_credits_remaining_dollars"] == -0.5
    assert samples["openrouter_credits_spendable_dollars"] == -0.5
    assert samples["openrouter_credits_time_left_seconds"] == 0


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (("--below", "0"), "below: spendable -$0.50 is under $0.00\n"),
        (("--below", "5"), "below: spendable -$0.50 is under $5.00\n"),
        (("--days-below", "1"), "below: 0.0 days left is under 1.0\n"),
        (
            ("--below", "1", "--days-below", "0.5"),
            "below: spendable -$0.50 is under $1.00\nbelow: 0.0 days left is under 0.5\n",
        ),
    ],
)
def test_debt_trips_the_thresholds(
    in_debt: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    stderr: str,
) -> None:
    assert view(in_debt, capsys, monkeypatch, *args) == (1, DEBT_TABLE, stderr)


def test_nothing_remaining_is_no_days_left(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """$0.00 remaining and nothing spent for a week: 0 days left, not 'no spend'."""
    mock.app.set_balance(total_credits=25.0, total_usage=25.0)
    mock.app.set_activity({})
    code, out, _ = view(mock, capsys, monkeypatch, "--json")
    assert (code, json.loads(out)["days_left"], json.loads(out)["spend_per_day"]) == (0, 0, 0)
