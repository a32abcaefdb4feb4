"""openrouter-credits serve as a real process against the live mock: scrapes, failures and recovery,
/healthz, alerts to a local webhook receiver, signals, and every configuration error."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from exporting import COMMAND, MANAGEMENT, ORDINARY, TOKEN, mock_app, two_keys, write_config
from exporting import ServeProcess as Exporter

from openrouter_credits.testing import MockServer


def test_two_keys_failure_recovery_and_sigterm(tmp_path: Path) -> None:
    """Scrape two keys; stop the mock: up 0, no balance series, last success kept, errors counted;
    bring it back: recovery; /healthz both ways; SIGTERM exits 0 at once with a poll waiting for an
    answer that would take its 30 s timeout; no key in any output."""
    app = mock_app()
    mock = MockServer(app).start()
    port = mock.port
    exporter = Exporter(mock, two_keys(tmp_path), "--state-dir", str(tmp_path / "state"), "--timeout", "30")
    unanswering = socket.socket()
    waiting: list[socket.socket] = []
    try:
        samples = exporter.wait_for(
            lambda s: (
                s.get("openrouter_credits_up{key=team-b}") == 1.0 and s.get("openrouter_credits_up{key=team-a}") == 1
            )
        )
        assert samples["openrouter_credits_remaining_dollars{key=team-a}"] == 17.5, samples
        assert samples["openrouter_credits_spendable_at_most_dollars{key=team-b}"] == 7.5  # an ordinary key
        assert "openrouter_credits_remaining_dollars{key=team-b}" not in samples  # unknown for an ordinary key
        assert samples["openrouter_credits_poll_errors_total{key=team-b,kind=permission}"] == 0
        health = httpx.get(exporter.url + "/healthz")
        assert health.status_code == 200
        assert re.fullmatch(
            r"ok: 2 key\(s\), the oldest last polled [0-3] s ago \(stale after 33\.3 s\)\n", health.text
        )
        first_success = samples["openrouter_credits_last_success_timestamp_seconds{key=team-a}"]

        mock.stop()
        down = exporter.wait_for(
            lambda s: (
                s.get("openrouter_credits_up{key=team-a}") == 0 and s.get("openrouter_credits_up{key=team-b}") == 0
            )
        )
        assert [name for name in down if "dollars" in name or ("seconds{" in name and "time_left" in name)] == []
        assert down["openrouter_credits_last_success_timestamp_seconds{key=team-a}"] >= first_success
        assert down["openrouter_credits_poll_errors_total{key=team-a,kind=network}"] >= 1
        health = httpx.get(exporter.url + "/healthz")
        assert health.status_code == 503
        assert health.text.startswith("failing: team-a: network: Could not connect to ")
        assert "team-b: network" in health.text

        mock = MockServer(app, port=port).start()
        back = exporter.wait_for(
            lambda s: (
                s.get("openrouter_credits_up{key=team-a}") == 1 and s.get("openrouter_credits_up{key=team-b}") == 1
            )
        )
        assert back["openrouter_credits_remaining_dollars{key=team-a}"] == 17.5
        assert httpx.get(exporter.url + "/healthz").status_code == 200

        mock.stop()  # in its place, a server that takes the polls' connections and never answers
        unanswering.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        unanswering.bind(("127.0.0.1", port))
        unanswering.listen()
        unanswering.settimeout(15)
        waiting.append(unanswering.accept()[0])  # a poll is waiting for its answer now
    finally:
        status, logs, took = exporter.stop()
        for sock in [unanswering, *waiting]:
            sock.close()
        mock.stop()
    assert status == 0
    assert took < 5.0  # not the 30 s the waiting poll would take
    assert "INFO Key team-a: the poll failed (network)" in logs
    assert "INFO Key team-a: polls succeed again" in logs
    assert logs.rstrip().endswith("INFO Stopped")
    for secret in (MANAGEMENT, ORDINARY):
        assert secret not in logs


def test_metrics_are_answered_from_the_last_poll(mock: MockServer, tmp_path: Path) -> None:
    """A scrape storm costs OpenRouter nothing: 200 scrapes, no extra API request."""
    exporter = Exporter(mock, two_keys(tmp_path), "--interval", "30", "--state-dir", str(tmp_path / "state"))
    try:
        exporter.wait_for(
            lambda s: (
                s.get("openrouter_credits_up{key=team-b}") == 1 and s.get("openrouter_credits_up{key=team-a}") == 1
            )
        )
        before = len(mock.app.requests)
        with httpx.Client() as http:
            for _ in range(200):
                assert http.get(exporter.url + "/metrics").status_code == 200
        assert len(mock.app.requests) == before
        assert httpx.get(exporter.url + "/nothing").status_code == 404
        assert httpx.post(exporter.url + "/metrics").status_code == 405
    finally:
        assert exporter.stop()[0] == 0


# --- configuration errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[keys.a]\napi_key_env = "A"\ncolour = "red"\n',
            "[keys.a]: unknown setting 'colour'; the settings are api_key_file, api_key_env, below, days_below, "
            "notify, spike, spike_min_dollars, discover, top_models, max_keys, key_below_fraction, key_will_exhaust.",
        ),
        (
            '[keys.a]\napi_key_env = "A"\nspike = 1\n',
            "[keys.a]: spike must be a multiple of the 7-day average above 1 (such as 3), not 1.",
        ),
        (
            '[keys.a]\napi_key_env = "A"\nspike = 3\nspike_min_dollars = -1\n',
            "[keys.a]: spike_min_dollars must be a number of dollars, 0 or more, not -1.",
        ),
        (
            '[keys.a]\napi_key_file = "/nonexistent/key"\n',
            "[keys.a]: cannot read the key file /nonexistent/key: No such file or directory.",
        ),
        (
            '[keys.a]\napi_key_env = "SERVE_UNSET_VARIABLE"\n',
            "[keys.a]: the environment variable SERVE_UNSET_VARIABLE is not set (or is blank).",
        ),
        (
            '[keys.a]\napi_key_env = "A"\n[keys.a]\napi_key_env = "B"\n',
            "not valid TOML: Cannot declare ('keys', 'a') twice",
        ),
        (
            '[keys.a]\napi_key = "sk-or-v1-inline"\n',
            "[keys.a]: api_key holds a key, and the key never goes in this file: use api_key_file",
        ),
        (
            '[keys.a]\napi_key_env = "sk-or-v1-inline"\n',
            "[keys.a]: api_key_env holds a key, and the key never goes in this file",
        ),
        ("[keys.a]\nbelow = 5\n", "[keys.a]: give exactly one of api_key_file and api_key_env."),
        (
            '[keys.a]\napi_key_env = "A"\nbelow = "five"\n',
            '[keys.a]: below must be a number of dollars, 0 or more, not "five".',
        ),
        (
            "[other]\nx = 1\n",
            "unknown table 'other'; the file holds [keys.NAME], [notify.NAME], [teams.NAME], [guard.NAME] and "
            "[defaults] tables.",
        ),
        ("", "no keys: add a [keys.NAME] table for each key to watch."),
        ("[keys\n", "not valid TOML"),
        (
            '[keys.a]\napi_key_env = "A"\ndiscover = true\n[guard.g]\nkeys = ["ci-*"]\nwhen = "spike"\nfactor = 1\n',
            "[guard.g]: factor must be a multiple above 1 (such as 5), not 1.",
        ),
    ],
)
def test_config_errors(tmp_path: Path, text: str, message: str) -> None:
    """A bad config exits 2 before serving, naming the file, the key and the problem, never the key."""
    config = write_config(tmp_path, text)
    env = {k: v for k, v in os.environ.items() if k != "SERVE_UNSET_VARIABLE"}
    result = subprocess.run(
        [COMMAND, "serve", "--config", str(config), "--listen", "127.0.0.1:0"],
        env={**env, "A": "sk-or-v1-serve-a-1234"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: --config {config}: ")
    assert message in result.stderr
    assert "sk-or-v1-inline" not in result.stderr
    assert "sk-or-v1-serve-a-1234" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_missing_config_file_and_bad_options(tmp_path: Path) -> None:
    missing = subprocess.run(
        [COMMAND, "serve", "--config", str(tmp_path / "none.toml")], capture_output=True, text=True, check=False
    )
    assert (missing.returncode, missing.stderr) == (
        2,
        f"error: --config {tmp_path / 'none.toml'}: cannot read it: No such file or directory.\n",
    )
    config = two_keys(tmp_path)
    for args, message in (
        (["--listen", "nowhere"], "argument --listen: 'nowhere' is not HOST:PORT"),
        (["--interval", "0.5"], "argument --interval: '0.5' is not a number of seconds, 1 or more"),
        (
            ["--notify-url", f"http://hooks.example.com/{TOKEN}"],
            "uses plain http to 'hooks.example.com', which would send its token unencrypted",
        ),
    ):
        result = subprocess.run(
            [COMMAND, "serve", "--config", str(config), *args],
            env={**os.environ, "SERVE_KEY_A": MANAGEMENT},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        assert message in result.stderr
        assert TOKEN not in result.stderr
