"""The ledger's Grafana dashboard: every panel's SQL runs on the real PostgreSQL against a synced
ledger, with Grafana's macros expanded as its PostgreSQL data source does, and the daily panel adds
up to the ledger's own days."""

from __future__ import annotations

import datetime as dt
import json
import re

import psycopg
import pytest
from ledger_mock import NOW, sync_ledger

from helpers import ROOT
from openrouter_credits.ledger import Location, open_ledger
from openrouter_credits.ledger._reports import day_totals
from openrouter_credits.testing import MockServer

DASHBOARD = ROOT / "dashboards" / "openrouter-credits-ledger.json"
FROM, TO = "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z"


def expand(sql: str) -> str:
    """Grafana's macros as its PostgreSQL data source expands them for the range FROM..TO."""
    sql = re.sub(r"\$__timeFilter\(([\w.]+)\)", rf"\1 BETWEEN '{FROM}' AND '{TO}'", sql)
    return sql.replace("$__timeFrom()", f"'{FROM}'").replace("$__timeTo()", f"'{TO}'")


@pytest.fixture
def synced(account: MockServer, pg_url: str) -> str:
    sync_ledger(account, Location(url=pg_url), NOW)
    return pg_url


@pytest.mark.xdist_group("postgresql")  # with the other tests on PostgreSQL (conftest)
def test_every_panel_runs_on_postgresql(synced: str) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["__inputs"][0]["pluginId"] == "grafana-postgresql-datasource"
    results = {}
    with psycopg.connect(synced) as conn:
        for panel in dashboard["panels"]:
            (target,) = panel["targets"]
            assert "$__" not in expand(target["rawSql"])
            results[panel["title"]] = conn.execute(expand(target["rawSql"])).fetchall()
    with open_ledger(Location(url=synced)) as ledger:
        days = [t for t in day_totals(ledger, dt.date(2026, 10, 1), dt.date(2026, 11, 30)) if t.usage_nano is not None]
    assert [float(v) for _, v in results["Spend per day"]] == [t.usage_nano / 1e9 for t in days]
    assert results["Days not in the ledger"] == [(61 - len(days),)]
    assert sum(float(v) for _, v in results["Spend per month"]) == pytest.approx(sum(t.usage_nano for t in days) / 1e9)
    assert ("ci", "a" * 64) not in {
        (k, h) for k, h, _ in results["Spend per key (from key snapshots)"]
    }  # not complete yet
