"""keys disable|enable|set-limit|remove-limit and guard log, against the live mock: in process through
main() (--yes, --dry-run, --json, the journal in the state directory and in a ledger, refusals), and as
a real process on a terminal (a pty) for the prompt."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from commanding import COMMAND, KEY, ORDINARY, answered_on_a_terminal

from openrouter_credits.cli import main
from openrouter_credits.testing import MockServer

H1, H2, H3 = "1a2b3c4d" + "1" * 56, "9f8e7d6c" + "2" * 56, "9f8e7d6c" + "3" * 56
KEYS: list[dict[str, Any]] = [
    {"name": "ci-nightly", "hash": H1, "label": "sk-or-v1-1a2...1111", "limit": 20.0, "usage": 30.0},
    {"name": "ci", "hash": H2, "label": "sk-or-v1-9f8...2222"},
    {"name": "ci", "hash": H3, "label": "sk-or-v1-9f8...3333", "disabled": True},
]


@pytest.fixture
def account(mock: MockServer) -> MockServer:
    mock.app.set_keys(KEYS)
    return mock


def cli(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, state: Path, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.delenv("OPENROUTER_CREDITS_LEDGER", raising=False)
    url = ["--base-url", mock.base_url] if args[0] == "keys" else []
    code = main([*args, *url, "--state-dir", str(state)])
    out, err = capsys.readouterr()
    for secret in (KEY, ORDINARY):
        assert secret not in out + err
    return code, out, err


def patches(mock: MockServer) -> list[tuple[str, str, int]]:
    return [request for request in mock.app.requests if request[0] == "PATCH"]


def journal(state: Path) -> list[dict[str, Any]]:
    path = state / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_disable_with_yes(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--yes applies it: the change on stderr, the key's row after it on stdout, one journal entry."""
    code, out, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "ci-nightly", "--yes")
    assert code == 0, err
    assert err == (
        "Disable key ci-nightly (sk-or-v1-1a2...1111, workspace Default, hash 1a2b3c4d1111):\n  disabled false → true\n"
    )
    assert out == (
        "Name        Workspace  Label                       Limit    Used   Left  Resets in  Today   Week  Month  "
        "Status\n"
        "ci-nightly  Default    sk-or-v1-1a2...1111  $20.00 total  $30.00  $0.00          -  $0.00  $0.00  $0.00  "
        "disabled\n1 key\n"
    )
    assert account.app.key_by_hash(H1)["disabled"] is True  # type: ignore[index]
    [entry] = journal(tmp_path)
    assert {k: v for k, v in entry.items() if k != "at"} == {
        "account": "",
        "action": "disable",
        "actor": "cli",
        "after": {"disabled": True},
        "before": {"disabled": False},
        "key_hash": H1,
        "key_name": "ci-nightly",
        "outcome": "done",
        "reason": "openrouter-credits keys disable",
    }


