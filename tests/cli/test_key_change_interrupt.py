"""Ctrl-C while a change to a key is sent: the mock makes the change, then the command gets SIGINT
before the answer (the mock holds it back until the command is done). The change may have been made:
it is journaled ``unknown``, the command says how to see the key and exits 130, with no traceback; in
process (the state directory's journal and a ledger's), and as a real process."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from commanding import COMMAND, KEY, NOW, read_rest

from helpers import PatchHeld
from openrouter_credits.cli import main
from openrouter_credits.cli._common import interrupts_held
from openrouter_credits.testing import MockServer

H1 = "1a2b3c4d" + "1" * 56
ADVICE = "openrouter-credits keys --include-disabled shows the key as it is"


@pytest.fixture(scope="module")
def interrupting() -> Iterator[MockServer]:
    app = PatchHeld(provisioning_keys={KEY: (25.0, 7.5)}, clock=lambda: NOW)
    with MockServer(app) as running:
        yield running


@pytest.fixture
def account(interrupting: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    interrupting.app.reset()
    interrupting.app.set_keys([{"name": "ci-nightly", "hash": H1, "label": "sk-or-v1-1a2...1111"}])
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.delenv("OPENROUTER_CREDITS_LEDGER", raising=False)
    yield interrupting
    interrupting.app.on_patch = lambda: None  # type: ignore[attr-defined]


def disabled(mock: MockServer) -> bool:
    return mock.app.key_by_hash(H1)["disabled"] is True  # type: ignore[index]


@pytest.mark.parametrize("where", ["state-dir", "ledger"])
def test_ctrl_c_in_process(account: MockServer, capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str) -> None:
    """SIGINT once the mock has disabled the key, before its answer: exit 130, the entry journaled
    unknown (in the state directory, or the ledger's key_changes), guard log shows it, keys the key."""
    done = threading.Event()

    def interrupt() -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        done.wait(10)  # the answer waits for the command to be done (bounded: a command that waits fails)

    account.app.on_patch = interrupt  # type: ignore[attr-defined]
    journal = ["--state-dir", str(tmp_path)] if where == "state-dir" else ["--ledger", str(tmp_path / "l.sqlite3")]
    try:
        code = main(["keys", "disable", "ci-nightly", "--yes", "--base-url", account.base_url, *journal])
    finally:
        done.set()
    out, err = capsys.readouterr()
    assert (code, out, disabled(account)) == (130, "", True)
    shown = "the journal " + str(tmp_path / "journal.jsonl") if where == "state-dir" else "the ledger "
    assert err.startswith("Disable key ci-nightly (sk-or-v1-1a2...1111, workspace Default, hash 1a2b3c4d1111):\n")
    assert f"\n\nInterrupted: the change may have been made (journaled as unknown in {shown}" in err
    assert err.endswith(f"): {ADVICE}.\n")
    assert main(["guard", "log", "--json", *journal]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert {k: entry[k] for k in ("actor", "key_hash", "action", "outcome", "before", "after", "reason")} == {
        "actor": "cli",
        "key_hash": H1,
        "action": "disable",
        "outcome": "unknown",
        "before": {"disabled": False},
        "after": {"disabled": True},
        "reason": f"The change may have been made ({ADVICE}): interrupted (Ctrl-C) while it was sent.",
    }
    assert main(["keys", "--include-disabled", "--json", "--base-url", account.base_url]) == 0
    [key] = json.loads(capsys.readouterr().out)
    assert (key["name"], key["disabled"], key["status"]) == ("ci-nightly", True, "disabled")


def test_ctrl_c_as_a_process(account: MockServer, tmp_path: Path) -> None:
    """The command as a process, SIGINT while its PATCH waits for the answer: exit 130, no traceback,
    the change journaled unknown in the state directory."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": account.base_url}
    env.pop("OPENROUTER_CREDITS_LEDGER", None)
    argv = [COMMAND, "keys", "enable", "ci-nightly", "--yes", "--state-dir", str(tmp_path)]
    account.app.set_keys([{"name": "ci-nightly", "hash": H1, "label": "sk-or-v1-1a2...1111", "disabled": True}])
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def interrupt() -> None:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):  # the command waited: the test fails on its output
            proc.wait(10)

    account.app.on_patch = interrupt  # type: ignore[attr-defined]
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.decode()
    assert (proc.returncode, out, disabled(account)) == (130, b"", False)
    assert ("Traceback" in text, "KeyboardInterrupt" in text) == (False, False)
    assert text.endswith(f"(journaled as unknown in the journal {tmp_path / 'journal.jsonl'}): {ADVICE}.\n")
    [line] = (tmp_path / "journal.jsonl").read_text().splitlines()
    entry = json.loads(line)
    assert (entry["action"], entry["outcome"], entry["after"]) == ("enable", "unknown", {"disabled": False})


def test_ctrl_c_at_the_prompt(account: MockServer, tmp_path: Path) -> None:
    """SIGINT at "Apply this change?" on a terminal: nothing sent, nothing journaled, exit 130, a
    sentence and no traceback."""
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": account.base_url}
    env.pop("OPENROUTER_CREDITS_LEDGER", None)
    main_fd, child = pty.openpty()
    argv = [COMMAND, "keys", "disable", "ci-nightly", "--state-dir", str(tmp_path)]
    proc = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    seen = b""
    try:
        deadline = time.monotonic() + 20
        while b"[y/N] " not in seen and time.monotonic() < deadline:
            seen += os.read(main_fd, 1024)
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        seen += read_rest(main_fd)
    finally:
        os.close(main_fd)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert seen.replace(b"\r\n", b"\n").endswith(b"Apply this change? [y/N] \nNothing was changed.\n")
    assert ([r for r in account.app.requests if r[0] == "PATCH"], list(tmp_path.iterdir())) == ([], [])


def test_a_timeout_after_the_patch_was_sent(
    account: MockServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The PATCH made, its answer later than --timeout (no retries): journaled unknown, exit 4, and
    the command says how to see the key."""
    release = threading.Event()
    account.app.on_patch = lambda: release.wait(5)  # type: ignore[attr-defined]
    argv = ["keys", "disable", "ci-nightly", "--yes", "--base-url", account.base_url, "--state-dir", str(tmp_path)]
    try:
        code = main([*argv, "--timeout", "0.3", "--max-retries", "0"])
    finally:
        release.set()
    _, err = capsys.readouterr()
    assert (code, disabled(account)) == (4, True)
    assert err.endswith(f"\nThe change may have been made: {ADVICE}.\n")
    [line] = (tmp_path / "journal.jsonl").read_text().splitlines()
    entry = json.loads(line)
    assert entry["outcome"] == "unknown"
    assert entry["reason"].startswith(f"The change may have been made ({ADVICE}): ")


def test_interrupts_held_until_the_block_is_done() -> None:
    """A SIGINT inside interrupts_held() lets the block finish, then is raised once; the handler
    before it is back."""
    before = signal.getsignal(signal.SIGINT)
    finished = []

    def held() -> None:
        with interrupts_held():
            signal.raise_signal(signal.SIGINT)
            finished.append(True)

    with pytest.raises(KeyboardInterrupt):
        held()
    assert (finished, signal.getsignal(signal.SIGINT)) == ([True], before)
    with interrupts_held():
        pass  # nothing came: nothing raised
