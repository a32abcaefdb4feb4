"""The exporter in-process, in virtual time: polls driven one by one, the clock injected. Alerts
once per crossing and recovery (kept across restarts), unknown figures moving no state, /healthz
staleness, the cap on a 429's wait, and /activity's reason between the polls that skip it."""

from __future__ import annotations

import asyncio
import datetime
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from exporting import MANAGEMENT, ORDINARY, TOKEN, Clock, MakeExporter, Receiver, delivering, families, samples

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._logging import EXPORTER_LOGGER, LIBRARY_LOGGER
from openrouter_credits.exporter._statedir import StateDir
from openrouter_credits.testing import MockServer

BELOW = "OpenRouter key team-a may spend $5.00, below its threshold of $10.00."
RECOVERED = "OpenRouter key team-a recovered: it may spend $20.00 (threshold $10.00)."


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_alerts_once_per_crossing_and_recovery(
    mock: MockServer, tmp_path: Path, receiver: str, caplog: pytest.LogCaptureFixture, exporter: MakeExporter
) -> None:
    """One post when a key crosses below, one when it recovers, none again after a restart; a failing
    receiver is tried again at the next poll; the webhook's token never in the logs."""
    state = tmp_path / "state"
    spec = KeySpec("team-a", MANAGEMENT, below=10.0)

    async def scenario() -> None:
        with StateDir(state) as held:
            first = exporter(spec, notify_url=receiver, state=held)
            async with delivering(first):
                await first.poll("team-a")
                mock.app.set_balance(total_usage=20.0)
                for _ in range(3):  # crossed once, then still below: one post
                    await first.poll("team-a")
            assert Receiver.posts == [{"text": BELOW}]  # $17.50 at first: above the threshold
            await first.aclose()

        with StateDir(state) as held:
            second = exporter(spec, notify_url=receiver, state=held)
            async with delivering(second):
                await second.poll("team-a")
                assert len(Receiver.posts) == 1  # the state file remembered it: no alert on restart
                Receiver.status = 500  # the receiver breaks: polling goes on, the post is tried again
                mock.app.set_balance(total_usage=5.0)
                await second.poll("team-a")
                await asyncio.sleep(0.2)
                assert len(Receiver.posts) == 1
                assert b'openrouter_credits_remaining_dollars{key="team-a"} 20' in second.route("GET", "/metrics")[1]
                Receiver.status = 200
                await second.poll("team-a")
            assert Receiver.posts == [{"text": BELOW}, {"text": RECOVERED}]  # one post per transition
            await second.aclose()

    with caplog.at_level(logging.INFO):
        run(scenario)
    assert "answered HTTP 500" in caplog.text
    assert TOKEN not in caplog.text
    assert json.loads((state / "alerts.json").read_text()) == {"team-a": {"below": False}}


def test_an_unknown_figure_moves_no_alert_state(
    mock: MockServer, tmp_path: Path, receiver: str, exporter: MakeExporter
) -> None:
    """Below, then /credits fails (spendable unknown): nothing is sent and the state stays below; known
    and still below again: still nothing."""

    async def scenario() -> None:
        watcher = exporter(KeySpec("team-a", MANAGEMENT, below=10.0), notify_url=receiver)
        async with delivering(watcher):
            mock.app.set_balance(total_usage=20.0)
            await watcher.poll("team-a")
            mock.app.fail_next(1, status=503, endpoint="credits")
            await watcher.poll("team-a")
            balance = watcher.states["team-a"].balance
            assert balance is not None
            assert balance.spendable is None
            assert watcher.alerts.get("team-a", "below") is True
            await watcher.poll("team-a")
        await watcher.aclose()

    run(scenario)
    assert Receiver.posts == [{"text": BELOW}]


