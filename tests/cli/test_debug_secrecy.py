"""--debug shows what happens and never a key: against a server that echoes the key it was sent in
response headers (a request id among them), in the body, in the key's label, in error messages and
in bodies the document does not allow. The command runs in process, its logging as a new process
has it (``as_command``: no secret registered before the run, the root logger put back after), and
as a real process, its logging its own, for a failed and an invalid answer."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from commanding import as_command

from helpers import key_data, on_loopback
from openrouter_credits.testing import activity_row

COMMAND = str(Path(sys.executable).parent / "openrouter-credits")
PLAIN_KEY = "plainkey-not-shaped-like-openrouters-5e7a"  # found by registration alone, not by its shape
SHAPED_KEY = "sk-or-v1-debug-SECRET-echoed-9c4b"


def echoed_key_data(key: str) -> dict[str, object]:
    """A management key's ``GET /key`` with a daily limit, the key echoed in every string field."""
    return key_data(
        label=key,
        limit=30.0,
        limit_remaining=12.0,
        limit_reset="daily",
        usage=18.0,
        usage_daily=18.0,
        usage_weekly=18.0,
        usage_monthly=18.0,
        is_management_key=True,
        creator_user_id=key,
        echo=key,
    )


class _Echo(http.server.BaseHTTPRequestHandler):
    """Answers as the path's last part says (ok, error, invalid), with the key it was sent everywhere."""

    def do_GET(self) -> None:
        key = self.headers.get("authorization", "").removeprefix("Bearer ")
        parts = self.path.split("?")[0].split("/")  # /MODE/api/v1/ENDPOINT
        mode, endpoint = parts[1], parts[-1]
        status = 200
        if mode == "error":
            status, body = 500, {"error": {"code": 500, "message": f"cannot serve key {key}"}}
        elif mode == "invalid":
            body = {"data": {"total_credits": key, "total_usage": [key], "label": {key: key}}}
        elif endpoint == "credits":
            body = {"data": {"total_credits": 25.0, "total_usage": 7.5, "echo": key}}
        elif endpoint == "key":
            body = {"data": echoed_key_data(key)}
        else:
            body = {"data": [{**activity_row("2026-01-01", 1.0, model=key), "echo": key}]}
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(content)))
        self.send_header("x-request-id", key)
        self.send_header("x-echo", f"Bearer {key}")
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    with on_loopback(_Echo) as base:
        yield base


CASES = [
    ("ok", (), 0),
    ("ok", ("--json",), 0),
    ("ok", ("--format", "prometheus"), 0),
    ("error", ("--max-retries", "1"), 4),
    ("invalid", (), 5),
    ("invalid", ("spend",), 5),
]


def holds_no_key(result: subprocess.CompletedProcess[str], key: str, mode: str, code: int) -> None:
    """The run with --debug ended with ``code`` and holds no trace of ``key``; a failure's traceback redacted."""
    assert result.returncode == code, result.stderr
    assert "DEBUG" in result.stderr  # --debug was on
    for secret in (key, key[9:], key[:-4]):
        assert secret not in result.stdout
        assert secret not in result.stderr
    if mode != "ok":
        assert "Traceback" in result.stderr
        assert "[redacted]" in result.stderr


@pytest.mark.parametrize("key", [PLAIN_KEY, SHAPED_KEY])
@pytest.mark.parametrize(("mode", "args", "code"), CASES)
def test_debug_never_shows_the_key(
    echo_server: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    mode: str,
    args: tuple[str, ...],
    code: int,
) -> None:
    """Every output, with --debug, holds no trace of the key the server echoed."""
    base = f"{echo_server}/{mode}/api/v1"
    result = as_command(capsys, monkeypatch, *args, "--base-url", base, "--debug", env={"OPENROUTER_API_KEY": key})
    holds_no_key(result, key, mode, code)


@pytest.mark.parametrize(
    ("key", "mode", "args", "code"),
    [(PLAIN_KEY, "error", ("--max-retries", "0"), 4), (SHAPED_KEY, *CASES[5])],
)
def test_debug_never_shows_the_key_as_a_process(
    echo_server: str, key: str, mode: str, args: tuple[str, ...], code: int
) -> None:
    """The same as a real process, whose logging is its own: a failed answer (not tried again: the
    process would wait for real), an invalid one."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL")}
    env["OPENROUTER_API_KEY"] = key
    base = f"{echo_server}/{mode}/api/v1"
    command = [COMMAND, *args, "--base-url", base, "--debug"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    holds_no_key(result, key, mode, code)
