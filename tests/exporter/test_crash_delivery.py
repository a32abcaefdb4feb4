"""Delivery across a crash: ``serve`` killed with SIGKILL while an alert waits in the outbox, or
between the receiver taking it and the outbox forgetting it, then started again on the same state
directory. The receiver gets the alert at least once and at most twice (``_delivery``'s guarantee:
at least once; a kill -9 between a post and its removal repeats that post once)."""

from __future__ import annotations

import http.server
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from exporting import ServeProcess, two_keys

from helpers import on_loopback
from openrouter_credits.testing import MockServer

ALERT = "OpenRouter key team-a may spend $17.50, below its threshold of $20.00."


class CrashReceiver(http.server.BaseHTTPRequestHandler):
    """A webhook: ``mode`` "refuse" answers 503 (the post did not count), "accept" records it and
    answers 200, "kill" records it and then SIGKILLs ``victim`` before answering (the receiver took
    it, the exporter never heard)."""

    mode: ClassVar[str] = "accept"
    victim: ClassVar[int | None] = None
    posts: ClassVar[list[str]] = []
    refused: ClassVar[int] = 0

    def do_POST(self) -> None:
        text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
        if CrashReceiver.mode == "refuse":
            CrashReceiver.refused += 1
            self.send_response(503)
        else:
            CrashReceiver.posts.append(text)
            if CrashReceiver.mode == "kill" and CrashReceiver.victim is not None:
                os.kill(CrashReceiver.victim, signal.SIGKILL)
                CrashReceiver.victim = None
                return  # no answer: the exporter is gone
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def crash_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    CrashReceiver.mode, CrashReceiver.victim, CrashReceiver.posts, CrashReceiver.refused = "accept", None, [], 0
    with on_loopback(CrashReceiver) as base:
        url = f"{base}/hooks/crash"
        monkeypatch.setenv("OPENROUTER_CREDITS_NOTIFY_URL", url)  # serve reads it (ServeProcess passes the environment)
        yield url


def wait(condition: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def outbox(state: Path) -> list[Any]:
    path = state / "outbox.json"
    entries: list[Any] = json.loads(path.read_text())["entries"] if path.exists() else []
    return entries


def kill(exporter: ServeProcess) -> None:
    if exporter.proc.poll() is None:
        exporter.proc.send_signal(signal.SIGKILL)
    exporter.proc.communicate(timeout=10)
    assert exporter.proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("moment", "received"),
    [
        ("queued, not yet taken", 1),  # killed while the receiver refuses: delivered once after the restart
        ("taken, not yet removed", 2),  # killed inside the post: the one duplicate the guarantee allows
        ("taken and removed", 1),  # killed after the outbox forgot it: nothing is sent again
    ],
)
def test_sigkill_and_restart_deliver_at_least_once_at_most_twice(
    mock: MockServer, tmp_path: Path, crash_receiver: str, moment: str, received: int
) -> None:
    """The alert of team-a (spendable $17.50, below $20) reaches the receiver at least once and at
    most twice, whichever moment serve is killed at; it is never lost."""
    state = tmp_path / "state"
    config = two_keys(tmp_path, below=20.0)
    CrashReceiver.mode = {"queued, not yet taken": "refuse", "taken, not yet removed": "kill"}.get(moment, "accept")
    first = ServeProcess(mock, config, "--state-dir", str(state))
    CrashReceiver.victim = first.proc.pid
    try:
        if moment == "queued, not yet taken":
            assert wait(lambda: CrashReceiver.refused >= 1 and len(outbox(state)) == 1)
        elif moment == "taken, not yet removed":
            assert wait(lambda: first.proc.poll() is not None)  # the receiver killed it mid-post
        else:
            assert wait(lambda: len(CrashReceiver.posts) == 1 and not outbox(state))
    finally:
        kill(first)
    assert [entry["alert"]["text"] for entry in outbox(state)] == ([] if moment == "taken and removed" else [ALERT])

    CrashReceiver.mode = "accept"
    second = ServeProcess(mock, config, "--state-dir", str(state))
    try:
        assert wait(lambda: len(CrashReceiver.posts) >= 1 and not outbox(state))
        time.sleep(2.5)  # two polls more: no further alert (the state file says team-a is below)
    finally:
        status, logs, _ = second.stop()
    assert status == 0, logs
    assert 1 <= len(CrashReceiver.posts) <= 2
    assert CrashReceiver.posts == [ALERT] * received