def test_days_below_alert(
    mock: MockServer, tmp_path: Path, receiver: str, exporter: MakeExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """days_below: $35 over the last 7 days, $17.50 left: 3.5 days, below 7; its title (the log's
    line) with both figures."""
    spec = KeySpec("solo", MANAGEMENT, days_below=7.0)

    async def scenario() -> None:
        now = dt.datetime.now(dt.UTC)  # the mock's clock is the real one: the clients' is pinned to it
        watcher = exporter(spec, notify_url=receiver, client_clock=lambda: now)
        mock.app.set_activity({(now.date() - dt.timedelta(days=d)).isoformat(): 5.0 for d in range(1, 8)})
        async with delivering(watcher):
            await watcher.poll("solo")
        await watcher.aclose()

    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        run(scenario)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Alert sent to")]
    assert [line.split(": ", 1)[1] for line in sent] == ["solo has 3.5 days left, under its threshold of 7 days"]
    assert Receiver.posts == [
        {
            "text": "OpenRouter key solo has 3.5 days of credits left by the 7-day average, below its threshold of "
            "7 days."
        }
    ]


def test_healthz_counts_staleness_from_when_a_poll_was_due(exporter: MakeExporter, clock: Clock) -> None:
    """Healthy while the last success is within three jittered intervals plus a poll's deadline; then
    503 naming the key and how long ago."""

    async def scenario() -> None:
        watcher = exporter(KeySpec("team-a", MANAGEMENT), interval=2.0, deadline=5.0)
        assert watcher.health() == (503, "failing: team-a: not polled yet\n")
        await watcher.poll("team-a")
        limit = 3 * 2.0 * 1.1 + 5.0
        clock.now += limit
        assert watcher.health() == (200, f"ok: 1 key(s), the oldest last polled 12 s ago (stale after {limit:g} s)\n")
        clock.now += 1
        assert watcher.health() == (503, "failing: team-a: last success 13 s ago; no success in three intervals\n")
        await watcher.aclose()

    run(scenario)


@pytest.mark.parametrize(("retry_after", "wait"), [(3.0, 3.0), (5000.0, 900.0)])
def test_a_429_delays_the_next_poll_at_most_15_minutes(
    mock: MockServer, retry_after: float, wait: float, exporter: MakeExporter
) -> None:
    """The next poll waits what Retry-After asks, capped at 15 minutes; the error is counted."""

    async def scenario() -> float:
        watcher = exporter(KeySpec("team-a", MANAGEMENT))
        mock.app.fail_next(1, status=429, retry_after=retry_after, endpoint="credits")
        waited = await watcher.poll("team-a")
        assert watcher.states["team-a"].errors["rate_limit"] == 1
        await watcher.aclose()
        return waited

    assert asyncio.run(scenario()) == wait


def test_reason_survives_polls_that_skip_activity(mock: MockServer, exporter: MakeExporter, clock: Clock) -> None:
    """/activity is asked at most every 15 minutes: the polls between keep its reason (here the
    ordinary key's 'needs a management key'), not a blank one; 15 minutes later it is asked again."""

    async def polls() -> list[str]:
        watcher = exporter(KeySpec("ordinary", ORDINARY))
        reasons = []
        for step in (0, 60, 60, 900):
            clock.now += step
            await watcher.poll("ordinary")
            balance = watcher.states["ordinary"].balance
            assert balance is not None
            reasons.append(balance.unknown["daily_spend"])
        await watcher.aclose()
        return reasons

    before = len([r for r in mock.app.requests if r[1].endswith("/activity")])
    assert asyncio.run(polls()) == ["the account's spend needs a management (provisioning) key"] * 4
    assert len([r for r in mock.app.requests if r[1].endswith("/activity")]) == before + 2


def test_an_outage_logs_one_line_per_key_each_way(
    mock: MockServer, caplog: pytest.LogCaptureFixture, exporter: MakeExporter
) -> None:
    """Five failed polls of two keys: one INFO line per key when its polls start failing (naming the key
    and the kind) and one when they recover; the retries and the repeats are DEBUG; no WARNING."""

    async def scenario() -> None:
        watcher = exporter(KeySpec("team-a", MANAGEMENT), KeySpec("team-b", ORDINARY))
        for name in ("team-a", "team-b"):
            await watcher.poll(name)
        for _ in range(5):
            for endpoint in ("credits", "key", "activity"):
                mock.app.fail_next(2, status=503, endpoint=endpoint)
            for name in ("team-a", "team-b"):
                await watcher.poll(name)
        for name in ("team-a", "team-b"):
            await watcher.poll(name)
        await watcher.aclose()

    with caplog.at_level(logging.DEBUG, logger=LIBRARY_LOGGER):
        run(scenario)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert [level for level, _ in lines] == ["INFO"] * 4
    assert [text.split(":")[0] for _, text in lines] == ["Key team-a", "Key team-b", "Key team-a", "Key team-b"]
    assert lines[0][1].startswith("Key team-a: the poll failed (server): OpenRouter failed to answer (HTTP 503")
    assert lines[2][1] == "Key team-a: polls succeed again"


def test_a_long_rate_limit_wait_takes_the_figures_away(mock: MockServer, exporter: MakeExporter) -> None:
    """A 429 asking for 10 minutes at a 60 s interval: after the interval, up 0 with the reason and no
    stale figures, until the poll after the wait."""
    waits: list[float] = []

    async def scenario() -> None:
        watcher = exporter(KeySpec("team-a", MANAGEMENT), interval=60.0)

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 3:  # the first spread, the interval, the rest of the wait: then look
                state = watcher.states["team-a"]
                assert (state.up, state.balance) == (False, None)
                assert state.problem == "rate_limit: OpenRouter asked to wait 600 s before the next poll"
                assert b'openrouter_credits_up{key="team-a"} 0' in watcher.route("GET", "/metrics")[1]
                assert b"openrouter_credits_remaining_dollars" not in watcher.route("GET", "/metrics")[1]
                watcher.stop()

        watcher.sleep = sleep
        mock.app.fail_next(1, status=429, retry_after=600, endpoint="credits")
        await watcher.run("127.0.0.1", 0)  # polls until the third sleep stops it
        await watcher.aclose()

    run(scenario)
    assert len(waits) == 3
    assert 54 <= waits[1] <= 66
    assert waits[1] + waits[2] == pytest.approx(600)


def test_a_429_on_key_waits_for_retry_after_not_the_interval(mock: MockServer, exporter: MakeExporter) -> None:
    """A 429 on /key with Retry-After 3 s at a 1 s interval: the next poll of that key comes 3 s after
    it, not at the interval; the error is counted."""
    waits: list[float] = []
    polled: list[list[int]] = []  # the statuses of /key's answers so far, at each wait

    async def scenario() -> dict[tuple[tuple[str, str], ...], float]:
        watcher = exporter(KeySpec("solo", MANAGEMENT), interval=1.0)

        async def sleep(seconds: float) -> None:
            waits.append(seconds)
            polled.append([status for _, path, status in mock.app.requests if path.endswith("/key")])
            if len(waits) == 4:  # the first spread, the interval, the rest of the wait, the next interval
                watcher.stop()

        watcher.sleep = sleep
        mock.app.fail_next(1, status=429, retry_after=3, endpoint="key")
        await watcher.run("127.0.0.1", 0)  # polls until the fourth sleep stops it
        errors = samples(families(watcher), "openrouter_credits_poll_errors_total")
        await watcher.aclose()
        return errors

    errors = asyncio.run(scenario())
    assert polled == [[], [429], [429], [429, 200]]  # still waiting after the interval
    assert waits[1] == pytest.approx(1.0, abs=0.1)
    assert waits[1] + waits[2] == pytest.approx(3.0)
    assert errors[(("key", "solo"), ("kind", "rate_limit"))] == 1


def test_thresholds_a_key_can_never_check_are_said_once(
    mock: MockServer, caplog: pytest.LogCaptureFixture, exporter: MakeExporter
) -> None:
    """below on an ordinary key without a limit, days_below on an ordinary key: one warning each, at
    the first answer, naming the key and the setting; none for a management key."""
    mock.app.set_key(ORDINARY, limit=None)

    async def scenario() -> None:
        watcher = exporter(
            KeySpec("open", ORDINARY, below=5.0, days_below=3.0), KeySpec("team-a", MANAGEMENT, below=5.0)
        )
        for _ in range(3):
            await watcher.poll("open")
            await watcher.poll("team-a")
        await watcher.aclose()

    with caplog.at_level(logging.WARNING, logger=LIBRARY_LOGGER):
        run(scenario)
    assert [r.getMessage().split(":")[0:2] for r in caplog.records if "never be checked" in r.getMessage()] == [
        ["Key open", " below can never be checked"],
        ["Key open", " days_below can never be checked"],
    ]


def _hour(hour: int) -> float:
    return datetime.datetime(2026, 11, 18, hour, tzinfo=datetime.UTC).timestamp()


def test_spike_alerts_once_per_crossing_and_recovery(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock
) -> None:
    """spike = 3 on an ordinary key ($7 this week: $1.00 a day): $0.50 by 01:00 is 12x but under the
    $1 minimum, nothing; $1.50 by 01:00 (36x) alerts once, however often polled; by 23:00 the same
    $1.50 is 1.6x: recovered, once."""
    spec = KeySpec("team-b", ORDINARY, spike=3.0)
    spiking = (
        "OpenRouter key team-b: today's spend $1.50 by 01:00 UTC is 36.0\u00d7 the 7-day average ($1.00 a day), "
        "above its spike threshold of 3\u00d7."
    )
    recovered = (
        "OpenRouter key team-b recovered from its spend spike: today's spend $1.50 by 23:00 UTC is 1.6\u00d7 the "
        "7-day average ($1.00 a day) (threshold 3\u00d7)."
    )

    async def scenario() -> None:
        watcher = exporter(spec, notify_url=receiver)
        async with delivering(watcher):
            clock.now = _hour(1)
            mock.app.set_key(ORDINARY, usage_daily=0.5, usage_weekly=7.0)
            await watcher.poll("team-b")
            assert watcher.alerts.get("team-b", "spike") is False
            mock.app.set_key(ORDINARY, usage_daily=1.5)
            for _ in range(3):
                await watcher.poll("team-b")
            assert await watcher.deliverer.drain(5)  # else the recovery would replace it, still waiting
            clock.now = _hour(23)
            for _ in range(2):
                await watcher.poll("team-b")
        await watcher.aclose()

    run(scenario)
    assert Receiver.posts == [{"text": spiking}, {"text": recovered}]


def test_spike_without_the_minimum_at_hour_1(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock
) -> None:
    """spike_min_dollars = 0: $0.50 by 01:00 against $1.00 a day alerts."""
    clock.now = _hour(1)

    async def scenario() -> None:
        watcher = exporter(KeySpec("team-b", ORDINARY, spike=3.0, spike_min_dollars=0.0), notify_url=receiver)
        async with delivering(watcher):
            mock.app.set_key(ORDINARY, usage_daily=0.5, usage_weekly=7.0)
            await watcher.poll("team-b")
        await watcher.aclose()

    run(scenario)
    assert [post["text"].split(", above")[0] for post in Receiver.posts] == [
        "OpenRouter key team-b: today's spend $0.50 by 01:00 UTC is 12.0\u00d7 the 7-day average ($1.00 a day)"
    ]


def test_a_management_keys_spike_counts_the_listed_keys(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock
) -> None:
    """A management key's own usage is 0: without discovery its spike is unknown (no state, no alert);
    discovering, the listed keys' usage_daily sum counts against the account's 7-day spend per day ($35
    over 7 days: $5 a day, $0.21 expected by 01:00)."""
    clock.now = _hour(1)

    async def scenario() -> None:
        blind = exporter(KeySpec("acct", MANAGEMENT, spike=3.0), notify_url=receiver)
        watcher = exporter(KeySpec("acct", MANAGEMENT, spike=3.0, discover=True), notify_url=receiver)
        mock.app.set_keys(
            [{"name": "a", "usage": 3.0, "usage_daily": 0.75}, {"name": "b", "usage": 1.0, "usage_daily": 0.5}]
        )
        # $5 every day, from before the virtual day to after the real one (the client's clock is real)
        first, last = datetime.date(2026, 11, 1), datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(1)
        days = [first + datetime.timedelta(days=d) for d in range((last - first).days + 1)]
        mock.app.set_activity({day.isoformat(): 5.0 for day in days})
        await blind.poll("acct")
        assert not blind.alerts.known("acct", "spike")
        await blind.aclose()
        async with delivering(watcher):
            await watcher.poll("acct")
        await watcher.aclose()

    run(scenario)
    assert [post["text"].split(", above")[0] for post in Receiver.posts] == [
        "OpenRouter key acct: today's spend $1.25 by 01:00 UTC is 6.0\u00d7 the weekday forecast ($5.00 for today)"
    ]
