"""openrouter-credits keys and spend --by, in process through main() against the live mock: exact
output (table and JSON), exit codes, --status for cron, an ordinary key's exit 3, and no secrets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from commanding import KEY, ORDINARY, in_process
from prometheus_client.parser import text_string_to_metric_families

from openrouter_credits.cli import main
from openrouter_credits.cli.keys import keys_table
from openrouter_credits.testing import MockOpenRouter, MockServer, activity_row

#: Keys whose table does not depend on the time of day: limits without a reset, or none.
KEYS: list[dict[str, Any]] = [
    {"name": "small", "hash": "1" * 64, "label": "sk-or-v1-111...1111", "usage": 1.0, "usage_monthly": 1.0},
    {
        "name": "capped",
        "hash": "2" * 64,
        "label": "sk-or-v1-222...2222",
        "limit": 100.0,
        "usage": 95.0,
        "usage_daily": 1.0,
        "usage_weekly": 14.0,
        "usage_monthly": 30.0,
    },
    {
        "name": "slow",
        "hash": "3" * 64,
        "label": "sk-or-v1-333...3333",
        "limit": 50.0,
        "usage": 20.0,
        "usage_weekly": 7.0,
        "usage_monthly": 8.0,
    },
    {"name": "gone", "hash": "4" * 64, "label": "sk-or-v1-444...4444", "expires_at": "2020-01-01T00:00:00Z"},
    {"name": "off", "hash": "5" * 64, "label": "sk-or-v1-555...5555", "disabled": True, "usage_monthly": 99.0},
]
TABLE = """\
Name    Label                        Limit    Used    Left  Resets in  Today    Week   Month  Status
capped  sk-or-v1-222...2222  $100.00 total  $95.00   $5.00          -  $1.00  $14.00  $30.00  will_exhaust
slow    sk-or-v1-333...3333   $50.00 total  $20.00  $30.00          -  $0.00   $7.00   $8.00  ok
small   sk-or-v1-111...1111           none       -       -          -  $0.00   $0.00   $1.00  ok
gone    sk-or-v1-444...4444           none       -       -          -  $0.00   $0.00   $0.00  expired
4 keys
"""


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """A mock on the real clock: the views' windows and estimates are checked against today."""
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys=[ORDINARY])) as running:
        yield running


