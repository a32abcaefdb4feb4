"""The guards in the exporter, in virtual time against the live mock over loopback, a webhook receiving
the alerts: the whole story (a key spikes, is disabled within one poll, its own calls refused, the alert
received, the window resets, the key enabled again), a dry run, a failed action tried again, the hourly
cap, a person's change left alone, pending restores across a restart, fresh data only, the key that
polls never touched, the journal, the metrics and the status page."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from exporting import MANAGEMENT, ORDINARY, Clock, MakeExporter, Receiver, delivering, polled
from prometheus_client.parser import text_string_to_metric_families

from openrouter_credits import AuthenticationError, CreditsClient
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._apps.guard_config import GuardSpec
from openrouter_credits._apps.journal import FileJournal
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.exporter import Exporter
from openrouter_credits.exporter._statedir import StateDir
from openrouter_credits.testing import MockOpenRouter, MockServer

ACCOUNT = KeySpec("account", MANAGEMENT, discover=True)
#: The mock lists ORDINARY under this name and hash (GET /keys: its own view, as the mock keeps it).
ORDINARY_NAME = MockOpenRouter.label(ORDINARY)
ORDINARY_HASH = hashlib.sha256(ORDINARY.encode()).hexdigest()
#: 2027-01-15 08:00 UTC (conftest's NOW): $14.20 today against $20 this week ($2.86 a day, $0.95 by 08:00): 14.9x.
SPIKING = {"usage_daily": 14.2, "usage_weekly": 20.0}
MIDNIGHT = dt.datetime(2027, 1, 16, tzinfo=dt.UTC).timestamp()


def guard(**fields: Any) -> GuardSpec:
    values: dict[str, Any] = {"name": "runaway", "keys": ("key-*", "ci-*"), "when": "spike", "factor": 5.0, **fields}
    return GuardSpec(**values)


def scripted(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "hash": hashlib.sha256(name.encode()).hexdigest(), **fields}


def patches(mock: MockServer) -> list[str]:
    return [path.rsplit("/", 1)[1][:12] for method, path, _ in mock.app.requests if method == "PATCH"]


def texts() -> list[str]:
    return [post["text"] for post in Receiver.posts]


def journal(state: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]


def metrics(watcher: Exporter) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(watcher.route("GET", "/metrics")[1].decode()):
        for sample in family.samples:
            if sample.name.startswith("openrouter_credits_guard"):
                found[f"{sample.name}{{{','.join(f'{k}={v}' for k, v in sorted(sample.labels.items()))}}}"] = (
                    sample.value
                )
    return found


def own_key_answers(mock: MockServer) -> bool:
    """Whether ORDINARY's own calls are answered (a disabled key's get a 401)."""
    with CreditsClient(ORDINARY, base_url=mock.base_url, max_retries=0) as client:
        try:
            client.get_key()
        except AuthenticationError:
            return False
    return True


def test_the_whole_story(mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock, tmp_path: Path) -> None:
    """A key spikes: disabled within the poll that sees it (its own calls then refused), the alert in
    plain words received; the window resets (time moves to the next day, its spend with it): enabled
    again at the first poll after, alerted; both changes journaled and counted."""
    mock.app.set_key(ORDINARY, limit=None, **SPIKING)
    state = tmp_path / "state"

    async def scenario() -> dict[str, float]:
        with StateDir(state) as held:
            watcher = exporter(ACCOUNT, notify_url=receiver, state=held, guards=[guard(dry_run=False)],
                               journal=FileJournal(state))  # fmt: skip
            async with delivering(watcher):
                await watcher.poll("account")
                assert patches(mock) == [ORDINARY_HASH[:12]]
                assert not own_key_answers(mock)
                clock.now = MIDNIGHT + 60  # the next day: today's spend starts afresh
                mock.app.set_key(ORDINARY, usage_daily=0.0)
                await watcher.poll("account")
            await watcher.aclose()
            return metrics(watcher)

    found = asyncio.run(scenario())
    assert own_key_answers(mock)
    assert patches(mock) == [ORDINARY_HASH[:12]] * 2
    assert texts() == [
        f"Disabled key {ORDINARY_NAME} (workspace Default): $14.20 spent today by 08:00 UTC, 14.9\u00d7 its pace. It "
        f"will be re-enabled at 00:00 UTC. To re-enable now: openrouter-credits keys enable {ORDINARY_NAME}",
        f"Re-enabled key {ORDINARY_NAME} (workspace Default): its window reset at 00:00 UTC (guard runaway disabled it "
        "at 08:00 UTC).",
    ]
    entries = journal(state)
    assert [(e["actor"], e["action"], e["outcome"], e["before"], e["after"]) for e in entries] == [
        ("runaway", "disable", "done", {"disabled": False}, {"disabled": True}),
        ("runaway", "enable", "done", {"disabled": True}, {"disabled": False}),
    ]
    assert (entries[0]["at"], entries[0]["key_hash"], entries[0]["account"]) == (
        "2027-01-15T08:00:00Z",
        ORDINARY_HASH,
        "account",
    )
    assert entries[0]["reason"] == "$14.20 spent today by 08:00 UTC, 14.9\u00d7 its pace"
    assert found["openrouter_credits_guard_actions_total{action=disable,guard=runaway}"] == 1.0
    assert found["openrouter_credits_guard_actions_total{action=enable,guard=runaway}"] == 1.0
    assert found["openrouter_credits_guard_pending_restores{guard=runaway}"] == 0.0
    assert found["openrouter_credits_guard_dry_run{guard=runaway}"] == 0.0


def test_a_dry_run_says_once_what_it_would_do(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock, tmp_path: Path
) -> None:
    """The default: no PATCH; "Would disable ..." alerted, logged, journaled (dry_run) and counted once
    while the spike lasts; again when it comes back after clearing."""
    mock.app.set_keys([scripted("ci-nightly", **SPIKING)])
    state = tmp_path / "state"

    async def scenario() -> dict[str, float]:
        watcher = exporter(ACCOUNT, notify_url=receiver, guards=[guard()], journal=FileJournal(state))
        async with delivering(watcher):
            for usage in (14.2, 14.5, 0.5, 15.0):
                mock.app.set_listed_key("ci-nightly", usage_daily=usage)
                await watcher.poll("account")
                clock.now += 60
        await watcher.aclose()
        return metrics(watcher)

    found = asyncio.run(scenario())
    assert patches(mock) == []
    assert [text.split(":")[0] for text in texts()] == ["Would disable key ci-nightly (workspace Default)"] * 2
    assert texts()[0].endswith("Guard runaway is a dry run: nothing was changed (dry_run = false acts).")
    assert [(e["outcome"], e["after"]) for e in journal(state)] == [("dry_run", {"disabled": True})] * 2
    assert found["openrouter_credits_guard_actions_total{action=would_disable,guard=runaway}"] == 2.0
    assert found["openrouter_credits_guard_actions_total{action=disable,guard=runaway}"] == 0.0
    assert found["openrouter_credits_guard_dry_run{guard=runaway}"] == 1.0


def test_a_failed_action_is_said_and_tried_again(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock, tmp_path: Path
) -> None:
    """A 403 on the PATCH: alerted as failed, journaled, counted; the next poll (the spike still on)
    tries again and succeeds."""
    mock.app.set_keys([scripted("ci-nightly", **SPIKING)])
    mock.app.fail_next(1, status=403, endpoint="PATCH keys/{hash}")
    state = tmp_path / "state"

    async def scenario() -> dict[str, float]:
        watcher = exporter(ACCOUNT, notify_url=receiver, guards=[guard(dry_run=False)], journal=FileJournal(state))
        async with delivering(watcher):
            await watcher.poll("account")
            clock.now += 60
            await watcher.poll("account")
        await watcher.aclose()
        return metrics(watcher)

    found = asyncio.run(scenario())
    assert [status for method, _, status in mock.app.requests if method == "PATCH"] == [403, 200]
    failed, done = texts()
    assert failed.startswith(
        "Could not disable key ci-nightly (workspace Default): This key may not change the account's keys (HTTP 403: "
        "Injected fault: HTTP 403). That needs a management (provisioning) key"
    )
    assert failed.endswith("Guard runaway tries again at the next poll while its condition holds.")
    assert done.startswith("Disabled key ci-nightly (workspace Default)")
    assert [e["outcome"] for e in journal(state)] == ["failed", "done"]
    assert found["openrouter_credits_guard_action_failures_total{action=disable,guard=runaway}"] == 1.0


def test_the_hourly_cap_counts_attempts(mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock) -> None:
    """max_actions_per_hour = 2 and three keys spiking: two acted on, the guard says once it holds back;
    an hour later the third."""
    mock.app.set_keys([scripted(f"ci-{n}", **SPIKING) for n in range(3)])

    async def scenario() -> None:
        watcher = exporter(ACCOUNT, notify_url=receiver, guards=[guard(max_actions_per_hour=2)])
        async with delivering(watcher):
            await watcher.poll("account")
            clock.now += 60
            await watcher.poll("account")
            clock.now += 3600
            await watcher.poll("account")
        await watcher.aclose()

    asyncio.run(scenario())
    said = texts()
    assert [text.split(":")[0] for text in said] == [
        "Would disable key ci-0 (workspace Default)",
        "Would disable key ci-1 (workspace Default)",
        "Guard runaway made 2 attempts in the last hour (max_actions_per_hour)",
        "Would disable key ci-2 (workspace Default)",
    ]


def test_a_persons_change_is_left_alone_and_restores_survive_a_restart(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock, tmp_path: Path
) -> None:
    """Two keys limited (action = "limit"); the exporter restarts (the restores owed read back from the
    state directory); a person sets one key's limit meanwhile: at the reset, the other key's limit is
    put back exactly, the changed one left as the person set it."""
    mock.app.set_keys(
        [
            scripted("ci-a", limit=100.0, limit_reset="daily", **SPIKING),
            scripted("ci-b", limit=50.0, limit_reset="daily", **SPIKING),
        ]
    )
    state = tmp_path / "state"
    spec = guard(dry_run=False, action="limit")

    async def first() -> None:
        with StateDir(state) as held:
            watcher = exporter(ACCOUNT, notify_url=receiver, state=held, guards=[spec], journal=FileJournal(state))
            async with delivering(watcher):
                await watcher.poll("account")
            await watcher.outbox.flush()  # as serve stops: what was delivered is out of the outbox on disk
            await watcher.guards.flush()
            await watcher.aclose()

    async def second() -> dict[str, float]:
        with StateDir(state) as held:
            watcher = exporter(ACCOUNT, notify_url=receiver, state=held, guards=[spec], journal=FileJournal(state))
            assert len(watcher.guards.pending) == 2
            async with delivering(watcher):
                clock.now = MIDNIGHT + 60
                for name in ("ci-a", "ci-b"):
                    mock.app.set_listed_key(name, usage_daily=0.0)
                await watcher.poll("account")
            await watcher.aclose()
            return metrics(watcher)

    asyncio.run(first())
    assert [(k["name"], k["limit"]) for k in mock.app.listed_keys()] == [("ci-a", 14.2), ("ci-b", 14.2)]
    with CreditsClient(MANAGEMENT, base_url=mock.base_url) as person:
        person.update_key(mock.app.listed_keys()[1]["hash"], limit=30.0)
    found = asyncio.run(second())
    assert [(k["name"], k["limit"]) for k in mock.app.listed_keys()] == [("ci-a", 100.0), ("ci-b", 30.0)]
    said = sorted(texts())  # two deliverers, one a run: the order of the runs' alerts is not the test's
    assert len(said) == 4, "\n".join(said)
    assert said[1].startswith("Limited key ci-a (workspace Default) to $14.20, what its window has used (it was $100")
    assert said[3] == (
        "Restored the limit of key ci-a (workspace Default) to $100.00: its window reset at 00:00 UTC (guard runaway "
        "set its limit to $14.20 at 08:00 UTC)."
    )
    assert said[0].startswith("Key ci-b (workspace Default) was changed since guard runaway set its limit to $14.20")
    assert [(e["key_name"], e["action"], e["outcome"]) for e in journal(state)] == [
        ("ci-a", "limit", "done"),
        ("ci-b", "limit", "done"),
        ("ci-a", "restore_limit", "done"),
        ("ci-b", "restore_limit", "skipped"),
    ]
    assert found["openrouter_credits_guard_actions_total{action=restore_limit,guard=runaway}"] == 1.0


def test_fresh_data_only(mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock) -> None:
    """A spike that appears between two listings waits for the next listing; a poll that fails, or
    whose listing fails, never acts."""
    mock.app.set_keys([scripted("ci-nightly", usage_daily=0.1, usage_weekly=20.0)])

    async def scenario() -> list[int]:
        watcher = exporter(ACCOUNT, notify_url=receiver, guards=[guard(dry_run=False)])
        seen = []
        await watcher.poll("account")  # listed: no spike
        mock.app.set_listed_key("ci-nightly", **SPIKING)
        clock.now += 30
        await watcher.poll("account")  # the listing is not asked again within a minute: stale, no action
        seen.append(len(patches(mock)))
        clock.now += 60
        mock.app.fail_next(1, status=503, endpoint="keys")
        await watcher.poll("account")  # the listing fails
        seen.append(len(patches(mock)))
        clock.now += 60
        mock.app.fail_next(1, status=503, endpoint="credits")
        mock.app.fail_next(1, status=503, endpoint="key")
        await watcher.poll("account")  # the poll fails as a whole (the listing read)
        seen.append(len(patches(mock)))
        clock.now += 60
        await watcher.poll("account")
        seen.append(len(patches(mock)))
        await watcher.aclose()
        return seen

    assert asyncio.run(scenario()) == [0, 0, 0, 1]


def test_the_key_that_polls_is_never_touched(
    mock: MockServer, exporter: MakeExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """A listed key that is the polling key itself (its hash), though named and spiking: never acted
    on, said once in the log; the other keys are."""
    own = {"name": "ci-manager", "hash": hashlib.sha256(MANAGEMENT.encode()).hexdigest(), **SPIKING}
    mock.app.set_keys([own, scripted("ci-nightly", **SPIKING)])

    async def scenario() -> bytes:
        watcher = exporter(ACCOUNT, guards=[guard(dry_run=False)])
        with caplog.at_level(logging.ERROR, logger=EXPORTER_LOGGER):
            await watcher.poll("account")
        page = watcher.page()
        await watcher.aclose()
        return page

    page = asyncio.run(scenario())
    assert patches(mock) == [hashlib.sha256(b"ci-nightly").hexdigest()[:12]]
    assert [r.getMessage() for r in caplog.records] == [
        "[guard.runaway]: not acting on key ci-manager: it is the key that polls, which a guard never acts on"
    ]
    text = page.decode()
    assert 'id="guard-runaway"' in text
    assert "acting" in text
    assert "Not acting on key ci-manager: it is the key that polls" in text
    assert "<td>disable</td><td>done</td><td>disabled false → true</td>" in text
    assert MANAGEMENT not in text


def test_no_guards_no_series(mock: MockServer, exporter: MakeExporter) -> None:
    """Without [guard.NAME] tables, /metrics has no guard series and the page no guard section."""

    watcher = polled(exporter, ACCOUNT)
    found, page = metrics(watcher), watcher.page()
    assert (found, b"guard-" in page) == ({}, False)


def test_the_journal_in_a_ledger_and_a_corrupt_state_file(
    mock: MockServer, exporter: MakeExporter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With a ledger, a guard's changes go to its key_changes table; a guard.json that is not the
    guards' state is moved aside with a warning, and the exporter starts without it."""
    from openrouter_credits._apps.journal import LedgerJournal
    from openrouter_credits.ledger import Location, open_ledger

    mock.app.set_keys([scripted("ci-nightly", **SPIKING)])
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "guard.json").write_text('{"pending": [{"guard": 1}]}')

    async def scenario() -> None:
        with StateDir(state) as held, open_ledger(Location(path=tmp_path / "ledger.sqlite3")) as ledger:
            with caplog.at_level(logging.WARNING, logger=EXPORTER_LOGGER):
                watcher = exporter(ACCOUNT, state=held, guards=[guard(dry_run=False)], journal=LedgerJournal(ledger))
            assert watcher.guards.pending == []
            await watcher.poll("account")
            await watcher.aclose()
            [entry] = LedgerJournal(ledger).entries()
            assert (entry.actor, entry.key_name, entry.action, entry.outcome) == (
                "runaway",
                "ci-nightly",
                "disable",
                "done",
            )

    asyncio.run(scenario())
    assert any("guard.json was not of the expected shape" in record.getMessage() for record in caplog.records)
    assert len(list(state.glob("guard.json.corrupt-*"))) == 1


