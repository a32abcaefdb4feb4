"""The exporter's alerts end to end, in virtual time against the live mock: 2,000 listed keys crossing
a threshold at the first listing make one notification per thousand, keys no longer listed are
forgotten, a listed key's alert in the words of its limit's window (once per state), alerts for a
channel that does not exist refused at start and at reload, and dropped alerts counted on /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from exporting import COMMAND, MANAGEMENT, Clock, MakeExporter, Receiver, delivering, write_config

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.exporter._statedir import StateDir
from openrouter_credits.testing import MockServer


def listed(count: int, **fields: Any) -> list[dict[str, Any]]:
    """``count`` keys k0000... each with $0.50 of its $10 limit left (under 10 %)."""
    return [
        {"name": f"k{n:04}", "hash": f"{n:012x}" + "0" * 52, "limit": 10.0, "usage": 9.5, **fields}
        for n in range(count)
    ]


def test_two_thousand_keys_crossing_at_once_make_two_notifications(
    mock: MockServer, receiver: str, exporter: MakeExporter, tmp_path: Path, clock: Clock
) -> None:
    """The first listing of 2,000 keys all under key_below_fraction (which stalled /metrics for 15 s, an
    fsync of both state files per alert): two notifications of 1,000 ("1000 keys listed by acct are below
    10 % of their limits: ..."), 2,000 states in alerts.json; a listing of 10 keys then forgets the others."""
    mock.app.set_keys(listed(2000))
    spec = KeySpec("acct", MANAGEMENT, discover=True, key_below_fraction=0.1)

    async def scenario() -> None:
        with StateDir(tmp_path / "state") as held:
            watcher = exporter(spec, notify_url=receiver, state=held)
            async with delivering(watcher):
                await watcher.poll("acct")
            mock.app.set_keys(listed(10))
            clock.now += 60
            await watcher.poll("acct")
            await watcher.alerts.flush()
            await watcher.aclose()

    asyncio.run(scenario())
    first, second = (post["text"] for post in Receiver.posts)
    group = "keys listed by acct are below 10 % of their limits"
    assert first.startswith(f"1000 {group}: k0000 ($0.50 of $10.00 left); k0001 ($0.50 of $10.00 left); ")
    assert second.startswith(f"1000 {group}: k1000 ($0.50 of $10.00 left); ")
    assert first.endswith(" more.")
    states = json.loads((tmp_path / "state" / "alerts.json").read_text())
    assert sorted(states) == [f"acct/{n:012x}" for n in range(10)]
    assert all(value == {"key_below_fraction": True} for value in states.values())


def test_listed_key_alerts_fit_the_limit_window_once_per_state(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock
) -> None:
    """A limit that never resets is bound to reach it "at its pace; it never resets" (not "before its
    reset"); a key already over its limit gets one alert, "has reached its limit" (not a second "bound to
    reach its limit ... (at <now>)"); a weekly limit "before it resets at" its reset."""
    never = {"name": "never", "hash": "a" * 64, "limit": 10.0, "usage": 5.0, "usage_weekly": 14.0}
    over = {"name": "over", "hash": "b" * 64, "limit": 10.0, "usage": 12.0, "usage_weekly": 14.0}
    weekly = {"name": "weekly", "hash": "c" * 64, "limit": 10.0, "limit_reset": "weekly", "usage_weekly": 8.0}
    spec = KeySpec("acct", MANAGEMENT, discover=True, key_below_fraction=0.1, key_will_exhaust=True)

    async def scenario() -> None:
        watcher = exporter(spec, notify_url=receiver)
        async with delivering(watcher):
            for listing in ([never], [never, over], [never, over, weekly]):
                mock.app.set_keys(listing)
                await watcher.poll("acct")
                assert await watcher.deliverer.drain(5)
                clock.now += 60  # the listing is asked at most once a minute
        await watcher.aclose()

    asyncio.run(scenario())
    assert [post["text"] for post in Receiver.posts] == [
        "OpenRouter key never (listed by acct) is bound to reach its $10.00 limit at 2027-01-17 20:00 UTC at its "
        "pace; it never resets.",
        "OpenRouter key over (listed by acct) has reached its $10.00 limit; it never resets.",
        "OpenRouter key weekly (listed by acct) is bound to reach its $10.00 weekly limit at 2027-01-16 10:02 UTC, "
        "before it resets at 2027-01-18 00:00 UTC.",
    ]


def test_alerts_for_a_channel_that_does_not_exist_are_refused(
    exporter: MakeExporter, receiver: str, caplog: pytest.LogCaptureFixture
) -> None:
    """notify = ["notify-url"] without --notify-url: refused at start, naming the key and the setting
    (its alerts sat in the outbox, the state saying sent); a key with thresholds and no channel: one
    warning naming it and its thresholds; a reload that would route to the missing channel is refused,
    keeping the keys as they were."""
    with pytest.raises(ConfigurationError) as caught:
        exporter(KeySpec("team-a", MANAGEMENT, below=5.0, notify=("notify-url",)))
    assert str(caught.value) == (
        "[keys.team-a]: notify names 'notify-url', which is not given: give --notify-url (or "
        "$OPENROUTER_CREDITS_NOTIFY_URL), or take it out of notify."
    )

    async def scenario() -> None:
        silent = exporter(KeySpec("team-a", MANAGEMENT, below=5.0, spike=3.0))
        await silent.aclose()
        watcher = exporter(KeySpec("team-a", MANAGEMENT, below=5.0), notify_url=receiver)
        await watcher.reload([KeySpec("team-a", MANAGEMENT, below=5.0), KeySpec("team-b", MANAGEMENT, notify=())])
        await watcher.reload([KeySpec("team-c", MANAGEMENT, notify=("notify-url", "elsewhere"))])
        assert list(watcher.states) == ["team-a", "team-b"]
        await watcher.aclose()

    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        asyncio.run(scenario())
    said = [(r.levelname, r.getMessage()) for r in caplog.records if "channel" in r.getMessage()]
    assert said == [
        (
            "WARNING",
            "Key team-a: below, spike set, but its alerts go to no channel (no channel is configured): add a "
            "[notify.NAME] table, or give --notify-url (or $OPENROUTER_CREDITS_NOTIFY_URL)",
        ),
        (
            "ERROR",
            "Reload refused, keeping the keys as they were: [keys.team-c]: notify names 'elsewhere', which is not "
            "a configured channel (the channels: notify-url).",
        ),
    ]


def test_serve_refuses_a_missing_notify_url(mock: MockServer, tmp_path: Path) -> None:
    """``serve`` with notify = ["notify-url"] and no --notify-url stops at start: exit 2, one line
    naming the key and the setting."""
    config = write_config(tmp_path, '[keys.team-a]\napi_key_env = "SERVE_KEY_A"\nbelow = 5\nnotify = ["notify-url"]\n')
    env = {**os.environ, "SERVE_KEY_A": MANAGEMENT}
    env.pop("OPENROUTER_CREDITS_NOTIFY_URL", None)
    command = [COMMAND, "serve", "--config", str(config), "--base-url", mock.base_url, "--listen", "127.0.0.1:0"]
    command += ["--state-dir", str(tmp_path / "state")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert "[keys.team-a]: notify names 'notify-url', which is not given: give --notify-url" in done.stderr
    assert "Traceback" not in done.stderr


def test_dropped_alerts_are_counted_on_metrics(mock: MockServer, receiver: str, exporter: MakeExporter) -> None:
    """A receiver that refuses an alert as malformed (400): it is dropped at once and counted in
    openrouter_credits_alerts_dropped_total{channel}; nothing waits."""
    Receiver.status = 400

    async def scenario() -> bytes:
        watcher = exporter(KeySpec("team-a", MANAGEMENT, below=20.0), notify_url=receiver)
        async with delivering(watcher):
            await watcher.poll("team-a")
            assert await watcher.deliverer.drain(5)
        await watcher.poll("team-a")
        await watcher.aclose()
        return watcher.route("GET", "/metrics")[1]

    metrics = asyncio.run(scenario())
    assert b'openrouter_credits_alerts_dropped_total{channel="notify-url"} 1\n' in metrics
    assert b'openrouter_credits_alerts_waiting{channel="notify-url"} 0\n' in metrics
