"""The README's default view and the thresholds' lines under it are what the command prints against
the default mock (the one ``make demo`` starts) at a fixed time, in process.

When the output changes on purpose, print the samples anew and paste them into the README:
``.venv/bin/python tests/cli/test_readme_view.py``."""

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

import pytest

from openrouter_credits.cli._main import main
from openrouter_credits.testing import MockOpenRouter, MockServer

README = Path(__file__).resolve().parents[2] / "README.md"
#: A Wednesday morning, the view's time and the mock's.
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
#: The README's thresholds, in the order of its block of their lines.
THRESHOLDS = (["--below", "20"], ["--days-below", "300"], ["--days-below", "210", "--conservative"])


def block_after(marker: str) -> str:
    """The README's first fenced block after ``marker``."""
    text = README.read_text()
    match = re.search(r"```\n(.*?)```", text[text.index(marker) :], re.S)
    assert match is not None, marker
    return match.group(1)


def view(server: MockServer, *args: str) -> tuple[int, str, str]:
    """The command in process, its key and base URL in the environment, no ledger (``XDG_DATA_HOME``
    a folder that does not exist)."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update({
        "OPENROUTER_API_KEY": server.provisioning_key,
        "OPENROUTER_BASE_URL": server.base_url,
        "XDG_DATA_HOME": str(Path(tempfile.gettempdir()) / "openrouter-credits-readme-no-data"),
    })  # fmt: skip
    os.environ.pop("OPENROUTER_CREDITS_LEDGER", None)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(list(args), clock=lambda: NOW)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return status, out.getvalue(), err.getvalue()


def samples(server: MockServer) -> tuple[str, str]:
    """The default view, and the lines the README's thresholds print."""
    status, table, err = view(server)
    assert (status, err) == (0, "")
    lines = []
    for args in THRESHOLDS:
        status, _, err = view(server, *args)
        assert status == 1, err
        lines.append(err)
    return table, "".join(lines)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(clock=lambda: NOW)) as running:
        yield running


def test_the_readme_view_is_what_the_command_prints(server: MockServer) -> None:
    """The default mock's account: $17.50 left, about $0.07 a day by the weekday model, its range and
    the month's end; the thresholds' lines as the README shows them."""
    table, lines = samples(server)
    assert block_after("With a management (provisioning) key:\n") == table
    assert block_after("Each threshold that trips says so on stderr") == lines


if __name__ == "__main__":
    with MockServer(MockOpenRouter(clock=lambda: NOW)) as mock:
        shown, tripped = samples(mock)
    sys.stdout.write(f"{shown}\n{tripped}")
