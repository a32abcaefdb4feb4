"""The command when /key fails: spendable is unknown (at most the account's remaining), in the table and
JSON, and --below says so rather than comparing the account's remaining. In process, through main()."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from commanding import KEY, in_process

from openrouter_credits.testing import MockOpenRouter, MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """A mock of the management key alone (an ordinary key in the account changes the view's table)."""
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)})) as running:
        yield running


def view(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    return in_process(mock, capsys, monkeypatch, "--max-retries", "0", *args, now=None)


def test_table_and_json(mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """/key failing: Spendable unknown (at most $17.50) in the table; null and 17.5 in JSON."""
    mock.app.fail_next(1, status=503, endpoint="key")
    code, out, err = view(mock, capsys, monkeypatch)
    assert code == 4
    assert out.splitlines()[:2] == ["Remaining       $17.50", "Spendable      unknown  (at most $17.50)"]
    assert err.startswith("error: OpenRouter failed to answer (HTTP 503")
    mock.app.fail_next(1, status=503, endpoint="key")
    code, out, _ = view(mock, capsys, monkeypatch, "--json")
    document = json.loads(out)
    assert (document["spendable"], document["spendable_at_most"], document["remaining"]) == (None, 17.5, 17.5)
    assert document["unknown"]["spendable"].startswith("the key's own limit could not be read: OpenRouter failed")


@pytest.mark.parametrize(
    ("status", "below", "code", "says"),
    [
        pytest.param(  # not compared with the remaining: the failure's status (4)
            503, "5", 4, r"error: OpenRouter failed to answer \(HTTP 503: .*\n", id="failed-not-compared"
        ),
        pytest.param(  # spendable cannot be known for this key: exit 3 saying why
            403,
            "5",
            3,
            re.escape(
                "error: --below needs what this key may spend, which is unknown: the key's own limit needs a "
                "management (provisioning) key.\n"
            ),
            id="refused-unknown",
        ),
        pytest.param(  # unknown but at most $17.50: --below 20 trips all the same
            403, "20", 1, re.escape("below: spendable is at most $17.50, under $20.00\n"), id="refused-at-most"
        ),
    ],
)
def test_below_when_key_fails(
    mock: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    below: str,
    code: int,
    says: str,
) -> None:
    """--below with /key failing (503) or refused (403): never compared with the account's remaining."""
    mock.app.fail_next(1, status=status, endpoint="key")
    got, _, err = view(mock, capsys, monkeypatch, "--below", below)
    assert got == code
    assert re.fullmatch(says, err, flags=re.DOTALL), err
