"""The ledger's longer history behind the forecast: spend_history (gaps and partial days left out,
/activity's days in place of the ledger's), the view's forecast resting on it, and report's month-end
projection with its range (in process, the clock at NOW)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_mock import NOW

from helpers import Clock
from openrouter_credits import DailySpend
from openrouter_credits._forecast import forecast_spend
from openrouter_credits._format import estimate_dollars
from openrouter_credits.cli._main import main
from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._history import spend_history
from openrouter_credits.ledger._nano import to_nano
from openrouter_credits.ledger._store import Day, Row
from openrouter_credits.testing import MockOpenRouter, MockServer

TODAY = NOW.date()  # a Tuesday, 24 November 2026


def weekly(day: dt.date) -> float:
    """About $1.40 on weekdays and $0.30 at weekends, give or take 20 cents (whole cents)."""
    return round((1.4 if day.weekday() < 5 else 0.3) + 0.1 * (day.toordinal() % 5 - 2), 2)


def analytics_day(day: dt.date, usage: float, *, complete: bool = True) -> Day:
    row = Row(key_id="", model="openai/gpt-4.1", provider="", endpoint="", workspace="", usage_nano=to_nano(usage),
              byok_nano=None, requests=1, tokens=None)  # fmt: skip
    return Day(day, [row], complete)


def fill(path: Path, days: range, *, gap: dt.date | None = None, partial: dt.date | None = None) -> None:
    """Analytics' answers for the days ``days`` back from TODAY, the weekly pattern; ``gap`` not
    covered, ``partial`` covered in part."""
    answered = []
    for back in days:
        day = TODAY - dt.timedelta(days=back)
        if day != gap:
            answered.append(analytics_day(day, weekly(day), complete=day != partial))
    with open_ledger(Location(path=path)) as ledger:
        ledger.record_days("analytics", "model", answered, NOW)


def test_spend_history_leaves_gaps_and_partial_days_out(tmp_path: Path) -> None:
    """The completed days the ledger holds whole, oldest first, up to the 84 the model reads; a gap or
    a partial day left out; /activity's days in place of the ledger's from their first on."""
    path = tmp_path / "ledger.sqlite3"
    gap, partial = TODAY - dt.timedelta(days=50), TODAY - dt.timedelta(days=40)
    fill(path, range(0, 120), gap=gap, partial=partial)
    recent = [DailySpend(TODAY - dt.timedelta(days=back), 9.0) for back in range(10, 0, -1)]
    with open_ledger(Location(path=path), create=False) as ledger:
        alone = spend_history(ledger, TODAY)
        joined = spend_history(ledger, TODAY, recent=recent)
    assert alone[0].date == TODAY - dt.timedelta(days=84)
    assert alone[-1] == DailySpend(TODAY - dt.timedelta(days=1), weekly(TODAY - dt.timedelta(days=1)))
    assert [day.date for day in alone] == sorted(day.date for day in alone)
    assert gap not in [day.date for day in alone]
    assert partial not in [day.date for day in alone]
    assert len(alone) == 84 - 2
    assert joined[-10:] == recent
    assert joined[:-10] == [day for day in alone if day.date < recent[0].date]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(clock=Clock(NOW))) as running:
        yield running


def view(mock: MockServer, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["--base-url", mock.base_url, "--json", *args], clock=lambda: NOW) == 0
    forecast = json.loads(capsys.readouterr().out)["forecast"]
    assert isinstance(forecast, dict)
    return forecast


def test_the_view_forecasts_from_the_ledgers_longer_history(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without a ledger, the weekday model over /activity's 30 days (4 weeks of shape); with a ledger
    that remembers the 60 days before, over 84 days (8 weeks of shape): the ledger's days, then
    /activity's."""
    days = {TODAY - dt.timedelta(days=back): weekly(TODAY - dt.timedelta(days=back)) for back in range(1, 31)}
    mock.app.set_activity({day.isoformat(): usage for day, usage in days.items()})
    monkeypatch.setenv("OPENROUTER_API_KEY", mock.app.provisioning_key)
    before = view(mock, capsys)
    assert (before["method"], before["history_days"]) == ("weekday", 30)
    path = tmp_path / "ledger.sqlite3"
    fill(path, range(31, 91))
    monkeypatch.setenv("OPENROUTER_CREDITS_LEDGER", str(path))
    after = view(mock, capsys)
    history = [DailySpend(TODAY - dt.timedelta(days=back), weekly(TODAY - dt.timedelta(days=back)))
               for back in range(84, 0, -1)]  # fmt: skip
    expected = forecast_spend(history, at=NOW)
    assert (after["method"], after["history_days"]) == ("weekday", 84)
    assert after["spend_per_day"] == pytest.approx(expected.spend_per_day)
    assert after["daily"] != before["daily"]
    assert after["daily"] == [  # each figure as JSON gives an estimate
        {
            "date": day.date.isoformat(),
            "spend": estimate_dollars(day.central),
            "low": estimate_dollars(day.low),
            "high": estimate_dollars(day.high),
        }
        for day in expected.daily
    ]


