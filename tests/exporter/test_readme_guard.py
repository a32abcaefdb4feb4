"""The README's dry-run session ("Guarding keys") is what serve's guard, guard log and keys disable
--dry-run say against the mock: a key of the Research workspace spiking at 09:00 UTC on a Friday, a
guard in its dry run (the default), the exporter in process on that time.

When the output changes on purpose, print the session anew and paste it into the README:
``.venv/bin/python tests/exporter/test_readme_guard.py``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from exporting import MANAGEMENT, mock_app

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._apps.guard_config import GuardSpec
from openrouter_credits._apps.journal import FileJournal
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.cli._main import main
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import MockServer

README = Path(__file__).resolve().parents[2] / "README.md"
#: Friday 2027-01-15, 09:00 UTC.
NOW = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)
#: $14.20 today against $37.33 this week ($5.33 a day, $2.00 expected by 09:00): 7.1x.
CI_NIGHTLY = {
    "name": "ci-nightly",
    "hash": "1a2b3c4d5e6f" + "7" * 52,
    "label": "sk-or-v1-0e6...1c96",
    "usage_daily": 14.2,
    "usage_weekly": 37.33,
    "usage_monthly": 61.0,
    "usage": 240.0,
}
GUARD = GuardSpec("runaway-ci", ("ci-*", "agent-*"), when="spike", factor=5.0)
SHOWN_STATE = "/home/me/.local/state/openrouter-credits"


def block_in_readme(first: str) -> str:
    """The README's fenced block that begins with ``first``."""
    text = README.read_text()
    match = re.search(r"```\n(" + re.escape(first) + r"\n.*?)```", text, re.S)
    assert match is not None, f"the README's session of {first!r} is missing"
    return match.group(1)


SERVE = "$ openrouter-credits serve --config keys.toml"
DISABLE = "$ openrouter-credits keys disable ci-nightly --yes"


class Lines(logging.Handler):
    """The log lines of the exporter, as serve writes them, at the session's time."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{NOW:%Y-%m-%d %H:%M:%S} {record.levelname} {record.getMessage()}")


@contextlib.contextmanager
def captured() -> Iterator[Lines]:
    lines = Lines()
    logger = logging.getLogger(EXPORTER_LOGGER)
    logger.addHandler(lines)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)


def run(argv: list[str], *, shown_err: bool = False) -> str:
    """What the command prints (with ``shown_err``, what a terminal shows: its stderr first)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv, clock=lambda: NOW)
    assert status == 0, err.getvalue()
    return err.getvalue() + out.getvalue() if shown_err else out.getvalue()


def session(folder: Path, server: MockServer) -> tuple[str, str]:
    """The dry-run session, and then a change made by hand (``keys disable --yes``)."""
    app = server.app
    app.reset()
    research = app.add_workspace("Research")
    app.set_keys([{**CI_NIGHTLY, "workspace_id": research}])
    state = folder / "state"

    async def poll() -> list[str]:
        watcher = Exporter(
            [KeySpec("account", MANAGEMENT, discover=True)], base_url=server.base_url, max_retries=0,
            clock=NOW.timestamp, monotonic=NOW.timestamp, guards=[GUARD], journal=FileJournal(state),
        )  # fmt: skip
        with captured() as lines:
            await watcher.poll("account")
        await watcher.aclose()
        return [line for line in lines.lines if "Guard" in line]

    logged = asyncio.run(poll())
    saved = dict(os.environ)
    os.environ.update({"OPENROUTER_API_KEY": MANAGEMENT, "OPENROUTER_BASE_URL": server.base_url})
    os.environ.pop("OPENROUTER_CREDITS_LEDGER", None)
    try:
        log = run(["guard", "log", "--state-dir", str(state)])
        dry = run(["keys", "disable", "ci-nightly", "--dry-run", "--state-dir", str(state)])
        done = run(["keys", "disable", "ci-nightly", "--yes", "--state-dir", str(state)], shown_err=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    shown = f"{SERVE}\n...\n" + "".join(f"{line}\n" for line in logged)
    shown += f"$ openrouter-credits guard log\n{log}"
    shown += f"$ openrouter-credits keys disable ci-nightly --dry-run\n{dry}"
    return shown.replace(str(state), SHOWN_STATE), f"{DISABLE}\n{done}"


def test_the_readme_sessions_are_what_the_guard_and_the_command_say(tmp_path: Path, server: MockServer) -> None:
    dry_run, by_hand = session(tmp_path, server)
    assert dry_run == block_in_readme(SERVE)
    assert by_hand == block_in_readme(DISABLE)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder, MockServer(mock_app()) as running:
        print(*session(Path(folder), running), sep="\n", end="")
