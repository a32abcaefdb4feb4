"""Delivery of alerts: the outbox written before put() returns and emptied only by a success, one worker
per channel (a hanging receiver delays no other), retries with backoff in virtual time, redirects and
closed connections as failures, entries delivered after a restart, corrupt files moved aside; and the
state directory: created at start, locked against a second exporter, JSON kept atomically."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from test_channels import BELOW, RECOVERED, Service, start, stop

from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits.exporter._channels import Alert, Channel, DeliveryError, WebhookChannel
from openrouter_credits.exporter._delivery import Deliverer, Outbox, default_backoff
from openrouter_credits.exporter._statedir import StateDir

TOKEN = "DELIVERYSECRET-2b4d6f8h"
#: 2026-11-30 12:00:00 UTC, for the names of files moved aside.
NOW = 1_796_040_000.0


class VirtualTime:
    """An injected clock and sleep: a sleep records its length and moves the clock on at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@attrs.define(repr=False, eq=False)
class Scripted(Channel):
    """A channel that fails or succeeds as its script says, then blocks (so the test can look)."""

    script: list[str] = attrs.field(factory=list)
    sent: list[Alert] = attrs.field(factory=list)  # every attempt, in order
    kind = "scripted"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:  # noqa: ASYNC109
        self.sent.append(alert)
        if not self.script:
            await asyncio.Event().wait()
        outcome = self.script.pop(0)
        if outcome == "fail":
            raise DeliveryError(f"The scripted channel {self.name} failed.")
        if outcome == "bug":
            raise KeyError("a bug in the channel")


@pytest.fixture
def services() -> Iterator[Callable[[], Service]]:
    """Starts webhook receivers on 127.0.0.1 on demand; stops them all after the test."""
    started: list[Service] = []

    def new() -> Service:
        started.append(start("webhook"))
        return started[-1]

    yield new
    for running in started:
        stop(running)


