"""The thresholds' lines and exit statuses, in process through main() against the live mock: each
line names the threshold that tripped; a spike of a management key under --config reads the listing;
a check that could not be made is never hidden by one that tripped (the highest status wins)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from openrouter_credits.cli import main
from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-thresholds-SECRET-management-5e7a"
ORDINARY = "sk-or-v1-thresholds-SECRET-ordinary-0b3c"
DAY = dt.date(2026, 11, 18)
NOON = dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC)
SPIKE = "today's spend $3.00 by 12:00 UTC is 6.0\u00d7 the weekday forecast ($1.00 for today)"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys={ORDINARY: 10.0})
    with MockServer(app) as running:
        yield running


@pytest.fixture
def account(mock: MockServer) -> MockServer:
    """$1.00 a day for 30 days before DAY ($17.50 left: 17.5 days), two listed keys spending $3.00 today."""
    mock.app.set_activity({(DAY - dt.timedelta(days=back)).isoformat(): 1.0 for back in range(1, 31)})
    mock.app.set_keys([{"name": "a", "usage_daily": 2.0}, {"name": "b", "usage_daily": 1.0}])
    return mock


def view(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("THRESHOLDS_KEY", KEY)
    code = main(["--base-url", mock.base_url, "--max-retries", "0", *args], clock=lambda: NOON)
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return code, err


def config(tmp_path: Path, settings: str) -> str:
    path = tmp_path / "keys.toml"
    path.write_text(f'[keys.acct]\napi_key_env = "THRESHOLDS_KEY"\n{settings}\n')
    return str(path)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--below", "20"], "below: spendable $17.50 is under $20.00"),
        (["--days-below", "20"], "days-below: 17.5 days left is under 20.0"),
        (["--spike", "3"], f"spike: {SPIKE}"),
    ],
)
def test_each_line_names_the_threshold_that_tripped(
    account: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    line: str,
) -> None:
    """--below's line starts below:, --days-below's days-below:, --spike's spike:; exit 1."""
    assert view(account, capsys, monkeypatch, *args) == (1, line + "\n")


def test_below_at_most_names_below(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spendable unknown but at most $17.50 (/key refused): the line is below:'s."""
    account.app.fail_next(1, status=403, endpoint="key")
    assert view(account, capsys, monkeypatch, "--below", "20") == (
        1,
        "below: spendable is at most $17.50, under $20.00\n",
    )


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        ("below = 20", "below: acct: spendable $17.50 is under $20.00"),
        ("days_below = 20", "days-below: acct: 17.5 days left is under 20.0"),
        ("spike = 3", f"spike: acct: {SPIKE}"),
        ("spike = 3\ndiscover = true", f"spike: acct: {SPIKE}"),
    ],
)
def test_config_lines_name_the_threshold_and_the_key(
    account: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    settings: str,
    line: str,
) -> None:
    """--config: the threshold's word, then the key's name. A management key's spike is the sum over
    its listed keys, read from GET /keys as without --config (discover or not)."""
    assert view(account, capsys, monkeypatch, "--config", config(tmp_path, settings)) == (1, line + "\n")
    listed = [path for _, path, _ in account.app.requests if path.endswith("/keys")]
    assert listed == (["/api/v1/keys"] if "spike" in settings else [])


def test_an_unknown_spike_is_not_hidden_by_a_tripped_below(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """below trips (1) while the spike cannot be known (the listing refused: 3): both are said, the
    spike by its setting, and the exit status is the higher, 3; the same with the options."""
    account.app.fail_next(1, status=403, endpoint="keys")
    code, err = view(account, capsys, monkeypatch, "--config", config(tmp_path, "below = 20\nspike = 3"))
    assert code == 3
    lines = err.splitlines()
    assert "below: acct: spendable $17.50 is under $20.00" in lines
    [error] = [line for line in lines if line.startswith("error: ")]
    assert re.fullmatch(
        r"error: acct: spike of \[keys\.acct\] needs today's spend, the sum of usage_daily over the account's "
        r"keys, which could not be listed: This key may not read the account's keys \(HTTP 403: Injected fault: "
        r"HTTP 403\)\. That needs a provisioning \(management\) key; create one at "
        r"https://openrouter\.ai/settings/management-keys\. \(request id mock-\d+\)",
        error,
    )
    account.app.fail_next(1, status=403, endpoint="keys")
    code, err = view(account, capsys, monkeypatch, "--below", "20", "--spike", "3", "--json")
    assert code == 3
    assert "below: spendable $17.50 is under $20.00" in err.splitlines()
    assert "error: --spike needs today's spend" in err


def test_a_failed_listing_gives_its_own_status(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing failing with a 503 leaves the spike unknown for a reason that passes: exit 4 (a
    server error, as for any failed call the thresholds needed), never hidden by --below's 1."""
    account.app.fail_next(1, status=503, endpoint="keys")
    code, err = view(account, capsys, monkeypatch, "--below", "20", "--spike", "3", "--json")
    assert code == 4
    assert "below: spendable $17.50 is under $20.00" in err.splitlines()
    assert (
        "error: --spike needs today's spend, the sum of usage_daily over the account's keys, which could not be "
        "listed: OpenRouter failed to answer (HTTP 503: Injected fault: HTTP 503). Try again later. (request id"
    ) in err


def test_a_tripped_below_does_not_hide_a_failed_call(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/activity failing (4) while --below trips (1): both said, exit 4."""
    account.app.fail_next(1, status=503, endpoint="activity")
    code, err = view(account, capsys, monkeypatch, "--below", "20")
    assert code == 4
    lines = err.splitlines()
    assert lines[0].startswith("error: OpenRouter failed to answer (HTTP 503")
    assert lines[1:] == ["below: spendable $17.50 is under $20.00"]


def test_days_below_conservative_compares_the_low_end_of_the_range(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spend that varies from day to day ($0.80 to $1.20, $1 a day on average): $17.50 lasts about
    17.5 days, at the high end of the spend's range fewer. --days-below 17 passes on the central
    value and trips with --conservative, whose line names the low end; --conservative alone is
    refused (2)."""
    wobble = {(DAY - dt.timedelta(days=back)): 1.0 + 0.2 * ((back % 3) - 1) for back in range(1, 31)}
    mock.app.set_activity({day.isoformat(): usage for day, usage in wobble.items()})
    assert view(mock, capsys, monkeypatch, "--days-below", "17") == (0, "")
    code, err = view(mock, capsys, monkeypatch, "--days-below", "17", "--conservative")
    match = re.fullmatch(r"days-below: (\d+\.\d) days left at the low end of its range is under 17\.0\n", err)
    assert (code, bool(match)) == (1, True), err
    assert match is not None
    assert float(match.group(1)) < 17
    assert view(mock, capsys, monkeypatch, "--conservative") == (
        2,
        "error: --conservative changes what --days-below compares: give --days-below DAYS too.\n",
    )
