"""A poll that reads only part of what it needs (the mock's /key answering 503 for a management key):
up 0 with call_up naming the call, /healthz and the log naming the key, and the README's own alerting
rules run with ``promtool test rules`` against the series the exporter exports then (Debian's
prometheus package; skipped where it is not installed)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from exporting import MANAGEMENT, ORDINARY, MakeExporter
from prometheus_client.parser import text_string_to_metric_families

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.cli import main
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import MockServer

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rules() -> str:
    text = README.read_text()
    match = re.search(r"```yaml\n(.*?)```", text[text.index("Alerting rules") :], re.S)
    assert match is not None
    return match.group(1)


def series(watcher: Exporter) -> dict[str, float]:
    """The exporter's /metrics as ``name{label="value",...}`` selectors and their values."""
    found = {}
    for family in text_string_to_metric_families(watcher.route("GET", "/metrics")[1].decode()):
        for sample in family.samples:
            labels = ",".join(f"{name}={json.dumps(value)}" for name, value in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def polled(mock: MockServer, exporter: MakeExporter, *, key_fails: bool) -> Exporter:
    """A management key ("account") polled once, its /key answering 503 when ``key_fails``."""

    async def scenario() -> Exporter:
        watcher = exporter(KeySpec("account", MANAGEMENT), KeySpec("team-b", ORDINARY))
        await watcher.poll("team-b")
        if key_fails:
            mock.app.fail_next(100, status=503, endpoint="key")
        await watcher.poll("account")
        await watcher.aclose()
        return watcher

    return asyncio.run(scenario())


def test_a_partial_failure_shows(mock: MockServer, exporter: MakeExporter, caplog: pytest.LogCaptureFixture) -> None:
    """/key fails alone: remaining stays, spendable is gone, up 0 and call_up{call="key"} 0; /healthz
    names the key and the call; one INFO line says so. The ordinary key (whose /credits and /activity
    are refused by design) is up."""
    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        watcher = polled(mock, exporter, key_fails=True)
    found = series(watcher)
    assert found['openrouter_credits_remaining_dollars{key="account"}'] == 17.5
    assert 'openrouter_credits_spendable_dollars{key="account"}' not in found
    assert found['openrouter_credits_up{key="account"}'] == 0
    assert found['openrouter_credits_call_up{call="key",key="account"}'] == 0
    assert found['openrouter_credits_call_up{call="credits",key="account"}'] == 1
    assert found['openrouter_credits_up{key="team-b"}'] == 1
    assert found['openrouter_credits_call_up{call="key",key="team-b"}'] == 1
    assert 'openrouter_credits_call_up{call="credits",key="team-b"}' not in found  # refused by design
    status, text = watcher.health()
    assert status == 503
    assert text.startswith("failing: account: GET /key failed (server: OpenRouter failed to answer (HTTP 503"), text
    assert "the key's own limit and usage (spendable) unknown" in text
    assert "team-b" not in text
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Key account")]
    assert len(lines) == 1
    assert lines[0].startswith("Key account: GET /key failed (server): OpenRouter failed to answer (HTTP 503")
    page = watcher.route("GET", "/")[1].decode()
    assert '<h2>account<span class="state failing">failing</span></h2><p class="reason">GET /key failed' in page
    assert '<dd class="remaining">$17.50</dd><dd class="spendable">at most $17.50</dd>' in page  # what was read


def test_the_one_shot_prometheus_says_up_0_on_a_partial_failure(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """openrouter-credits --format prometheus with /key failing: exit 4, up 0, call_up{call="key"} 0."""
    monkeypatch.setenv("OPENROUTER_API_KEY", MANAGEMENT)
    mock.app.fail_next(100, status=503, endpoint="key")
    code = main(["--format", "prometheus", "--base-url", mock.base_url, "--max-retries", "0"])
    out = capsys.readouterr().out
    assert code == 4
    assert "openrouter_credits_up 0\n" in out
    assert 'openrouter_credits_call_up{call="key"} 0\n' in out
    assert 'openrouter_credits_call_up{call="credits"} 1\n' in out
    assert "openrouter_credits_remaining_dollars 17.5\n" in out


def test_every_call_failing(
    mock: MockServer, exporter: MakeExporter, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every call answering 503, as the README says: serve writes up 0 and call_up 0 for each call
    made, no figure; the one-shot --format prometheus writes up 0 alone, and exits 4."""
    for endpoint in ("credits", "key", "activity"):
        mock.app.fail_next(100, status=503, endpoint=endpoint)

    async def scenario() -> Exporter:
        watcher = exporter(KeySpec("account", MANAGEMENT))
        await watcher.poll("account")
        await watcher.aclose()
        return watcher

    found = series(asyncio.run(scenario()))
    assert {name: value for name, value in found.items() if "_up{" in name} == {
        'openrouter_credits_up{key="account"}': 0,
        'openrouter_credits_call_up{call="credits",key="account"}': 0,
        'openrouter_credits_call_up{call="key",key="account"}': 0,
        'openrouter_credits_call_up{call="activity",key="account"}': 0,
    }
    assert not [name for name in found if "dollars{" in name]
    monkeypatch.setenv("OPENROUTER_API_KEY", MANAGEMENT)
    code = main(["--format", "prometheus", "--base-url", mock.base_url, "--max-retries", "0"])
    out = capsys.readouterr().out
    assert code == 4
    assert [line for line in out.splitlines() if not line.startswith("#")] == ["openrouter_credits_up 0"]


def promtool() -> str:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is not installed: apt-get install prometheus (CI installs it)")
    return tool


def alerts(watcher: Exporter, firing: dict[str, list[str]], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``promtool test rules``: the README's rules over 20 minutes of the exporter's series as they
    are now; at 15 minutes, each alert of the rules fires for the keys ``firing`` names, no other."""
    import yaml

    rules = readme_rules()
    (tmp_path / "rules.yml").write_text(rules)
    names = [rule["alert"] for rule in yaml.safe_load(rules)["groups"][0]["rules"]]
    by_name = {rule["alert"]: rule for rule in yaml.safe_load(rules)["groups"][0]["rules"]}
    checks: list[dict[str, Any]] = []
    for name in names:
        expected = []
        for key in firing.get(name, []):
            rule = by_name[name]
            annotations = {k: v.replace("{{ $labels.key }}", key) for k, v in rule["annotations"].items()}
            expected.append({"exp_labels": {**rule["labels"], "key": key}, "exp_annotations": annotations})
        checks.append({"eval_time": "15m", "alertname": name, "exp_alerts": expected})
    inputs = [{"series": selector, "values": f"{value:g}+0x20"} for selector, value in series(watcher).items()]
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": inputs, "alert_rule_test": checks}],
    }
    (tmp_path / "test.yml").write_text(json.dumps(test))  # JSON is YAML
    return subprocess.run(
        [promtool(), "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )


def test_the_readmes_rules_fire_on_a_partial_failure(mock: MockServer, exporter: MakeExporter, tmp_path: Path) -> None:
    """/key failing for the management key: OpenRouterCreditsKeyFailing fires for it (spendable being
    absent, OpenRouterCreditsLow cannot), and nothing else fires."""
    promtool()
    done = alerts(polled(mock, exporter, key_fails=True), {"OpenRouterCreditsKeyFailing": ["account"]}, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_readmes_rules_are_quiet_when_all_is_well(mock: MockServer, exporter: MakeExporter, tmp_path: Path) -> None:
    """Every call answered, $17.50 spendable: no alert of the README's fires."""
    promtool()
    done = alerts(polled(mock, exporter, key_fails=False), {}, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