def test_enable_set_limit_remove_limit_json(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A hash prefix names a key; --json prints the updated key; each change is journaled; guard log
    prints the journal, oldest first."""
    code, out, _ = cli(account, capsys, monkeypatch, tmp_path, "keys", "enable", "9f8e7d6c3", "--yes", "--json")
    assert (code, json.loads(out)["disabled"], json.loads(out)["hash"]) == (0, False, H3)
    code, out, _ = cli(
        account, capsys, monkeypatch, tmp_path, "keys", "set-limit", "ci-nightly", "45", "--reset", "weekly", "--yes",
        "--json",
    )  # fmt: skip
    changed = json.loads(out)
    assert (code, changed["limit"], changed["limit_reset"], changed["workspace_name"]) == (0, 45.0, "weekly", "Default")
    code, out, _ = cli(account, capsys, monkeypatch, tmp_path, "keys", "remove-limit", "sk-or-v1-1a2...1111", "--yes")
    assert code == 0
    assert account.app.key_by_hash(H1)["limit"] is None  # type: ignore[index]
    assert [(e["action"], e["before"], e["after"]) for e in journal(tmp_path)] == [
        ("enable", {"disabled": True}, {"disabled": False}),
        ("set_limit", {"limit": 20.0, "limit_reset": None}, {"limit": 45.0, "limit_reset": "weekly"}),
        ("remove_limit", {"limit": 45.0}, {"limit": None}),
    ]
    code, out, _ = cli(account, capsys, monkeypatch, tmp_path, "guard", "log", "--last", "2")
    lines = out.splitlines()
    assert (code, len(lines)) == (0, 3)
    assert lines[0].split() == ["Time", "By", "Key", "Action", "Outcome", "Change", "Reason"]
    assert "ci-nightly (1a2b3c4d1111)  set_limit" in lines[1]
    assert "limit $20.00 → $45.00, limit_reset never → weekly" in lines[1]
    assert lines[2].split("done")[1].split() == [
        "limit",
        "$45.00",
        "→",
        "none",
        *["openrouter-credits", "keys", "remove-limit"],
    ]
    code, out, _ = cli(account, capsys, monkeypatch, tmp_path, "guard", "log", "--json")
    assert [entry["action"] for entry in json.loads(out)] == ["enable", "set_limit", "remove_limit"]


def test_dry_run_changes_nothing(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--dry-run shows the change (on stdout; --json: the key and the changes) and sends no PATCH."""
    code, out, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "set-limit", "ci-nightly", "5", "--dry-run")
    assert (code, err) == (0, "")
    assert out == (
        "Set the limit of key ci-nightly (sk-or-v1-1a2...1111, workspace Default, hash 1a2b3c4d1111):\n"
        "  limit $20.00 → $5.00\ndry run: nothing was changed.\n"
    )
    code, out, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "ci-nightly", "--dry-run", "--json")
    assert json.loads(out)["changes"] == {"disabled": {"before": False, "after": True}}
    assert err.endswith("dry run: nothing was changed.\n")
    assert (patches(account), journal(tmp_path)) == ([], [])


