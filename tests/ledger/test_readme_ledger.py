"""The README's ledger session (sync, report, a month by model, the FOCUS export, history) is what the
command prints against the default mock, a day after its first sync, at a fixed time.

When the output changes on purpose, print the session anew and paste it into the README:
``.venv/bin/python tests/ledger/test_readme_ledger.py``."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ledger_mock import Clock

from openrouter_credits.cli._main import main
from openrouter_credits.testing import MockOpenRouter, MockServer

README = Path(__file__).resolve().parents[2] / "README.md"
#: The first sync (not shown), and the time of the session: a day later.
FIRST_SYNC = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)
NOW = FIRST_SYNC + dt.timedelta(days=1)
#: Where the README says the default ledger is.
SHOWN_DATA_HOME = "/home/me/.local/share"


def session_in_readme() -> str:
    """The README's fenced block that begins with ``$ openrouter-credits sync``."""
    text = README.read_text()
    match = re.search(r"```\n(\$ openrouter-credits sync\n.*?)```", text, re.S)
    assert match is not None, "the README's ledger session is missing"
    return match.group(1)


def commands(session: str) -> list[str]:
    return [line[2:] for line in session.splitlines() if line.startswith("$ ")]


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    os.environ.pop("OPENROUTER_CREDITS_LEDGER", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(argv: list[str], now: dt.datetime) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv, clock=lambda: now)
    assert status == 0, err.getvalue()
    return out.getvalue()


def session(lines: list[str], folder: Path, server: MockServer, clock: Clock) -> str:
    """Each command of ``lines`` (``openrouter-credits ...``, optionally ``| head -N``) run against the
    default mock (``server``, on ``clock``) a day after its first sync, with what it prints."""
    server.app.reset()
    clock.now = FIRST_SYNC
    with environment({
        "OPENROUTER_API_KEY": server.app.provisioning_key,
        "OPENROUTER_BASE_URL": server.base_url,
        "XDG_DATA_HOME": str(folder),
    }):  # fmt: skip
        run(["sync", "--quiet"], FIRST_SYNC)
        clock.now = NOW
        shown = []
        for line in lines:
            command, _, head = line.partition(" | head -")
            argv = command.split()[1:]
            printed = run(argv, NOW).replace(str(folder), SHOWN_DATA_HOME)
            if head:
                printed = "".join(printed.splitlines(keepends=True)[: int(head)])
            shown.append(f"$ {line}\n{printed}")
    return "".join(shown)


def test_the_readme_session_is_what_the_command_prints(tmp_path: Path, server: MockServer, clock: Clock) -> None:
    shown = session_in_readme()
    assert session(commands(shown), tmp_path, server, clock) == shown


if __name__ == "__main__":
    time = Clock(FIRST_SYNC)
    with tempfile.TemporaryDirectory() as folder, MockServer(MockOpenRouter(clock=time)) as mock:
        sys.stdout.write(session(commands(session_in_readme()), Path(folder), mock, time))