def test_serve_runs_a_guard(mock: MockServer, tmp_path: Path) -> None:
    """serve as a process: a [guard.NAME] table read, the spiking key named in its log as what the dry
    run would disable, counted on /metrics, journaled in the state directory, nothing sent."""
    from exporting import ServeProcess, write_config

    mock.app.set_keys([scripted("ci-nightly", usage_daily=50.0, usage_weekly=50.0)])  # a spike at any hour
    config = write_config(
        tmp_path,
        '[keys.account]\napi_key_env = "SERVE_KEY_A"\ndiscover = true\n\n'
        '[guard.runaway]\nkeys = ["ci-*"]\nwhen = "spike"\nfactor = 1.5\n',
    )
    state = tmp_path / "state"
    serving = ServeProcess(mock, config, "--state-dir", str(state))
    try:
        found = serving.wait_for(
            lambda s: s.get("openrouter_credits_guard_actions_total{action=would_disable,guard=runaway}") == 1.0
        )
    finally:
        status, log, _ = serving.stop()
    assert status == 0
    assert found["openrouter_credits_guard_dry_run{guard=runaway}"] == 1.0
    assert "INFO Guard runaway: Would disable key ci-nightly (workspace Default): $50.00 spent today by " in log
    assert [(e["outcome"], e["key_name"]) for e in journal(state)] == [("dry_run", "ci-nightly")]
    assert patches(mock) == []
    assert MANAGEMENT not in log