def _named(way: str, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ledger at ``path`` named ``way``: the arguments that name it (with the environment set)."""
    if way == "--ledger":
        return ["--ledger", str(path)]
    if way == "env":
        monkeypatch.setenv("OPENROUTER_CREDITS_LEDGER", str(path))
    elif way == "default":
        monkeypatch.setenv("XDG_DATA_HOME", str(path.parent.parent))
    elif way == "--config":
        config = tmp_path / "keys.toml"
        config.write_text(f'ledger = "{path}"\n[keys.main]\napi_key_env = "OPENROUTER_API_KEY"\n')
        return ["--config", str(config)]
    return []


@pytest.mark.parametrize("way", ["--ledger", "--config", "env", "default"])
@pytest.mark.parametrize("key_fails", [False, True], ids=["key-answers", "key-fails"])
def test_the_view_finds_the_ledger_wherever_it_is_named(
    mock: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    way: str,
    key_fails: bool,
) -> None:
    """One rule: --ledger, the config file's ledger, $OPENROUTER_CREDITS_LEDGER or the default file
    give the view's forecast the ledger's 84 days, whether /key answers or not (the history is
    /activity's and the ledger's, not /key's)."""
    mock.app.set_activity({
        (TODAY - dt.timedelta(days=back)).isoformat(): weekly(TODAY - dt.timedelta(days=back)) for back in range(1, 31)
    })  # fmt: skip
    monkeypatch.setenv("OPENROUTER_API_KEY", mock.app.provisioning_key)
    monkeypatch.delenv("OPENROUTER_CREDITS_LEDGER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    path = tmp_path / "data" / "openrouter-credits" / "ledger.sqlite3"
    path.parent.mkdir(parents=True)
    fill(path, range(31, 91))
    args = _named(way, path, tmp_path, monkeypatch)
    if key_fails:
        mock.app.fail_next(5, status=503, endpoint="key")
    code = main(["--base-url", mock.base_url, "--json", "--max-retries", "0", *args], clock=lambda: NOW)
    shown = json.loads(capsys.readouterr().out)
    forecast = (shown[0] if way == "--config" else shown)["forecast"]
    assert code == (4 if key_fails else 0)
    assert (forecast["method"], forecast["history_days"]) == ("weekday", 84)


def test_a_ledger_named_but_missing_is_said_and_the_default_one_missing_is_not(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ledger named that is not there: the 30 days, and a note saying why; the default ledger not
    there yet: the 30 days, silently; a ledger named wrongly: a usage error before any call."""
    monkeypatch.setenv("OPENROUTER_API_KEY", mock.app.provisioning_key)
    monkeypatch.delenv("OPENROUTER_CREDITS_LEDGER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    missing = tmp_path / "nowhere.sqlite3"
    assert main(["--base-url", mock.base_url, "--ledger", str(missing)], clock=lambda: NOW) == 0
    out = capsys.readouterr().out
    assert f"30 days of /activity: the ledger could not be read (There is no ledger at {missing} yet" in out
    assert main(["--base-url", mock.base_url], clock=lambda: NOW) == 0
    assert "ledger" not in capsys.readouterr().out
    assert main(["--base-url", mock.base_url, "--ledger", "ftp://host/x"], clock=lambda: NOW) == 2
    assert capsys.readouterr().err == "error: --ledger: ftp:// is not a ledger; use a file path or postgresql://.\n"
    with pytest.raises(SystemExit, match="2"):
        main(["--ledger", str(missing), "report"], clock=lambda: NOW)
    assert "give it after, report --ledger" in capsys.readouterr().err


def test_report_projects_the_month_with_its_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report's current month: so far, and the forecast of the ledger's days to the month's end with
    its 80 % range and method, in the table and in JSON."""
    path = tmp_path / "ledger.sqlite3"
    fill(path, range(1, 91))
    assert main(["report", "--ledger", str(path), "--json"], clock=lambda: NOW) == 0
    current = json.loads(capsys.readouterr().out)[-1]
    with open_ledger(Location(path=path), create=False) as ledger:
        projected = forecast_spend(spend_history(ledger, TODAY), at=NOW).month_end_spend()
    assert projected is not None
    assert projected.low is not None
    assert projected.high is not None
    assert projected.low < projected.central < projected.high
    assert (current["month"], current["so_far"], current["forecast_method"]) == ("2026-11", True, "weekday")
    assert (current["projected"], current["projected_low"], current["projected_high"]) == pytest.approx(projected)
    assert main(["report", "--ledger", str(path)], clock=lambda: NOW) == 0
    *_, row, _, footnote = capsys.readouterr().out.splitlines()
    assert footnote == "Change is from the month before; 2026-11 so far is from the same days of 2026-10 (1 to 23)"
    assert row.startswith("2026-11")
    assert row.endswith(
        f"so far; ${projected.central:.2f} projected (${projected.low:.2f} to ${projected.high:.2f}, weekday)"
    )
