"""The command when /key fails: spendable is unknown (at most the account's remaining), in the table and
JSON, and --below says so rather than comparing the account's remaining. In process, through main()."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from openrouter_credits.cli import main
from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-spendable-SECRET-management-3f1a"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)})) as running:
        yield running


def view(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    code = main(["--base-url", mock.base_url, "--max-retries", "0", *args])
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return code, out, err


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


def test_below_a_failed_key_call(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--below 5 with /key failing: not compared with the remaining; the failure's status (4)."""
    mock.app.fail_next(1, status=503, endpoint="key")
    code, _, err = view(mock, capsys, monkeypatch, "--below", "5")
    assert code == 4
    assert "below:" not in err


def test_below_a_key_view_refused(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/key refused (403): spendable cannot be known for this key, so --below exits 3 saying why."""
    mock.app.fail_next(1, status=403, endpoint="key")
    code, _, err = view(mock, capsys, monkeypatch, "--below", "5")
    assert code == 3
    assert err == (
        "error: --below needs what this key may spend, which is unknown: the key's own limit needs a management "
        "(provisioning) key.\n"
    )


def test_below_what_it_is_at_most(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spendable unknown but at most $17.50: --below 20 trips all the same (exit 1)."""
    mock.app.fail_next(1, status=403, endpoint="key")
    code, _, err = view(mock, capsys, monkeypatch, "--below", "20")
    assert code == 1
    assert err == "below: spendable is at most $17.50, under $20.00\n"