def test_refusals(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A name two keys share: refused, listing them (exit 2); no key: exit 2; a short hex text is a
    name, not a prefix; already so: nothing sent; no terminal and no --yes: exit 2 before any call."""
    code, out, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "ci", "--yes")
    assert (code, out) == (2, "")
    assert err == (
        "error: KEY: 2 keys have the name 'ci': give the hash prefix of one (8 hex digits or more) instead.\n"
        "  ci  sk-or-v1-9f8...2222  Default  9f8e7d6c2222\n"
        "  ci  sk-or-v1-9f8...3333  Default  9f8e7d6c3333\n"
    )
    code, _, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "9f8e7d6c", "--yes")
    assert (code, err.splitlines()[0]) == (2, "error: KEY: 2 keys have hashes starting '9f8e7d6c': give more digits.")
    code, _, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "1a2b3c", "--yes")
    assert (code, err.startswith("error: KEY: no key of the account has the name or label '1a2b3c' (a hash")) == (
        2,
        True,
    )
    code, out, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "enable", "ci-nightly", "--yes")
    assert code == 0
    assert err == (
        "Key ci-nightly (sk-or-v1-1a2...1111, workspace Default, hash 1a2b3c4d1111): disabled is false already; "
        "nothing was changed.\n"
    )
    account.app.requests.clear()
    code, _, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "ci-nightly")
    assert (code, account.app.requests) == (2, [])
    assert err.startswith("error: keys disable changes a key of the account, and there is no terminal")
    assert (patches(account), journal(tmp_path)) == ([], [])


def test_own_key_and_ordinary_key(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The key the command runs with is never changed by it; an ordinary key: exit 3, one sentence."""
    own = json.loads(json.dumps(KEYS[0]))
    own.update(name="the-manager", hash=__import__("hashlib").sha256(KEY.encode()).hexdigest())
    account.app.set_keys([*KEYS, own])
    code, _, err = cli(account, capsys, monkeypatch, tmp_path, "keys", "disable", "the-manager", "--yes")
    assert code == 2
    assert err.startswith("error: KEY names the key this command runs with (the-manager (")
    monkeypatch.setenv("OPENROUTER_API_KEY", ORDINARY)
    code = main(
        ["keys", "disable", "ci-nightly", "--yes", "--base-url", account.base_url, "--state-dir", str(tmp_path)]
    )
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert err == (
        "error: changing keys needs a management key; this key was refused (HTTP 401: Only management keys can "
        "perform this operation). Create one at https://openrouter.ai/settings/management-keys.\n"
    )
    assert (patches(account), journal(tmp_path)) == ([], [])


def test_journal_first_then_failures_journaled(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A state directory other users may write to refuses the change before it is made; a PATCH that
    fails with a 5xx after retries may have been made: journaled unknown, exit 4; one refused (a 4xx)
    was not: journaled failed."""
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o777)
    loose.chmod(0o777)
    code, _, err = cli(account, capsys, monkeypatch, loose, "keys", "disable", "ci-nightly", "--yes")
    assert (code, patches(account)) == (2, [])
    assert f"\nerror: --state-dir {loose} may be written by other users (mode 777)" in err
    account.app.fail_next(3, status=503, endpoint="PATCH keys/{hash}")
    state = tmp_path / "state"
    code, _, err = cli(
        account, capsys, monkeypatch, state, "keys", "disable", "ci-nightly", "--yes", "--max-retries", "2"
    )
    assert code == 4
    assert "HTTP 503" in err
    assert err.endswith(
        "\nThe change may have been made: openrouter-credits keys --include-disabled shows the key as it is.\n"
    )
    [entry] = journal(state)
    assert (entry["outcome"], entry["after"]) == ("unknown", {"disabled": True})
    assert entry["reason"].startswith(
        "The change may have been made (openrouter-credits keys --include-disabled shows the key as it is): "
        "OpenRouter failed to answer (HTTP 503"
    )
    account.app.fail_next(1, status=400, endpoint="PATCH keys/{hash}")
    code, _, err = cli(account, capsys, monkeypatch, state, "keys", "disable", "ci-nightly", "--yes")
    assert (code, "may have been made" in err) == (5, False)
    assert [entry["outcome"] for entry in journal(state)] == ["unknown", "failed"]


def test_journal_in_a_ledger(
    account: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With a ledger named, the change goes to its key_changes table, and guard log reads it there."""
    ledger = str(tmp_path / "ledger.sqlite3")
    code, _, _ = cli(
        account, capsys, monkeypatch, tmp_path, "keys", "disable", "ci-nightly", "--yes", "--ledger", ledger
    )
    assert (code, journal(tmp_path)) == (0, [])
    code, out, _ = cli(account, capsys, monkeypatch, tmp_path, "guard", "log", "--json", "--ledger", ledger)
    [entry] = json.loads(out)
    assert (entry["actor"], entry["key_hash"], entry["after"]) == ("cli", H1, {"disabled": True})
    code, out, _ = cli(account, capsys, monkeypatch, tmp_path / "empty", "guard", "log")
    assert out == f"No changes to keys in the journal {tmp_path / 'empty' / 'journal.jsonl'}.\n"


def on_a_terminal(mock: MockServer, state: Path, answer: bytes, *args: str) -> tuple[int, bytes, bytes]:
    """The command as a process on a terminal (a pty for stdin and stderr): ``answer`` typed at its prompt."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": mock.base_url}
    env.pop("OPENROUTER_CREDITS_LEDGER", None)
    return answered_on_a_terminal([COMMAND, *args, "--state-dir", str(state)], env, b"[y/N] ", answer)


def test_asks_on_a_terminal(account: MockServer, tmp_path: Path) -> None:
    """On a terminal the change is shown and asked for: n changes nothing (exit 1), y applies it."""
    code, out, seen = on_a_terminal(account, tmp_path, b"n\n", "keys", "disable", "ci-nightly")
    assert (code, out, patches(account)) == (1, b"", [])
    assert (
        seen.replace(b"\r\n", b"\n")
        == (
            "Disable key ci-nightly (sk-or-v1-1a2...1111, workspace Default, hash 1a2b3c4d1111):\n"
            "  disabled false → true\nApply this change? [y/N] n\nNothing was changed.\n"
        ).encode()
    )
    code, out, seen = on_a_terminal(account, tmp_path, b"y\n", "keys", "disable", "ci-nightly")
    assert code == 0
    assert out.decode().splitlines()[1].startswith("ci-nightly  Default")
    assert len(patches(account)) == 1
    assert [entry["outcome"] for entry in journal(tmp_path)] == ["done"]
