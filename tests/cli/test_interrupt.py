"""Ctrl-C ends the command at once with status 130: during a call that is slow to answer (without
waiting for the calls' threads), and at the key prompt. The command runs on a pseudo-terminal, as a
person runs it, and gets SIGINT as the terminal would send it."""

from __future__ import annotations

import http.server
import os
import pty
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

COMMAND = str(Path(sys.executable).parent / "openrouter-credits")
KEY = "sk-or-v1-interrupt-SECRET-6b0d"
SLOW = 10.0  # seconds the server takes to answer


class _Slow(http.server.BaseHTTPRequestHandler):
    """Answers every request after SLOW seconds (counting those it has received)."""

    received = threading.Semaphore(0)

    def do_GET(self) -> None:
        self.received.release()
        time.sleep(SLOW)
        body = b'{"data": {"total_credits": 25.0, "total_usage": 7.5}}'
        try:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client is gone

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a request still sleeping does not hold up the test's end


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1"
    httpd.shutdown()
    httpd.server_close()


def on_a_terminal(*args: str, key: str | None) -> tuple[subprocess.Popen[bytes], int]:
    """The command with a pseudo-terminal as its standard input, output and error; and the
    terminal's other side."""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL")}
    if key is not None:
        env["OPENROUTER_API_KEY"] = key
    proc = subprocess.Popen([COMMAND, *args], stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    return proc, main


def read_until(fd: int, text: bytes, timeout: float = 20) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        seen += os.read(fd, 1024)
    return seen


def interrupt(proc: subprocess.Popen[bytes]) -> float:
    """Send SIGINT; the seconds until the process has exited."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=SLOW + 5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return time.monotonic() - sent


def test_ctrl_c_during_a_call(slow_server: str) -> None:
    """SIGINT while the three calls wait for a slow server: exit 130 at once, not after the server
    answers."""
    while _Slow.received.acquire(blocking=False):
        pass
    proc, main = on_a_terminal("--base-url", slow_server, "--deadline", "30", key=KEY)
    try:
        for _ in range(3):  # /credits, /key and /activity are in flight
            assert _Slow.received.acquire(timeout=20)
        elapsed = interrupt(proc)
    finally:
        os.close(main)
    assert proc.returncode == 130
    assert elapsed < SLOW / 2  # at once: not when the server answers (a loaded machine may take a second)


def test_ctrl_c_at_the_key_prompt(slow_server: str) -> None:
    """SIGINT at the prompt of --api-key-file -: exit 130 at once, the terminal's echo back on."""
    proc, main = on_a_terminal("--base-url", slow_server, "--api-key-file", "-", key=None)
    try:
        assert b"(not shown): " in read_until(main, b"(not shown): ")
        elapsed = interrupt(proc)
        assert termios.tcgetattr(main)[3] & termios.ECHO
    finally:
        os.close(main)
    assert proc.returncode == 130
    assert elapsed < SLOW / 2  # at once: not when the server answers (a loaded machine may take a second)


def test_python_m_exits_at_once_too(slow_server: str) -> None:
    """python -m openrouter_credits is the same command."""
    while _Slow.received.acquire(blocking=False):
        pass
    main, child = pty.openpty()
    env = {**os.environ, "OPENROUTER_API_KEY": KEY}
    command = [sys.executable, "-m", "openrouter_credits", "--base-url", slow_server]
    proc = subprocess.Popen(command, stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    try:
        for _ in range(3):
            assert _Slow.received.acquire(timeout=20)
        elapsed = interrupt(proc)
    finally:
        os.close(main)
    assert (proc.returncode, elapsed < SLOW / 2) == (130, True)
