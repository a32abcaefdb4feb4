"""serve's forecast, in process against the live mock: its method and range on /metrics, and, with a
ledger, its longer history (the ledger's days before the 30 of /activity, read once a day)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from exporting import MANAGEMENT, MakeExporter

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits.exporter._ledger_hook import LedgerWriter
from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._nano import to_nano
from openrouter_credits.ledger._store import Day, Row
from openrouter_credits.testing import MockServer


def weekly(day: dt.date) -> float:
    """About $1.40 on weekdays and $0.30 at weekends, give or take 20 cents (whole cents)."""
    return round((1.4 if day.weekday() < 5 else 0.3) + 0.1 * (day.toordinal() % 5 - 2), 2)


def test_serve_forecasts_from_the_ledgers_longer_history(
    mock: MockServer, exporter: MakeExporter, tmp_path: Path
) -> None:
    """/activity's 30 days alone: the weekday model over 30 days; with a ledger that holds the 60 days
    before them: over 84 (all the model reads). /metrics gives the method, days left with its range
    and the month's end with its range."""
    today = dt.datetime.now(dt.UTC).date()  # the clients' clock is the real one
    days = [today - dt.timedelta(days=back) for back in range(90, 0, -1)]
    mock.app.set_activity({day.isoformat(): weekly(day) for day in days[-30:]})
    path = tmp_path / "ledger.sqlite3"
    with open_ledger(Location(path=path)) as ledger:
        rows = {day: Row("", "openai/gpt-4.1", "", "", "", to_nano(weekly(day)), None, 1, None) for day in days}
        ledger.record_days("analytics", "model", [Day(day, [rows[day]], True) for day in days[:-30]],
                           dt.datetime.now(dt.UTC))  # fmt: skip

    async def scenario() -> None:
        alone = exporter(KeySpec("acct", MANAGEMENT))
        await alone.poll("acct")
        balance = alone.states["acct"].balance
        assert balance is not None
        assert balance.forecast is not None
        assert (balance.forecast.method, balance.forecast.history_days) == ("weekday", 30)
        metrics = alone.route("GET", "/metrics")[1].decode()
        await alone.aclose()
        assert 'openrouter_credits_forecast_info{key="acct",method="weekday"} 1' in metrics
        for family in ("time_left", "time_left_low", "time_left_high"):
            assert f'openrouter_credits_{family}_seconds{{key="acct"}} ' in metrics
        for family in ("month_end_spend", "month_end_spend_low", "month_end_spend_high"):
            assert f'openrouter_credits_{family}_dollars{{key="acct"}} ' in metrics

        writer = LedgerWriter(open_ledger(Location(path=path), create=False))
        with_ledger = exporter(KeySpec("acct", MANAGEMENT), ledger=writer)
        for _ in range(2):  # the ledger's older days are read once a day: closed, the second poll has them
            await with_ledger.poll("acct")
            balance = with_ledger.states["acct"].balance
            assert balance is not None
            assert balance.forecast is not None
            assert (balance.forecast.method, balance.forecast.history_days) == ("weekday", 84)
            writer.ledger.close()
        await with_ledger.aclose()

    asyncio.run(scenario())


def test_the_forecast_is_made_at_the_clients_time(mock: MockServer, exporter: MakeExporter) -> None:
    """The balance of a poll, and so its forecast and time_left, is answered at the clients' clock
    (``client_clock``), as ``get_balance()`` is: the same figures at every run, not the real time's."""
    at = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
    mock.app.set_activity({(at.date() - dt.timedelta(days=back)).isoformat(): 0.5 for back in range(30, 0, -1)})
    shown = []

    async def scenario() -> None:
        for _ in range(2):
            watcher = exporter(KeySpec("acct", MANAGEMENT), client_clock=lambda: at)
            await watcher.poll("acct")
            balance = watcher.states["acct"].balance
            assert balance is not None
            assert balance.at == at
            metrics = watcher.route("GET", "/metrics")[1].decode()
            shown.append([line for line in metrics.splitlines() if line.startswith("openrouter_credits_time_left")])
            await watcher.aclose()

    asyncio.run(scenario())
    assert shown[0] == shown[1]
    assert len(shown[0]) == 3
