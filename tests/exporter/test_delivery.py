"""Delivery of alerts: the outbox written (off the event loop) before flush() returns and emptied only by
a success, one worker per channel (a hanging receiver delays no other), retries with backoff in virtual
time, redirects and closed connections as failures, entries delivered after a restart, corrupt files
moved aside; hostile names, a worker that dies, entries that cannot go, the outbox's bounds and alike
alerts sent as one; and the state directory: created at start, locked against a second exporter, JSON
kept atomically, links and hostile files never followed or trusted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_channels import BELOW, RECOVERED, Service, start, stop

from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits.exporter._alert import Alert
from openrouter_credits.exporter._channels import Channel, DeliveryError, WebhookChannel
from openrouter_credits.exporter._delivery import Deliverer, default_backoff
from openrouter_credits.exporter._outbox import Outbox
from openrouter_credits.exporter._statedir import StateDir, StateFile, encode_json, read_json

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
    is in the outbox file once flush() returns, and leaves it only after the success; the failure is
    logged without the URL's token."""
    receiver, time_ = services(), VirtualTime()
    receiver.script.append(500)
    outbox = Outbox(tmp_path / "outbox.json")
    deliverer = Deliverer(outbox, {"ops": hook(receiver)}, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        outbox.put(BELOW, ["ops"])
        await outbox.flush()
        assert outbox_file(tmp_path / "outbox.json") == [("ops", "below")]  # written before flush() returned
        async with delivering(deliverer):
            assert await deliverer.drain(5)
        await outbox.flush()

    asyncio.run(main())
    assert texts(receiver) == [BELOW.text, BELOW.text]
    assert (deliverer.delivered, deliverer.failures, time_.sleeps) == ({"ops": 1}, {"ops": 1}, [2.0])
    assert outbox_file(tmp_path / "outbox.json") == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "The webhook channel ops (http://127.0.0.1/…) answered HTTP 500. Failures in a row: 1; alerts waiting for "
        "it: 1."
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
    """A receiver that hangs (30 s) is abandoned at the timeout and retried; meanwhile (before the slow
    post was given up) the other channel got the same alert, and the event loop (where /metrics is
    served) kept running."""
    slow, fast = services(), services()
    slow.script.append("hang")
    time_ = VirtualTime()
    outbox = Outbox(None)
    channels = {"slow": hook(slow, "slow"), "fast": hook(fast, "fast")}
    deliverer = Deliverer(outbox, channels, timeout=1.0, sleep=time_.sleep, clock=time_.clock)

    async def main() -> tuple[bool, bool]:
        async with delivering(deliverer):
            outbox.put(BELOW, ["slow", "fast"])
            assert await asyncio.to_thread(fast.wait_for, 1, 10.0)
            arrived_while_hanging = deliverer.failures["slow"] == 0
            await asyncio.sleep(0.05)  # the loop answers while the slow post hangs
            ran_while_hanging = deliverer.failures["slow"] == 0
            assert await deliverer.drain(5)
        return arrived_while_hanging, ran_while_hanging

    assert asyncio.run(main()) == (True, True)
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


def test_a_failing_entry_waits_behind_the_others_and_is_dropped_after_its_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed entry waits its own backoff behind the channel's others, which go meanwhile; after
    `retries` failed attempts it is dropped, logged and counted; at most one failure line a minute per
    channel, counting the rest."""
    time_ = VirtualTime()
    first, second = BELOW, attrs.evolve(BELOW, text="second")
    failing = Scripted("ops", ["fail"] * 5 + ["ok"])
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": failing}, retries=3, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        outbox.put(first, ["ops"])
        outbox.put(second, ["ops"])
        async with delivering(deliverer):
            assert await deliverer.drain(5)

    asyncio.run(main())
    # fewest failures first, then oldest: first fails (t=0), second (t=2), first (t=6), second (t=14), first
    # a third time (t=30): dropped; second, after the channel's pause, is taken (t=62)
    assert [alert.text for alert in failing.sent] == [first.text, second.text] * 3
    assert time_.sleeps == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert len(outbox) == 0
    assert (outbox.dropped, deliverer.delivered, deliverer.failures) == ({"ops": 1}, {"ops": 1}, {"ops": 5})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [  # failures at t = 0, 2, 6, 14, 30
        "The scripted channel ops failed. Failures in a row: 1; alerts waiting for it: 2.",
        "Dropped an alert for channel ops: 3 attempts failed; the last: The scripted channel ops failed. "
        "(team-a is below its threshold)",
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
        await outbox.flush()

    asyncio.run(main())
    assert texts(receiver) == [BELOW.text, RECOVERED.text]
    assert outbox_file(path) == []
    assert (
        "Dropped an alert for channel gone: that channel is no longer configured (team-a is below its threshold)"
        in caplog.text
    )
    assert outbox.dropped == {"gone": 1}


@pytest.mark.parametrize(
    "content",
    [
        b'{"version": 1, "entries": [',  # cut short
        b"\xff\xfe",  # not UTF-8
        b'{"version": 1, "entries": {}}',  # entries not a list
        b'{"version": 1, "entries": [{"id": "a", "channel": "ops", "alert": {"key": "k"}}]}',  # fields missing
        b'{"version": 3, "entries": []}',  # a later format
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
from openrouter_credits.exporter._statedir import StateDir, StateFile, encode_json, read_json
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


# --- hostile names, a worker that dies, entries that cannot go, bounds, groups ---------------------


@settings(max_examples=80, deadline=None)
@given(text=st.text(st.characters(codec=None, exclude_categories=()), max_size=200))
def test_state_files_hold_any_text(text: str) -> None:
    """Whatever a name holds (lone surrogates included), a state file's bytes are UTF-8 JSON that reads
    back as it was written."""
    value = {"entries": [{"name": text}], text: True}
    data = encode_json(value)
    assert json.loads(data.decode("utf-8")) == value


def test_a_lone_surrogate_never_stops_delivery(services: Callable[[], Service], tmp_path: Path) -> None:
    """A key named "bad\\ud800key" (it made the outbox write raise and end the delivery task): the outbox
    file is written, valid UTF-8 JSON, the alert delivered (U+FFFD in place of the surrogate), and the
    next alert too."""
    receiver, path = services(), tmp_path / "outbox.json"
    outbox = Outbox(path)
    deliverer = Deliverer(outbox, {"ops": hook(receiver)})
    bad = Alert("acct", "key_below_fraction", "bad\ud800key (acct)", "OpenRouter key bad\ud800key is low.")

    async def main() -> None:
        outbox.put(bad, ["ops"])
        await outbox.flush()
        [entry] = json.loads(path.read_bytes().decode("utf-8"))["entries"]
        assert entry["alert"]["title"] == "bad\ufffdkey (acct)"
        async with delivering(deliverer):
            assert await deliverer.drain(5)
            outbox.put(BELOW, ["ops"])
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert texts(receiver) == ["OpenRouter key bad\ufffdkey is low.", BELOW.text]


@attrs.define(repr=False, eq=False)
class Buggy(Channel):
    """A channel that takes every alert, but whose ``describe()`` raises once after the first (a bug
    outside any send: it stops the worker)."""

    sent: list[Alert] = attrs.field(factory=list)
    bugs: list[str] = attrs.field(factory=lambda: ["a bug in describe"])
    kind = "buggy"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:  # noqa: ASYNC109
        self.sent.append(alert)

    def describe(self) -> str:
        if self.sent and self.bugs:
            raise RuntimeError(self.bugs.pop())
        return super().describe()


def test_a_worker_that_dies_is_restarted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A bug that stops a channel's worker is logged with its traceback and the worker starts again
    (after 2 s, virtual): the alert it was sending goes again (at least once), and later alerts too."""
    time_ = VirtualTime()
    buggy = Buggy("ops")
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": buggy}, sleep=time_.sleep, clock=time_.clock)

    async def main() -> None:
        async with delivering(deliverer) as task:
            outbox.put(BELOW, ["ops"])
            assert await deliverer.drain(5)
            outbox.put(RECOVERED, ["ops"])
            assert await deliverer.drain(5)
            assert not task.done()

    asyncio.run(main())
    assert [alert.text for alert in buggy.sent] == [BELOW.text, BELOW.text, RECOVERED.text]
    assert (deliverer.restarts, time_.sleeps) == ({"ops": 1}, [2.0])
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.getMessage() == "The delivery worker of channel ops stopped unexpectedly; it starts again in 2 s"
    assert error.exc_info is not None


@attrs.define(repr=False, eq=False)
class Picky(Channel):
    """A channel that refuses every alert whose text says "bad" (for good when ``permanent``), and notes
    the (virtual) time of each delivery."""

    clock: Callable[[], float]
    permanent: bool = False
    delivered_at: list[tuple[str, float]] = attrs.field(factory=list)
    kind = "picky"

    async def send(self, alert: Alert, http: httpx.AsyncClient, *, timeout: float) -> None:  # noqa: ASYNC109
        if "bad" in alert.text:
            raise DeliveryError(f"The picky channel {self.name} refused it.", permanent=self.permanent)
        self.delivered_at.append((alert.text, self.clock()))


@pytest.mark.parametrize("permanent", [True, False])
def test_undeliverable_entries_never_hold_the_queue(permanent: bool, caplog: pytest.LogCaptureFixture) -> None:
    """Two alerts the receiver cannot take, ahead of five it can (the ntfy newline of old): each bad one
    costs one attempt and the channel's pause, then the five go (by t = 6 s, virtual); the bad ones are
    dropped, at once when refused for good, else after their retries, and counted."""
    time_ = VirtualTime()
    picky = Picky("ops", time_.clock, permanent)
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": picky}, retries=3, sleep=time_.sleep, clock=time_.clock)
    good = [attrs.evolve(BELOW, text=f"good {n}") for n in range(5)]

    async def main() -> None:
        outbox.put_all([(attrs.evolve(BELOW, text="bad 1"), ["ops"]), (attrs.evolve(BELOW, text="bad 2"), ["ops"])])
        outbox.put_all([(alert, ["ops"]) for alert in good])
        async with delivering(deliverer):
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert [text for text, _ in picky.delivered_at] == [alert.text for alert in good]
    assert max(at for _, at in picky.delivered_at) == 6.0
    assert outbox.dropped == {"ops": 2}
    assert deliverer.families()[0].samples == [({"channel": "ops"}, 2.0)]
    why = "the receiver refused it" if permanent else "3 attempts failed"
    assert f"Dropped an alert for channel ops: {why}; the last: The picky channel ops refused it." in caplog.text


@settings(max_examples=40, deadline=None)
@given(flips=st.lists(st.booleans(), min_size=1, max_size=300))
def test_a_flapping_threshold_keeps_one_entry_per_channel(flips: list[bool]) -> None:
    """A threshold flapping at every poll while the receivers fail: the outbox keeps one entry per
    channel, the latest state (it grew by about 60 entries a minute)."""
    outbox = Outbox(None)
    for below in flips:
        state = "below" if below else "recovered"
        outbox.put(Alert("team-a", state, "t", f"now {state}", about="team-a below"), ["ops", "mail"])
    last = "below" if flips[-1] else "recovered"
    assert [(entry.channel, entry.alert.text) for entry in outbox.entries()] == [
        ("ops", f"now {last}"),
        ("mail", f"now {last}"),
    ]


def test_old_entries_expire_and_the_outbox_is_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Past max_entries the oldest alerts are dropped; an alert older than max_age too; each counted by
    channel and said in one line; the file holds what is left."""
    now = [NOW]
    path = tmp_path / "outbox.json"
    outbox = Outbox(path, clock=lambda: now[0], max_entries=3, max_age=3600)
    outbox.put_all([(attrs.evolve(BELOW, text=f"alert {n}"), ["ops"]) for n in range(5)])
    assert [entry.alert.text for entry in outbox.entries()] == ["alert 2", "alert 3", "alert 4"]
    now[0] += 3601
    outbox.put(RECOVERED, ["ops"])
    assert [entry.alert.text for entry in outbox.entries()] == [RECOVERED.text]
    assert outbox.dropped == {"ops": 5}
    assert outbox_file(path) == [("ops", "recovered")]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "Dropped 2 alerts for channel ops: the outbox holds at most 3 alerts; these were the oldest (the first: "
        "team-a is below its threshold)",
        "Dropped 3 alerts for channel ops: undelivered for more than 1 h (the first: team-a is below its threshold)",
    ]


def test_alike_alerts_waiting_together_go_as_one_notification(services: Callable[[], Service]) -> None:
    """2,000 listed keys crossing the same threshold at once: two notifications of 1,000 ("1000 keys
    listed by acct are below 10 % of their limits: k0 ...; and 968 more."), then the unlike one."""
    receiver = services()
    outbox = Outbox(None)
    deliverer = Deliverer(outbox, {"ops": hook(receiver)})
    group = "keys listed by acct are below 10 % of their limits"
    listed = [
        Alert("acct", "key_below_fraction", f"k{n} (acct)", f"k{n} is low", group=group, item=f"k{n} ($0.50 left)")
        for n in range(2000)
    ]

    async def main() -> None:
        outbox.put_all([*[(alert, ["ops"]) for alert in listed], (BELOW, ["ops"])])
        async with delivering(deliverer):
            assert await deliverer.drain(10)

    asyncio.run(main())
    first, second, third = texts(receiver)
    assert first.startswith(f"1000 {group}: k0 ($0.50 left); k1 ($0.50 left); ")
    assert first.endswith(" more.")
    assert second.startswith(f"1000 {group}: k1000 ($0.50 left); ")
    assert third == BELOW.text
    assert deliverer.delivered == {"ops": 3}


def test_held_entries_wait_for_their_release(services: Callable[[], Service], tmp_path: Path) -> None:
    """Entries put held are in the file but not delivered until released (the exporter releases a
    poll's alerts once their states are written)."""
    receiver = services()
    outbox = Outbox(tmp_path / "outbox.json")
    deliverer = Deliverer(outbox, {"ops": hook(receiver)})

    async def main() -> None:
        async with delivering(deliverer):
            [entry] = outbox.put_all([(BELOW, ["ops"])], held=True)
            await outbox.flush()
            assert outbox_file(tmp_path / "outbox.json") == [("ops", "below")]
            await asyncio.sleep(0.1)
            assert receiver.requests == []
            outbox.release([entry])
            assert await deliverer.drain(5)

    asyncio.run(main())
    assert texts(receiver) == [BELOW.text]


def test_a_state_file_is_written_off_the_loop_many_changes_at_a_time(tmp_path: Path) -> None:
    """1,000 changes in a row make at most two writes, each encoded and written in a worker thread,
    never on the event loop's; flush() returns once the last change is on disk."""
    threads: list[int] = []
    data = {"n": 0}

    def encode(snapshot: dict[str, int]) -> dict[str, int]:
        threads.append(threading.get_ident())
        return snapshot

    state = StateFile(tmp_path / "state.json", lambda: dict(data), encode, what="a test file")

    async def main() -> int:
        for number in range(1000):
            data["n"] = number
            state.changed()
        await state.flush()
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert json.loads((tmp_path / "state.json").read_text()) == {"n": 999}
    assert 1 <= state.writes <= 2
    assert loop_thread not in threads


# --- the state directory under attack --------------------------------------------------------------


def test_a_state_dir_others_may_write_or_own_is_refused(tmp_path: Path) -> None:
    """An existing folder writable by other users (0777) is refused, saying how to fix it: whoever can
    write there could plant alerts or links."""
    path = tmp_path / "state"
    path.mkdir()
    path.chmod(0o777)
    with pytest.raises(ConfigurationError) as caught:
        StateDir(path)
    assert str(caught.value) == f"--state-dir {path} may be written by other users (mode 777): run chmod 700 {path}"
    path.chmod(0o700)
    StateDir(path).close()


def test_links_planted_in_the_state_dir_are_never_followed(tmp_path: Path) -> None:
    """A ``lock`` link is refused at start (its target was overwritten with the pid); links planted under
    the old temporary names are left alone and their targets untouched; an ``outbox.json`` link is moved
    aside unread."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "lock").symlink_to(victim)
    with pytest.raises(ConfigurationError) as caught:
        StateDir(state)
    assert str(caught.value) == (
        f"--state-dir {state}: {state}/lock is a symbolic link, not the lock file serve makes: remove it."
    )
    (state / "lock").unlink()
    for name in ("alerts.json", "outbox.json"):
        (state / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    with StateDir(state) as held:
        held.write_json("alerts.json", {"team-a": {"below": True}})
        (state / "outbox.json").symlink_to(victim)
        outbox = Outbox(held.file("outbox.json"), clock=lambda: NOW)
        outbox.put(BELOW, ["ops"])
    assert victim.read_text() == "precious"
    assert json.loads((state / "alerts.json").read_text()) == {"team-a": {"below": True}}
    assert (state / "outbox.json.corrupt-20261130T120000Z").is_symlink()
    assert outbox_file(state / "outbox.json") == [("ops", "below")]


def deep(path: Path) -> None:
    path.write_bytes(b"[" * 200_000)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def large(path: Path) -> None:
    path.write_bytes(json.dumps({"version": 2, "entries": [], "padding": "x" * 2000}).encode())


@pytest.mark.parametrize(
    ("make", "limit", "problem"),
    [
        (deep, 1_000_000, "not valid JSON (maximum recursion depth exceeded"),
        (fifo, 1000, "not a regular file"),
        (large, 1000, "larger than 1000 bytes"),
    ],
)
def test_hostile_state_files_are_moved_aside(
    make: Callable[[Path], None], limit: int, problem: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """200,000 "[" (an uncaught RecursionError: exit 1, a crash loop), a FIFO (start hung), a file over
    the bound (read whole: 958 MB of RSS for 300 MB): each read as absent, moved aside, said once."""
    path = tmp_path / "outbox.json"
    make(path)
    result: list[Any] = []
    reader = threading.Thread(target=lambda: result.append(read_json(path, clock=lambda: NOW, limit=limit)))
    reader.start()
    reader.join(10)
    assert not reader.is_alive()  # a FIFO is not waited on
    assert result == [None]
    assert not path.exists()
    assert (tmp_path / "outbox.json.corrupt-20261130T120000Z").exists()
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"{path} was {problem}")
    assert warning.endswith("moved aside to outbox.json.corrupt-20261130T120000Z; starting without it")
