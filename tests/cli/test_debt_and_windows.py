"""What the live API sends that the document does not say: an account in debt (usage above credits),
and key limits that reset daily, weekly or monthly. The table, --json, Prometheus and the thresholds,
in process through main()."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
from collections.abc import Iterator

import pytest
from commanding import KEY, in_process
from prometheus_client.parser import text_string_to_metric_families

from helpers import on_loopback
from openrouter_credits.cli import main
from openrouter_credits.testing import MockServer

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def in_debt(mock: MockServer) -> MockServer:
    """$25.50 used of $25.00 bought, $1.00 spent every day (the view's clock at NOW)."""
    mock.app.set_balance(total_credits=25.0, total_usage=25.5)
    mock.app.set_key(KEY, usage=0.0)  # a management key's own usage, as the live API gives it
    mock.app.set_activity({(NOW.date() - dt.timedelta(days=back)).isoformat(): 1.0 for back in range(1, 40)})
    return mock


def view(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    return in_process(mock, capsys, monkeypatch, *args, now=NOW)


DEBT_TABLE = """\
Remaining      -$0.50  (in debt)
Spendable      -$0.50
Spend per day   $1.00  (weekday)
Days left         0.0
This month     $30.00  (projected by 30 Nov: $30.00 to $30.00; $24.00 so far)
Total credits  $25.00
Total usage    $25.50
Keys: 1 (0 near or past their limit; openrouter-credits keys lists them)
Top model of the last 7 days: openai/gpt-4.1 ($7.00)
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
    """The remaining gauge negative, the time left 0 (a series, not absent: it is known); the fetch's
    time the view's clock's."""
    code, out, _ = view(in_debt, capsys, monkeypatch, "--format", "prometheus")
    samples = {
        s.name: s.value for family in text_string_to_metric_families(out) for s in family.samples if not s.labels
    }
    assert code == 0
    assert samples["openrouter_credits_remaining_dollars"] == -0.5
    assert samples["openrouter_credits_spendable_dollars"] == -0.5
    assert samples["openrouter_credits_time_left_seconds"] == 0
    assert samples["openrouter_credits_last_success_timestamp_seconds"] == NOW.timestamp()


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (("--below", "0"), "below: spendable -$0.50 is under $0.00\n"),
        (("--below", "5"), "below: spendable -$0.50 is under $5.00\n"),
        (("--days-below", "1"), "days-below: 0.0 days left is under 1.0\n"),
        (
            ("--below", "1", "--days-below", "0.5"),
            "below: spendable -$0.50 is under $1.00\ndays-below: 0.0 days left is under 0.5\n",
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


# --- key limit windows, through the command ---------------------------------------------------


class _LiveKey(http.server.BaseHTTPRequestHandler):
    """What the live API answers a key limited to $30.00 a day with $12.00 left and $17.38 of BYOK
    usage counted in its limit (the mock's keys never reset)."""

    def do_GET(self) -> None:
        if self.path.endswith("/key"):
            data: object = {
                "label": "sk-or-v1-abc...def",
                "limit": 30.0,
                "limit_remaining": 12.0,
                "limit_reset": "daily",
                "usage": 18.0,
                "usage_daily": 18.0,
                "usage_weekly": 18.0,
                "usage_monthly": 18.0,
                "byok_usage": 17.38,
                "byok_usage_daily": 17.38,
                "byok_usage_weekly": 17.38,
                "byok_usage_monthly": 17.38,
                "include_byok_in_limit": True,
                "is_free_tier": False,
                "is_management_key": False,
                "creator_user_id": None,
            }
            body, status = json.dumps({"data": data}).encode(), 200
        else:
            body, status = b'{"error": {"code": 403, "message": "Forbidden"}}', 403
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def live_key() -> Iterator[str]:
    with on_loopback(_LiveKey) as base:
        yield base + "/api/v1"


def midnights() -> set[dt.datetime]:
    """The next 00:00 UTC, as the command may see it (a run can cross midnight)."""
    now = dt.datetime.now(dt.UTC)
    return {dt.datetime.combine((now + dt.timedelta(days=d)).date(), dt.time(), dt.UTC) for d in (1, 2)}


def test_window_through_the_command(
    live_key: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table says when the daily limit resets and shows the BYOK usage counted in it; JSON and
    Prometheus give the next reset."""
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    assert main(["--base-url", live_key]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r"Key limit +\$30\.00  \(\$12\.00 left; resets daily, in (\d+ h \d+ m|\d+ m|less than 1 m)\)", lines[7]
    )
    assert re.fullmatch(r"BYOK usage +\$17\.38  \(counted in the key's limit\)", lines[9])
    assert main(["--base-url", live_key, "--json"]) == 0
    key = json.loads(capsys.readouterr().out)["key"]
    assert (key["limit_reset"], key["byok_usage"], key["include_byok_in_limit"]) == ("daily", 17.38, True)
    assert dt.datetime.fromisoformat(key["resets_at"]) in midnights()
    assert main(["--base-url", live_key, "--format", "prometheus"]) == 0
    (family,) = [
        f
        for f in text_string_to_metric_families(capsys.readouterr().out)
        if f.name == "openrouter_credits_key_limit_reset_timestamp_seconds"
    ]
    (sample,) = family.samples
    assert dt.datetime.fromtimestamp(sample.value, dt.UTC) in midnights()