@contextlib.asynccontextmanager
async def delivering(deliverer: Deliverer) -> AsyncIterator[asyncio.Task[None]]:
    """``deliverer.run()`` in a task for the block's duration."""
    task = asyncio.create_task(deliverer.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def hook(receiver: Service, name: str = "ops") -> WebhookChannel:
    return WebhookChannel(name, receiver.serve(f"/hooks/{TOKEN}"))


def texts(receiver: Service) -> list[str]:
    return [request.json()["text"] for request in receiver.requests]


def outbox_file(path: Path) -> list[tuple[str, str]]:
    """(channel, state) of each entry in the outbox file, in order."""
    document = json.loads(path.read_text())
    return [(entry["channel"], entry["alert"]["state"]) for entry in document["entries"]]


# --- delivery --------------------------------------------------------------------------------------


def test_a_500_then_success_is_one_delivery(
    services: Callable[[], Service], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 is retried after 2 s (virtual): the receiver gets the alert once more and takes it; the entry
    leaves the outbox file only then; the failure is logged without the URL's token."""
    receiver, time_ = services(), VirtualTime()
    receiver.script.append(500)
    outbox = Outbox(tmp_path / "outbox.json")
    deliverer = Deliverer(outbox, {"ops": hook(receiver)}, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        outbox.put(BELOW, ["ops"])
        assert outbox_file(tmp_path / "outbox.json") == [("ops", "below")]  # written before put() returned
        async with delivering(deliverer):
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert texts(receiver) == [BELOW.text, BELOW.text]
    assert (deliverer.delivered, deliverer.failures, time_.sleeps) == ({"ops": 1}, {"ops": 1}, [2.0])
    assert outbox_file(tmp_path / "outbox.json") == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "The webhook channel ops (http://127.0.0.1/…) answered HTTP 500. Failures in a row: 1; alerts waiting for "
        "it: 1, kept until delivered."
    ]
    assert TOKEN not in caplog.text


def test_each_alert_once_in_order(services: Callable[[], Service]) -> None:
    """A receiver that works gets each alert exactly once, in the order they were put."""
    receiver = services()
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": hook(receiver)})
    alerts = [BELOW, RECOVERED, attrs.evolve(BELOW, text="third")]

    async def main() -> None:
        async with delivering(deliverer):
            for alert in alerts:
                outbox.put(alert, ["ops"])
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert texts(receiver) == [BELOW.text, RECOVERED.text, "third"]
    assert len(outbox) == 0


def test_a_hanging_receiver_delays_no_other_channel(
    services: Callable[[], Service], caplog: pytest.LogCaptureFixture
) -> None:
    """A receiver that hangs (30 s) is abandoned at the timeout and retried; meanwhile the other channel
    got the same alert within a second, and the event loop (where /metrics is served) kept running."""
    slow, fast = services(), services()
    slow.script.append("hang")
    time_ = VirtualTime()
    outbox = Outbox(None)
    channels = {"slow": hook(slow, "slow"), "fast": hook(fast, "fast")}
    deliverer = Deliverer(outbox, channels, timeout=1.0, sleep=time_.sleep, clock=time_.clock)

    async def main() -> float:
        async with delivering(deliverer):
            start_ = time.monotonic()
            outbox.put(BELOW, ["slow", "fast"])
            arrived = await asyncio.to_thread(fast.wait_for, 1, 1.0)
            took = time.monotonic() - start_
            assert arrived
            ticks = time.monotonic()
            await asyncio.sleep(0.05)  # the loop answers while the slow post hangs
            assert time.monotonic() - ticks < 0.5
            assert await deliverer.drain(5)
        return took

    assert asyncio.run(main()) < 1.0
    assert (texts(fast), texts(slow)) == ([BELOW.text], [BELOW.text, BELOW.text])
    assert deliverer.delivered == {"slow": 1, "fast": 1}
    assert time_.sleeps == [2.0]
    assert "The webhook channel slow (http://127.0.0.1/…) gave no answer within 1 s." in caplog.text


@pytest.mark.parametrize(
    ("answer", "failure"),
    [
        ("close", "could not be reached (RemoteProtocolError)."),
        ("redirect", "answered HTTP 302, a redirect, which is not followed: check its URL."),
    ],
)
def test_a_closed_connection_or_a_redirect_is_a_failure(
    answer: str, failure: str, services: Callable[[], Service], caplog: pytest.LogCaptureFixture
) -> None:
    """A connection closed without an answer, or a 302, fails the attempt (the redirect is not followed:
    nothing reaches its Location); the retry delivers the alert once."""
    receiver, time_ = services(), VirtualTime()
    receiver.script.append(answer)
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": hook(receiver)}, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        outbox.put(BELOW, ["ops"])
        async with delivering(deliverer):
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert [request.path for request in receiver.requests] == [f"/hooks/{TOKEN}"] * 2
    assert deliverer.delivered == {"ops": 1}
    assert f"The webhook channel ops (http://127.0.0.1/…) {failure}" in caplog.text


def test_retries_set_an_entry_aside_and_never_drop_it(caplog: pytest.LogCaptureFixture) -> None:
    """After `retries` failures an entry waits behind the others for `retry_later`; the pause grows 2, 4, 8,
    ...; nothing leaves the outbox; at most one log line a minute per channel, counting the rest."""
    time_ = VirtualTime()
    first, second = BELOW, attrs.evolve(BELOW, text="second")
    failing = Scripted("ops", ["fail"] * 7)
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": failing}, retries=3, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        outbox.put(first, ["ops"])
        outbox.put(second, ["ops"])
        async with delivering(deliverer):
            for _ in range(200):
                if len(failing.sent) == 8:  # the eighth attempt blocks: the state stands still
                    break
                await asyncio.sleep(0.01)
            assert not await deliverer.drain(0.05)

    asyncio.run(main())
    assert [alert.text for alert in failing.sent] == [first.text] * 3 + [second.text] * 3 + [first.text] * 2
    # 2, 4, 8, 16, 32, 64; nothing due until the first entry's 300 s are up (t=6+300, now 126); 128
    assert time_.sleeps == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 180.0, 128.0]
    assert [entry.alert.text for entry in outbox.entries()] == [first.text, second.text]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    waiting = "alerts waiting for it: 2, kept until delivered."
    assert warnings == [  # failures at t = 0, 2, 6, 14, 30, 62, 306
        f"The scripted channel ops failed. Failures in a row: 1; {waiting}",
        f"The scripted channel ops failed. Failures in a row: 6 (4 more not logged since the last message); {waiting}",
        f"The scripted channel ops failed. Failures in a row: 7; {waiting}",
    ]


def test_a_bug_in_a_channel_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    """A channel that raises something other than DeliveryError (a bug) is logged with its traceback,
    counted as a failure, and the alert retried; the worker goes on."""
    time_ = VirtualTime()
    buggy = Scripted("ops", ["bug", "ok"])
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": buggy}, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        outbox.put(BELOW, ["ops"])
        async with delivering(deliverer):
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert (len(buggy.sent), deliverer.delivered, deliverer.failures) == (2, {"ops": 1}, {"ops": 1})
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.getMessage() == "The scripted channel ops failed unexpectedly"
    assert error.exc_info is not None
    assert "a bug in the channel" in str(error.exc_info[1])


def test_backoff_doubles_up_to_five_minutes() -> None:
    """The default pause after n failures in a row: 2**n seconds, at most 300."""
    assert [default_backoff(n) for n in (1, 2, 3, 4, 8, 9, 30)] == [2.0, 4.0, 8.0, 16.0, 256.0, 300.0, 300.0]


def test_entries_left_by_a_previous_run_are_delivered(
    services: Callable[[], Service], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A new Outbox on the same file holds what the last run did not deliver; a new Deliverer sends it;
    an entry for a channel no longer configured is dropped with a warning, not silently."""
    receiver, path = services(), tmp_path / "outbox.json"
    Outbox(path).put(BELOW, ["ops", "gone"])  # the process died before delivering
    Outbox(path).put(RECOVERED, ["ops"])
    assert outbox_file(path) == [("ops", "below"), ("gone", "below"), ("ops", "recovered")]
    outbox = Outbox(path)
    deliverer = Deliverer(outbox, {"ops": hook(receiver)})

    async def main() -> None:
        async with delivering(deliverer):
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert texts(receiver) == [BELOW.text, RECOVERED.text]
    assert outbox_file(path) == []
    assert (
        "Dropping an alert for channel gone, which is no longer configured: team-a is below its threshold"
        in caplog.text
    )


@pytest.mark.parametrize(
    "content",
    [
        b'{"version": 1, "entries": [',  # cut short
        b"\xff\xfe",  # not UTF-8
        b'{"version": 1, "entries": {}}',  # entries not a list
        b'{"version": 1, "entries": [{"id": "a", "channel": "ops", "alert": {"key": "k"}}]}',  # fields missing
        b'{"version": 2, "entries": []}',  # a later format
        json.dumps(
            {"version": 1, "entries": [{"id": "a", "channel": "ops", "alert": {**attrs.asdict(BELOW), "severity": ""}}]}
        ).encode(),  # a wrong severity
    ],
)
def test_a_corrupt_outbox_is_moved_aside(content: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An outbox file that is not what the exporter writes is moved aside (kept for a person), with a
    warning; the outbox starts empty and writes a good file again."""
    path = tmp_path / "outbox.json"
    path.write_bytes(content)
    outbox = Outbox(path, clock=lambda: NOW)
    assert len(outbox) == 0
    aside = tmp_path / "outbox.json.corrupt-20261130T120000Z"
    assert aside.read_bytes() == content
    assert not path.exists()
    assert f"{path} was not " in caplog.text
    assert "moved aside to outbox.json.corrupt-20261130T120000Z; starting without it" in caplog.text
    outbox.put(BELOW, ["ops"])
    assert outbox_file(path) == [("ops", "below")]


# --- the state directory ---------------------------------------------------------------------------


def test_state_dir_is_created_and_locked(tmp_path: Path) -> None:
    """The folder is created (mode 700) and locked; a second StateDir on it is refused naming this pid;
    once the first is closed, another may take it."""
    path = tmp_path / "a" / "state"
    first = StateDir(path)
    assert path.is_dir()
    assert path.stat().st_mode & 0o777 == 0o700
    assert (path / "lock").read_text() == f"{os.getpid()}\n"
    with pytest.raises(ConfigurationError) as caught:
        StateDir(path)
    assert str(caught.value) == (
        f"--state-dir {path} is in use by another openrouter-credits serve (pid {os.getpid()}); "
        "give each exporter its own --state-dir."
    )
    first.close()
    with StateDir(path) as second:
        assert repr(second) == f"StateDir({str(path)!r}, locked=True)"


HOLDER = """
import sys
from pathlib import Path
from openrouter_credits.exporter._statedir import StateDir
state = StateDir(Path(sys.argv[1]))
print("locked", flush=True)
sys.stdin.read()
"""


def test_state_dir_held_by_another_process(tmp_path: Path) -> None:
    """A StateDir held by another process is refused with that process's pid; a kill -9 of it frees the
    folder (the lock goes with the process)."""
    path = tmp_path / "state"
    command = [sys.executable, "-c", HOLDER, str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None
            ready, _, _ = select.select([holder.stdout], [], [], 10)
            assert ready
            assert holder.stdout.readline() == "locked\n"
            with pytest.raises(ConfigurationError) as caught:
                StateDir(path)
            assert str(caught.value) == (
                f"--state-dir {path} is in use by another openrouter-credits serve (pid {holder.pid}); "
                "give each exporter its own --state-dir."
            )
        finally:
            holder.kill()
    StateDir(path).close()


def test_state_dir_that_cannot_be_created(tmp_path: Path) -> None:
    """A path that is a file, a parent that is a file, or a parent that cannot be made: each a
    ConfigurationError naming --state-dir and the path, before anything runs."""
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError) as caught:
        StateDir(tmp_path / "file")
    assert str(caught.value) == (
        f"--state-dir {tmp_path}/file is a file, not a folder: name a folder (it is created if missing)."
    )
    with pytest.raises(ConfigurationError) as caught:
        StateDir(tmp_path / "file" / "state")
    assert str(caught.value) == (
        f"--state-dir {tmp_path}/file/state cannot be created: Not a directory; name a folder this user may write."
    )
    if Path("/proc/self").is_dir():  # /proc takes no new folders, even from root
        with pytest.raises(ConfigurationError) as caught:
            StateDir(Path("/proc/openrouter-credits-test/state"))
        assert str(caught.value).startswith("--state-dir /proc/openrouter-credits-test/state cannot be created: ")


def is_counts(value: Any) -> bool:
    return all(isinstance(count, int) for count in value.values())


def test_state_files_are_written_atomically_and_corrupt_ones_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """write_json leaves the new file alone (mode 600, no temporary file); load_json moves aside a file of
    bad JSON, of a value that is not an object, or that the validator refuses, and returns None."""
    with StateDir(tmp_path, clock=lambda: NOW) as state:
        assert state.load_json("alerts.json") is None  # absent
        state.write_json("alerts.json", {"team-a": 1})
        assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.json", "lock"]
        assert (tmp_path / "alerts.json").stat().st_mode & 0o777 == 0o600
        assert state.load_json("alerts.json", is_counts) == {"team-a": 1}
        for number, content in enumerate(["{bad json", "[1, 2]", '{"team-a": "one"}'], start=1):
            (tmp_path / "alerts.json").write_text(content)
            assert state.load_json("alerts.json", is_counts) is None
            suffix = "" if number == 1 else f"-{number}"
            assert (tmp_path / f"alerts.json.corrupt-20261130T120000Z{suffix}").read_text() == content
        assert not (tmp_path / "alerts.json").exists()
    first, *others = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert first.startswith(f"{tmp_path}/alerts.json was not valid JSON (Expecting property name")
    assert first.endswith(": moved aside to alerts.json.corrupt-20261130T120000Z; starting without it")
    assert others == [
        f"{tmp_path}/alerts.json was not of the expected shape: moved aside to alerts.json.corrupt-20261130T120000Z-2; "
        "starting without it",
        f"{tmp_path}/alerts.json was not of the expected shape: moved aside to alerts.json.corrupt-20261130T120000Z-3; "
        "starting without it",
    ]
