"""keys and spend --by model under hostile names: a lone surrogate neither crashes the command (a real
process writing to a pipe, as a terminal or cron would read it) nor reaches the output; ESC, BEL, NUL,
newlines and right-to-left overrides show as escapes; a 10 KB name is cut to 60 characters."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from commanding import in_process

from hostile_names import LONG, NEWLINE_NAME, RTL_NAME, SURROGATE_NAME, TERMINAL_NAME
from openrouter_credits.testing import MockOpenRouter, MockServer, activity_row

KEY = "sk-or-v1-hostile-SECRET-management-7c2d"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
NAMES = [SURROGATE_NAME, NEWLINE_NAME, TERMINAL_NAME, RTL_NAME, LONG]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)})) as running:
        yield running


@pytest.fixture
def hostile(mock: MockServer) -> MockServer:
    """Keys and models named as anyone in the organization might."""
    mock.app.set_keys([{"name": name, "hash": f"{n:064x}", "usage_monthly": 5.0 - n} for n, name in enumerate(NAMES)])
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    mock.app.set_activity([activity_row(yesterday, 5.0 - n, model=name) for n, name in enumerate(NAMES)])
    return mock


def command(mock: MockServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "openrouter_credits", *args, "--base-url", mock.base_url],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", [("keys",), ("spend", "--by", "model")])
def test_hostile_names_in_a_real_process(hostile: MockServer, args: tuple[str, ...]) -> None:
    """Exit 0, no traceback, every name on one line of its own, nothing a terminal would act on."""
    done = command(hostile, *args)
    assert (done.returncode, done.stderr) == (0, "")
    assert not CONTROLS.search(done.stdout)
    lines = done.stdout.splitlines()
    assert len(lines) == 1 + len(NAMES) + 1  # the header, a row a name, the total
    assert "bad\ufffdkey" in done.stdout
    assert "line1\\nline2\\r\\nline3" in done.stdout
    assert "red\\x1b[31mbell\\x07nul\\x00end" in done.stdout
    assert "invoice-\\u202efdp.exe" in done.stdout
    assert "x" * 59 + "…" in done.stdout
    assert "x" * 61 not in done.stdout


def cli(mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    return in_process(mock, capsys, monkeypatch, *args, key=KEY, now=None, secrets=())


def test_the_views_top_model_is_shown_safely(
    hostile: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default view's 'Top model' line names the model printable (here the surrogate's, the most spent)."""
    code, out, _ = cli(hostile, capsys, monkeypatch)
    assert code == 0
    assert "Top model of the last 7 days: bad\ufffdkey ($5.00)" in out
    assert not CONTROLS.search(out)
