"""The README's examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import openrouter_credits_client
from helpers import KEY

README = Path(__file__).resolve().parents[2] / "README.md"


def section_code(heading: str) -> str:
    """The first python block under a README heading."""
    text = README.read_text()
    start = text.index(f"## {heading}\n")
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match is not None
    return match.group(1)


def test_generated_package_example(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's generated-package example returns the parsed model and sends the bearer key."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"total_credits": 25.0, "total_usage": 7.5}})

    real = openrouter_credits_client.AuthenticatedClient

    def client_with_mock_transport(**kwargs: object) -> object:
        return real(**kwargs, httpx_args={"transport": httpx.MockTransport(handler)})  # type: ignore[arg-type]

    monkeypatch.setattr(openrouter_credits_client, "AuthenticatedClient", client_with_mock_transport)
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    exec(section_code("Using the generated package directly"), {})  # noqa: S102
    assert capsys.readouterr().out == "bought 25.0, used 7.5\n"
    (request,) = seen
    assert str(request.url) == "https://openrouter.ai/api/v1/credits"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_mock_fixture_example(tmp_path: Path) -> None:
    """The README's pytest example passes as written, with the fixture the package registers."""
    example = tmp_path / "test_example.py"
    example.write_text(section_code("The mock server, for your own tests"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(example), "-q", "-p", "no:cacheprovider", "-W", "error"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def yaml_block_after(marker: str) -> str:
    text = README.read_text()
    match = re.search(r"```yaml\n(.*?)```", text[text.index(marker) :], re.S)
    assert match is not None
    return match.group(1)


def test_alerting_rules_are_valid(tmp_path: Path) -> None:
    """The README's alerting rules pass `promtool check rules` and use metrics the exporter writes."""
    import shutil

    from openrouter_credits._apps.metrics import ACCOUNT_KEY, ACCOUNT_KEY_METRICS, METRICS, MODEL_SPEND, PREFIX

    rules = yaml_block_after("Alerting rules")
    written = {f"{PREFIX}_{suffix}" for suffix, _ in METRICS.values()}
    written |= {f"{ACCOUNT_KEY}_{suffix}" for suffix, _ in ACCOUNT_KEY_METRICS.values()} | {MODEL_SPEND}
    assert set(re.findall(r"openrouter_credits_\w+", rules)) <= written
    import yaml

    for rule in yaml.safe_load(rules)["groups"][0]["rules"]:  # absent() has no labels to show
        assert "absent(" not in rule["expr"] or "$labels" not in str(rule["annotations"]), rule["alert"]
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is not installed: apt-get install prometheus (CI installs it)")
    path = tmp_path / "rules.yml"
    path.write_text(rules)
    result = subprocess.run([tool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_config_example_loads(tmp_path: Path) -> None:
    """The README's keys.toml reads as it stands (given its key file and variable)."""
    from openrouter_credits._apps.config_file import load_config
    from openrouter_credits.exporter._notify_tables import channel_from_table

    text = README.read_text()
    match = re.search(r"```toml\n(\[keys\.team-a\].*?)```", text, re.S)
    assert match is not None
    key_file = tmp_path / "team-a.key"
    key_file.write_text("sk-or-v1-readme-a\n")
    config = tmp_path / "keys.toml"
    config.write_text(match.group(1).replace("/run/secrets/openrouter-team-a", str(key_file)))
    environ = {
        "OPENROUTER_KEY_TEAM_B": "sk-or-v1-readme-b",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/readme",
        "SMTP_PASSWORD": "readme-password",
    }
    loaded = load_config(str(config), environ)
    keys = loaded.keys
    assert [(k.name, k.below, k.days_below, k.spike, k.notify) for k in keys] == [
        ("team-a", 10.0, 3.0, None, ("team-slack", "ops-email")),
        ("team-b", None, None, 3.0, None),
    ]
    assert keys[1].spike_min_dollars == 2.0
    assert loaded.default_notify == ("team-slack",)
    channels = {
        name: channel_from_table(name, table, f"[notify.{name}]", loaded.base_dir, environ)
        for name, table in loaded.notify.items()
    }
    assert {name: channel.kind for name, channel in channels.items()} == {"team-slack": "slack", "ops-email": "email"}


def test_exit_statuses_read_the_same_in_help_and_readme() -> None:
    """Each exit status an error's kind gives (the ledger's 7 and 8 among them) is in the README's
    table and in --help, with the same words."""
    from openrouter_credits.cli import parser
    from openrouter_credits.cli._common import EXIT_FOR_KIND
    from openrouter_credits.ledger._errors import LEDGER_KINDS

    shown = " ".join(parser().format_help().split())
    table = README.read_text().split("| exit status | meaning |", 1)[1].split("\n\n", 1)[0]
    assert set(LEDGER_KINDS) <= set(EXIT_FOR_KIND)
    statuses = sorted(set(EXIT_FOR_KIND.values()) | {6})
    assert statuses == [2, 3, 4, 5, 6, 7, 8]
    for status in statuses:
        meaning = next(row for row in table.splitlines() if row.startswith(f"| {status} |")).split("|")[2].strip()
        assert f"{status} {meaning.replace('`', '')}" in shown, status


def test_readme_shows_the_status_page_and_the_dashboard() -> None:
    """The picture and the dashboard the README names are in the tree."""
    text = README.read_text()
    assert "![status page](docs/status-page.png)" in text
    assert (README.parent / "docs" / "status-page.png").read_bytes()[:4] == b"\x89PNG"
    assert (README.parent / "dashboards" / "openrouter-credits.json").is_file()


def test_make_demo_runs_as_the_readme_says() -> None:
    """The README's second front-door command (make demo runs tools/demo.py): every step ends with the
    exit status it should."""
    demo = subprocess.run(
        [sys.executable, str(README.parent / "tools" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert demo.stdout.rstrip().endswith("Mock OpenRouter stopped.")


def test_every_channel_setting_is_documented() -> None:
    """The README's table of channel settings names each setting every kind reads, its secret's
    ``_env`` and ``_file`` forms, and says where alerts go without [defaults] and what notify-url is."""
    from openrouter_credits.exporter._notify_tables import SECRETS, SETTINGS

    text = README.read_text()
    table = text.split("| kind | settings |", 1)[1].split("\n\n", 1)[0]
    for kind, settings in SETTINGS.items():
        (row,) = [line for line in table.splitlines() if line.startswith("|") and f"`{kind}`" in line.split("|")[1]]
        named = set(re.findall(r"`(\w+)`", row.split("|")[2]))
        secret = SECRETS[kind].setting
        assert {*settings, f"{secret}_env", f"{secret}_file"} <= named, (kind, row)
    assert "without a `[defaults]` table, **every channel**" in text
    assert "is the channel named `notify-url`" in text
