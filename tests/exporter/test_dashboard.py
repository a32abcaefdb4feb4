"""dashboards/openrouter-credits.json: importable Grafana dashboard JSON (schema 39+), every PromQL
expression parses (promtool), and it names only metrics and labels the exporter exports.

Every name is checked against the /metrics of a real ``serve`` against the mock, with a discovering
management key (``[keys.NAME] discover = true``) for the listed keys' and per-model families, and a
``[teams.NAME]`` table for the team families.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from exporting import ServeProcess, two_keys
from prometheus_client.parser import text_string_to_metric_families

from openrouter_credits._apps.metrics import PREFIX
from openrouter_credits.testing import MockServer

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "openrouter-credits.json"

#: Families of discovered keys and per-model spend, by name, with their labels: NOT checked live (this
#: branch does not emit them); to be checked against a live exporter once discovery emits them.
#: Grafana's variables, as promtool is given them.
VARIABLES = {"$key": ".*", "$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def targets() -> list[dict[str, Any]]:
    return [target for panel in dashboard()["panels"] for target in panel.get("targets", [])]


def expressions() -> list[str]:
    return [target["expr"] for target in targets()]


def substituted(expr: str) -> str:
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def test_the_dashboard_is_importable_json() -> None:
    """Grafana's export shape: a DS_PROMETHEUS input, __requires, schema 39 or later, unique panel
    ids, a gridPos for each panel, an expr and refId for each target, the key variable."""
    board = dashboard()
    for field in ("__inputs", "__requires", "title", "uid", "panels", "templating", "time", "schemaVersion"):
        assert field in board, field
    assert board["schemaVersion"] >= 39
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
    assert board["__inputs"][0]["pluginId"] == "prometheus"
    assert {(r["type"], r["id"]) for r in board["__requires"]} >= {("grafana", "grafana"), ("datasource", "prometheus")}
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        refs = [target["refId"] for target in panel.get("targets", [])]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel.get("targets", []):
            assert target["expr"].strip()
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}"
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
    (variable,) = board["templating"]["list"]
    assert (variable["name"], variable["query"]["query"]) == ("key", "label_values(openrouter_credits_up, key)")
    titles = {panel["title"] for panel in board["panels"]}
    wanted = {"Remaining", "Spendable", "Days left", "Spend per day (forecast)", "Spend per day, last 30 days",
              "Discovered keys: usage of their limit", "Spend per model (30 days)", "Up", "Poll errors",
              "Spend per team (this month)"}  # fmt: skip
    assert wanted <= titles


def test_every_expression_parses(tmp_path: Path) -> None:
    """promtool check rules on the expressions as recording rules (Grafana's variables substituted)."""
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is not installed: apt-get install prometheus (CI installs it)")
    rules = [{"record": f"dashboard:expr_{n}", "expr": substituted(expr)} for n, expr in enumerate(expressions())]
    path = tmp_path / "rules.yml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))  # JSON is YAML
    checked = subprocess.run([tool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout


def used_names() -> tuple[set[str], set[str]]:
    """The metric names and the label names the dashboard's expressions and legends use."""
    metrics: set[str] = set()
    labels: set[str] = set()
    for target in targets():
        expr = target["expr"]
        metrics |= set(re.findall(rf"\b{PREFIX}_[a-z0-9_]+\b", expr))
        for matchers in re.findall(r"\{([^}]*)\}", expr):
            labels |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
        for grouping in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            labels |= {name.strip() for name in grouping.split(",") if name.strip()}
        labels |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
    variable = dashboard()["templating"]["list"][0]["query"]["query"]
    metrics |= set(re.findall(rf"\b{PREFIX}_[a-z0-9_]+\b", variable))
    return metrics, labels


#: What a scrape shows once both keys were polled and the discovering one listed its keys and models.
READY = ('openrouter_credits_up{key="team-a"} 1', 'openrouter_credits_up{key="team-b"} 1', "model_spend", "team_spend")


def live_families(mock: MockServer, tmp_path: Path) -> dict[str, set[str]]:
    """The families a real serve exports against the mock (a management and an ordinary key; one
    failed poll so the error counter has samples), with the labels of their samples."""
    config = two_keys(tmp_path)
    config.write_text(
        config.read_text().replace("[keys.team-a]\n", "[keys.team-a]\ndiscover = true\n")
        + '\n[teams.platform]\nkeys = ["*"]\n'
    )
    exporter = ServeProcess(mock, config, "--state-dir", str(tmp_path / "state"))  # its own, not the user's
    try:
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline:
            text = httpx.get(exporter.url + "/metrics").text
            if all(part in text for part in READY):
                break
            time.sleep(0.1)
    finally:
        exporter.stop()
    families: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            families.setdefault(sample.name, set()).update(sample.labels)
    return families


def test_the_dashboard_names_only_what_the_exporter_exports(mock: MockServer, tmp_path: Path) -> None:
    """Every metric and label of the dashboard is in a live serve's /metrics (a discovering management
    key and an ordinary key); and every main family of the library's table is shown."""
    live = live_families(mock, tmp_path)
    metrics, labels = used_names()
    assert metrics <= set(live), metrics - set(live)
    known_labels = set().union(*live.values())
    assert labels <= known_labels, labels - known_labels
    assert {f"{PREFIX}_{suffix}" for suffix in ("remaining_dollars", "spendable_dollars", "time_left_seconds",
            "spend_per_day_dollars", "used_dollars", "up", "poll_errors_total")} <= metrics & set(live)  # fmt: skip