def cli(mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """The command in process, on the real clock."""
    return in_process(mock, capsys, monkeypatch, *args, now=None)


@pytest.fixture
def account(mock: MockServer) -> MockServer:
    mock.app.set_keys(KEYS)
    return mock


def test_table(account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The most spent this month first; the disabled key left out; the status of each."""
    assert cli(account, capsys, monkeypatch, "keys") == (0, TABLE, "")


def test_include_disabled(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--include-disabled lists the disabled key too, first here (the most spent)."""
    code, out, _ = cli(account, capsys, monkeypatch, "keys", "--include-disabled")
    assert code == 0
    assert out.splitlines()[1].split()[0] == "off"
    assert out.splitlines()[1].split()[-1] == "disabled"
    assert out.splitlines()[-1] == "5 keys"


def test_json(account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--json: every field, null where unknown or not applicable."""
    code, out, _ = cli(account, capsys, monkeypatch, "keys", "--json")
    assert code == 0
    keys = json.loads(out)
    assert [k["name"] for k in keys] == ["capped", "slow", "small", "gone"]
    capped = keys[0]
    exhausts_at = capped.pop("exhausts_at")
    assert capped == {
        "name": "capped",
        "label": "sk-or-v1-222...2222",
        "hash": "2" * 64,
        "disabled": False,
        "limit": 100.0,
        "limit_remaining": 5.0,
        "limit_reset": None,
        "resets_at": None,
        "usage": 95.0,
        "usage_daily": 1.0,
        "usage_weekly": 14.0,
        "usage_monthly": 30.0,
        "byok_usage": 0.0,
        "expires_at": None,
        "workspace_id": "00000000-0000-4000-8000-000000000000",
        "workspace_name": "Default",
        "last_used_at": None,
        "window_usage": 95.0,
        "pace_per_day": 2.0,
        "projected_at_reset": None,
        "status": "will_exhaust",
        "workspaces": "all",
        "workspaces_note": None,
    }
    # $5 left at $2 a day: in 2.5 days (to the second, from whenever the test ran).
    left = dt.datetime.fromisoformat(exhausts_at) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=2.5) - dt.timedelta(minutes=1) < left <= dt.timedelta(days=2.5)
    assert keys[3]["expires_at"] == "2020-01-01T00:00:00Z"
    assert keys[3]["status"] == "expired"


@pytest.mark.parametrize(
    ("statuses", "code", "names"),
    [("will_exhaust,expired", 1, ["capped", "gone"]), ("near_limit", 0, []), ("ok", 1, ["slow", "small"])],
)
def test_status_for_cron(
    account: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    statuses: str,
    code: int,
    names: list[str],
) -> None:
    """--status lists only the keys in those statuses, and exits 1 when there is any."""
    got, out, _ = cli(account, capsys, monkeypatch, "keys", "--status", statuses, "--json")
    assert (got, [k["name"] for k in json.loads(out)]) == (code, names)


def test_bad_status(account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown status is a usage error that names the statuses."""
    with pytest.raises(SystemExit) as exited:
        cli(account, capsys, monkeypatch, "keys", "--status", "broke")
    assert exited.value.code == 2
    assert "'broke' is not a status; the statuses are disabled, expired" in capsys.readouterr().err


def test_prometheus(account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--format prometheus: the listed keys' series, parseable, by name and short hash."""
    code, out, _ = cli(account, capsys, monkeypatch, "keys", "--format", "prometheus")
    assert code == 0
    families = {f.name: f for f in text_string_to_metric_families(out)}
    limits = {s.labels["key_name"]: s.value for s in families["openrouter_credits_account_key_limit_dollars"].samples}
    assert limits == {"capped": 100.0, "slow": 50.0}
    usage = families["openrouter_credits_account_key_usage_dollars"].samples
    assert {s.labels["key_hash"] for s in usage} == {"1" * 12, "2" * 12, "3" * 12, "4" * 12}


def test_ordinary_key(account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An ordinary key: exit 3 and one line saying a management key is needed."""
    monkeypatch.setenv("OPENROUTER_API_KEY", ORDINARY)
    code = main(["keys", "--base-url", account.base_url])
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert err == (
        "error: listing keys needs a management key; this key was refused "
        "(HTTP 401: Only management keys can perform this operation). Create one at "
        "https://openrouter.ai/settings/management-keys.\n"
    )
    assert ORDINARY not in err


def test_a_failing_listing(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 on /keys after retries: exit 4, nothing on stdout."""
    account.app.fail_next(3, status=429, endpoint="keys")
    code, out, err = cli(account, capsys, monkeypatch, "keys", "--max-retries", "0")
    assert (code, out) == (4, "")
    assert err.startswith("error: ")


def test_table_windows() -> None:
    """The pure table with the time given: $9 of $10 by 18:00 is $12 a day, the limit reached at 20:00,
    before midnight: will_exhaust; resets in 6 h and (1 December) 5 d 6 h."""
    from openrouter_credits import ApiKey
    from openrouter_credits.testing._listing import listed_key
    from openrouter_credits_client.models.list_api_keys_response_200_data_item import (
        ListApiKeysResponse200DataItem,
    )

    def key(**fields: Any) -> ApiKey:
        return ApiKey.from_generated(ListApiKeysResponse200DataItem.from_dict(listed_key(**fields)))

    now = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
    table = keys_table(
        [
            key(name="d", label="L", limit=10.0, limit_reset="daily", usage_daily=9.0, usage_monthly=9.0),
            key(name="m", label="L", limit=100.0, limit_reset="monthly", usage_monthly=5.0),
        ],
        now,
    )
    assert table == (
        "Name  Label          Limit   Used    Left  Resets in  Today   Week  Month  Status\n"
        "d     L         $10.00/day  $9.00   $1.00    6 h 0 m  $9.00  $0.00  $9.00  will_exhaust\n"
        "m     L      $100.00/month  $5.00  $95.00    5 d 6 h  $0.00  $0.00  $5.00  ok\n"
        "2 keys"
    )


# --- spend --by ---------------------------------------------------------------------------------------


@pytest.fixture
def models(mock: MockServer) -> MockServer:
    """Three models over the 30 days before today; 12 in all for --top."""
    today = dt.datetime.now(dt.UTC).date()

    def day(back: int) -> dt.date:
        return today - dt.timedelta(days=back)

    rows = [
        activity_row(day(1), 3.0, model="a/one", requests=3),
        activity_row(day(20), 3.0, model="a/one", requests=1),
        activity_row(day(2), 2.0, model="b/two", requests=2),
        activity_row(day(10), 6.0, model="c/three", requests=6),
    ]
    rows += [activity_row(day(3), 0.1, model=f"z/{i:02d}") for i in range(9)]
    mock.app.set_activity(rows)
    return mock


SPEND_BY_MODEL = """\
Model    30 days  Share  7 days
a/one      $6.00  40.3%   $3.00  ########################################
c/three    $6.00  40.3%   $0.00  ########################################
b/two      $2.00  13.4%   $2.00  #############
z/00       $0.10   0.7%   $0.10  #
other      $0.80   5.4%   $0.80  #####
Total $14.90 over 30 days, $5.90 in the last 7
"""


def test_spend_by_model(
    models: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The top N by the 30 days' spend (ties by name), then other; the 7 days beside."""
    assert cli(models, capsys, monkeypatch, "spend", "--by", "model", "--top", "4") == (0, SPEND_BY_MODEL, "")


def test_spend_by_json(models: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """--json: every model, the most spent first, with the 7 days, requests and share."""
    code, out, _ = cli(models, capsys, monkeypatch, "spend", "--by", "provider", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"provider": "A", "usage": 6.0, "usage_7d": 3.0, "requests": 4, "share": 6 / 14.9},
        {"provider": "C", "usage": 6.0, "usage_7d": 0.0, "requests": 6, "share": 6 / 14.9},
        {"provider": "B", "usage": 2.0, "usage_7d": 2.0, "requests": 2, "share": 2 / 14.9},
        {"provider": "Z", "usage": 0.9, "usage_7d": 0.9, "requests": 9, "share": 0.9 / 14.9},
    ]


def test_view_lines(models: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A management key's view ends with the number of keys (and how many are near or past their
    limit) and the top model of the last 7 days; /keys failing makes that line unknown, not the view."""
    models.app.set_keys(KEYS)
    code, out, _ = cli(models, capsys, monkeypatch)
    assert code == 0
    assert out.splitlines()[-2:] == [
        "Keys: 4 (1 near or past their limit; openrouter-credits keys lists them)",
        "Top model of the last 7 days: a/one ($3.00)",
    ]
    models.app.fail_next(3, status=500, endpoint="keys")
    code, out, err = cli(models, capsys, monkeypatch, "--max-retries", "0")
    assert (code, err) == (0, "")
    assert out.splitlines()[-2].startswith(
        "Keys: unknown, since listing them failed: OpenRouter failed to answer (HTTP 500"
    )


def test_bad_workspace(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--workspace names no workspace of the account (by name, or by id): a usage error naming the
    option and the workspaces there are; nothing listed."""
    account.app.reset()
    code, out, err = cli(account, capsys, monkeypatch, "keys", "--workspace", "nope")
    assert (code, out) == (2, "")
    assert err == "error: --workspace: no workspace of the account is named 'nope'; its workspaces are 'Default'.\n"
    assert [path for _, path, _ in account.app.requests] == ["/api/v1/workspaces"]
    other = "00000000-0000-4000-8000-0000000000ff"
    code, out, err = cli(account, capsys, monkeypatch, "keys", "--workspace", other)
    assert (code, out) == (2, "")
    assert err == f"error: --workspace: the account has no workspace with the id {other}.\n"
