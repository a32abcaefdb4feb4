"""What the command's tests share: the installed command, a management key and an ordinary key that
the mock knows (``server`` in conftest.py), the moment it is set at, the command in process against
the live mock (``in_process``), and the command as a process on a terminal (``answered_on_a_terminal``,
``read_rest``)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openrouter_credits.cli import main
from openrouter_credits.testing import MockServer

COMMAND = str(Path(sys.executable).parent / "openrouter-credits")
KEY = "sk-or-v1-commands-SECRET-management-5e6f"
ORDINARY = "sk-or-v1-commands-SECRET-ordinary-9c0d"
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def in_process(
    mock: MockServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    key: str = KEY,
    now: dt.datetime | None = NOW,
    secrets: tuple[str, ...] = (KEY, ORDINARY),
) -> tuple[int, str, str]:
    """``main([*args, "--base-url", <the mock's>])`` with ``key`` in the environment and the clock at
    ``now`` (the real one where None): its exit code, stdout and stderr, which hold none of ``secrets``."""
    monkeypatch.setenv("OPENROUTER_API_KEY", key)
    code = main([*args, "--base-url", mock.base_url], **({} if now is None else {"clock": lambda: now}))
    out, err = capsys.readouterr()
    for secret in {key, *secrets}:
        assert secret not in out + err
    return code, out, err


def read_rest(fd: int) -> bytes:
    """What the terminal's other side shows from here until the child's side closes."""
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return seen
        if not chunk:
            return seen
        seen += chunk


def answered_on_a_terminal(
    argv: list[str], env: dict[str, str], prompt: bytes, answer: bytes
) -> tuple[int, bytes, bytes]:
    """``argv`` as a process with a terminal (a pty) for its stdin and stderr: ``answer`` typed once
    ``prompt`` shows (or after 20 s). Its exit code, its stdout, and all that the terminal showed."""
    import pty

    main_fd, child = pty.openpty()
    proc = subprocess.Popen(argv, stdin=child, stdout=subprocess.PIPE, stderr=child, env=env)
    os.close(child)
    seen = b""
    try:
        deadline = time.monotonic() + 20
        while prompt not in seen and time.monotonic() < deadline:
            seen += os.read(main_fd, 1024)
        os.write(main_fd, answer)
        out, _ = proc.communicate(timeout=30)
        seen += read_rest(main_fd)
    finally:
        os.close(main_fd)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, seen
