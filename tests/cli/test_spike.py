"""--spike: today's spend so far against what was expected of it by now (the account's forecast, or
an ordinary key's 7-day pace prorated by the hour of the UTC day), in process (``main(argv,
clock=...)``) against the live mock, at 01:00 and 23:00 UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import key_info
from openrouter_credits import Activity, Credits
from openrouter_credits._apps.spike import Spike, spike_of
from openrouter_credits._combine import combine
from openrouter_credits.cli._main import main
from openrouter_credits.testing import MockOpenRouter, MockServer, activity_row
from openrouter_credits_client.models.activity_item import ActivityItem

ORDINARY = "sk-or-v1-spike-SECRET-ordinary-6a1b"
MANAGEMENT = "sk-or-v1-spike-SECRET-management-2c9d"
DAY = dt.date(2026, 11, 18)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys={ORDINARY: 50.0})
    with MockServer(app) as running:
        yield running


def at(hour: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour), tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("hour", "today", "minimum", "line"),
    [
        # $7 this week: $1.00 a day; by 01:00 the pace expects $0.0417.
        (1, 0.50, None, None),  # 12x, but under the default minimum of $1: nobody is paged
        (1, 0.50, "0", "today's spend $0.50 by 01:00 UTC is 12.0\u00d7 the 7-day average ($1.00 a day)"),
        (1, 1.50, None, "today's spend $1.50 by 01:00 UTC is 36.0\u00d7 the 7-day average ($1.00 a day)"),
        # by 23:00 it expects $0.9583
        (23, 2.00, None, None),  # 2.1x: under 3
        (23, 2.00, "0", None),
        (23, 4.00, None, "today's spend $4.00 by 23:00 UTC is 4.2\u00d7 the 7-day average ($1.00 a day)"),
        (23, 4.00, "5", None),  # 4.2x, but under a minimum of $5
    ],
)
def test_spike_on_an_ordinary_key(
    mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    hour: int,
    today: float,
    minimum: str | None,
    line: str | None,
) -> None:
    """Exit 1 with a ``spike:`` line when today's spend is above 3x the prorated pace and at least
    the minimum; 0 otherwise."""
    monkeypatch.setenv("OPENROUTER_API_KEY", ORDINARY)
    mock.app.set_key(ORDINARY, usage_daily=today, usage_weekly=7.0)
    argv = ["--base-url", mock.base_url, "--spike", "3", *(["--spike-min-dollars", minimum] if minimum else [])]
    status = main(argv, clock=lambda: at(hour))
    err = capsys.readouterr().err
    assert status == (0 if line is None else 1)
    assert [x for x in err.splitlines() if x.startswith("spike:")] == ([] if line is None else [f"spike: {line}"])


def test_spike_of_a_management_key_counts_the_listed_keys(
    mock: MockServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A management key's own usage is 0: its spike is the account's keys' usage_daily sum against the
    account's forecast of the day so far. Weekdays spend $1.20, weekends $0.50 ($1.00 a day on
    average): on Wednesday $3.00 by 12:00 is 5x the $0.60 expected; on Sunday $1.00 by 12:00 is 4x
    the $0.25 expected (exit 1), where the week's average ($0.50 by then) would have seen 2x. When
    the keys cannot be listed, unknown with the listing's error, and its status (4 for a 503)."""
    monkeypatch.setenv("OPENROUTER_API_KEY", MANAGEMENT)
    days = [DAY + dt.timedelta(days=4 - back) for back in range(1, 35)]
    mock.app.set_activity({day.isoformat(): 1.2 if day.weekday() < 5 else 0.5 for day in days})
    mock.app.set_keys([{"name": "a", "usage_daily": 2.0}, {"name": "b", "usage_daily": 1.0}])
    argv = ["--base-url", mock.base_url, "--spike", "3", "--max-retries", "0"]
    assert main(argv, clock=lambda: at(12)) == 1
    spike = "spike: today's spend $3.00 by 12:00 UTC is 5.0\u00d7 the weekday forecast ($1.20 for today)"
    assert spike in capsys.readouterr().err.splitlines()
    mock.app.set_keys([{"name": "a", "usage_daily": 0.6}, {"name": "b", "usage_daily": 0.4}])
    sunday = at(12) + dt.timedelta(days=4)
    assert main(argv, clock=lambda: sunday) == 1
    spike = "spike: today's spend $1.00 by 12:00 UTC is 4.0\u00d7 the weekday forecast ($0.50 for today)"
    assert spike in capsys.readouterr().err.splitlines()
    mock.app.fail_next(1, status=503, endpoint="keys")
    assert main([*argv, "--json"], clock=lambda: at(12)) == 4
    assert (
        "error: --spike needs today's spend, the sum of usage_daily over the account's keys, which could not be "
        "listed: OpenRouter failed to answer (HTTP 503: Injected fault: HTTP 503). Try again later."
    ) in capsys.readouterr().err


def test_a_short_history_expects_the_7_day_average() -> None:
    """Ten days of $2 (too few for the weekday model): the 7-day average, $1.00 expected by 12:00."""
    noon = at(12)
    rows = [ActivityItem.from_dict(activity_row(DAY - dt.timedelta(days=back), 2.0)) for back in range(1, 11)]
    balance = combine(Credits(total_credits=10.0, total_usage=1.0), key_info(is_management_key=True),
                      Activity(rows, DAY), {}, noon)  # fmt: skip
    spike, _ = spike_of(balance, noon, today=4.0)
    assert spike is not None
    assert (spike.expected, spike.basis) == (pytest.approx(1.0), "7-day average")
    assert spike.describe() == "today's spend $4.00 by 12:00 UTC is 4.0\u00d7 the 7-day average ($2.00 a day)"


@pytest.mark.parametrize("value", ["1", "0", "-2", "nan"])
def test_spike_must_be_a_multiple_above_1(capsys: pytest.CaptureFixture[str], value: str) -> None:
    """--spike 1 would page on an ordinary day: refused (2)."""
    with pytest.raises(SystemExit) as exited:
        main(["--spike", value])
    assert exited.value.code == 2
    assert f"argument --spike: {value!r} is not a multiple above 1 (such as 3)" in capsys.readouterr().err


def test_the_expected_spend_is_prorated_by_the_utc_hour() -> None:
    """$7 a day: $0.29 expected by 01:00, $6.71 by 23:00, nothing at midnight (any spend is above)."""
    assert Spike(1.0, 7.0, at(1)).expected == pytest.approx(7 / 24)
    assert Spike(1.0, 7.0, at(23)).expected == pytest.approx(7 * 23 / 24)
    midnight = Spike(1.0, 7.0, at(0))
    assert midnight.ratio is None
    assert midnight.tripped(3, 1.0)
    assert midnight.describe() == "today's spend $1.00 by 00:00 UTC is above the 7-day average ($7.00 a day)"


def test_spike_of_config_keys(
    mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--config: the file's spike and spike_min_dollars per key, the line naming the key."""
    monkeypatch.setenv("SPIKE_KEY", ORDINARY)
    config = tmp_path / "keys.toml"
    config.write_text('[keys.team-b]\napi_key_env = "SPIKE_KEY"\nspike = 3\nspike_min_dollars = 0.25\n')
    mock.app.set_key(ORDINARY, usage_daily=0.5, usage_weekly=7.0)
    assert main(["--base-url", mock.base_url, "--config", str(config)], clock=lambda: at(1)) == 1
    assert "spike: team-b: today's spend $0.50 by 01:00 UTC is 12.0\u00d7 the 7-day average ($1.00 a day)\n" in (
        capsys.readouterr().err
    )
