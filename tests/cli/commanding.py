"""What the command's tests share: the installed command, a management key and an ordinary key that
the mock knows (``server`` in conftest.py), the moment it is set at, the command in process against
the live mock (``in_process``), the command in process as a process would run it (``as_command``,
its waits between attempts not waited: ``unwaiting``), and the command as a process on a terminal
(``answered_on_a_terminal``, ``read_rest``)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from openrouter_credits import _logging
from openrouter_credits._client import CreditsClient
from openrouter_credits.cli import main, spend, view
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


def unwaiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The command's clients wait between attempts by appending the wait to the list returned, not by
    sleeping (the client's ``sleep``)."""
    waits: list[float] = []

    class Unwaiting(CreditsClient):
        def __init__(self, *args: object, **options: object) -> None:
            super().__init__(*args, sleep=waits.append, **options)  # type: ignore[arg-type]

    for module in (view, spend):
        monkeypatch.setattr(module, "CreditsClient", Unwaiting)
    return waits


@contextmanager
def own_logging() -> Iterator[None]:
    """Logging as a new process has it, put back as it was after: no secret registered yet (each must
    be registered by the run itself), and the root logger's handlers and levels that --debug sets."""
    root, quiet = logging.getLogger(), [logging.getLogger(name) for name in _logging._QUIET]
    handlers, level, levels = root.handlers[:], root.level, [logger.level for logger in quiet]
    secrets, raising = set(_logging._secrets), logging.raiseExceptions
    _logging._secrets.clear()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for logger, was in zip(quiet, levels, strict=True):
            logger.setLevel(was)
        _logging._secrets.clear()
        _logging._secrets.update(secrets)
        logging.raiseExceptions = raising


def as_command(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    secrets: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """``main(args)`` in an environment without OPENROUTER_* variables but ``env``'s, ``stdin`` its
    standard input (a pipe's, not a terminal's), as the command would run: its exit status (a usage
    error's, argparse's exit, included), stdout and stderr, which hold none of ``secrets``. Time is
    the real clock's; the waits between attempts are not waited (``unwaiting``)."""
    for name in list(os.environ):
        if name.startswith("OPENROUTER_"):
            monkeypatch.delenv(name)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    unwaiting(monkeypatch)
    capsys.readouterr()
    with own_logging():
        try:
            code = main(list(args))
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 0 if exited.code is None else 1
    out, err = capsys.readouterr()
    for secret in secrets:
        assert secret not in out + err
    return subprocess.CompletedProcess(list(args), code, out, err)


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
