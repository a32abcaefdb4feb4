"""--watch in-process, the waits injected: an ordinary key's line carries its own limit and usage on
every poll, and the note about what it cannot see is said once."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest
from test_cli import KEY, LIMITED

from helpers import script_figures
from openrouter_credits import CreditsClient
from openrouter_credits.cli.view import watch
from openrouter_credits.testing import MockOpenRouter, MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys={LIMITED: 10.0})
    with MockServer(app) as running:
        yield running


@pytest.fixture(autouse=True)
def _figures(mock: MockServer) -> None:
    script_figures(mock.app, LIMITED)


def test_watch_with_an_ordinary_key(mock: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
    """Three polls, Ctrl-C after the third: three lines with the key's limit, left and usage; one note."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    args = argparse.Namespace(watch=5.0, format="table", below=None)
    with CreditsClient(LIMITED, base_url=mock.base_url, max_retries=0) as client:
        assert watch(client, args, sleep=sleep) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert re.fullmatch(
            r"\S+Z  remaining unknown  spendable at most \$7\.50  key limit \$10\.00 \(\$7\.50 left\)  "
            r"key usage \$2\.50(  change \$0\.00)?",
            line,
        ), line
    assert err.count("note: this is not a management key") == 1
    assert sleeps == [5.0, 5.0, 5.0]
