"""A guard's PATCH whose answer never comes: ``serve`` stopping while it is sent (its poll cancelled),
or a timeout. The change may have been made: journaled ``unknown``, before the task ends. The mock
holds the PATCH's answer back (``helpers.PatchHeld``), in virtual time."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from exporting import MANAGEMENT, ORDINARY, MakeExporter

from helpers import PatchHeld, script_figures
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._apps.guard_config import GuardSpec
from openrouter_credits._apps.journal import FileJournal
from openrouter_credits.exporter._statedir import StateDir
from openrouter_credits.testing import MockServer

ACCOUNT = KeySpec("account", MANAGEMENT, discover=True)
ORDINARY_HASH = hashlib.sha256(ORDINARY.encode()).hexdigest()
SPIKING = {"usage_daily": 14.2, "usage_weekly": 20.0}
ADVICE = "The change may have been made (openrouter-credits keys --include-disabled shows the key as it is): "


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """The exporter tests' mock, holding each PATCH's answer until ``on_patch`` returns."""
    app = PatchHeld(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys={ORDINARY: 10.0})
    script_figures(app, ORDINARY)
    with MockServer(app) as running:
        yield running


def journal(state: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]


def test_serve_stops_while_a_change_is_sent(mock: MockServer, exporter: MakeExporter, tmp_path: Path) -> None:
    """The poll cancelled (serve stopping) once the mock has disabled the key and before its answer:
    the entry is journaled unknown, then the cancellation goes on."""
    mock.app.set_key(ORDINARY, limit=None, **SPIKING)
    arrived, release = threading.Event(), threading.Event()

    def on_patch() -> None:
        arrived.set()
        release.wait(10)

    mock.app.on_patch = on_patch  # type: ignore[attr-defined]
    state = tmp_path / "state"
    spec = GuardSpec(name="runaway", keys=("key-*",), when="spike", factor=5.0, dry_run=False)

    async def scenario() -> None:
        with StateDir(state) as held:
            watcher = exporter(ACCOUNT, state=held, guards=[spec], journal=FileJournal(state))
            poll = asyncio.create_task(watcher.poll("account"))
            assert await asyncio.to_thread(arrived.wait, 10)
            poll.cancel()
            with pytest.raises(asyncio.CancelledError):
                await poll
            release.set()
            await watcher.aclose()

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        mock.app.on_patch = lambda: None  # type: ignore[attr-defined]
    [entry] = journal(state)
    assert (entry["actor"], entry["key_hash"], entry["action"], entry["outcome"], entry["after"]) == (
        "runaway",
        ORDINARY_HASH,
        "disable",
        "unknown",
        {"disabled": True},
    )
    assert entry["reason"].startswith(ADVICE)
    assert entry["reason"].endswith("; serve stopped while it was sent.")
    assert mock.app.key_by_hash(ORDINARY_HASH)["disabled"] is True  # type: ignore[index]


def test_a_timeout_after_the_change_was_sent(mock: MockServer, exporter: MakeExporter, tmp_path: Path) -> None:
    """The PATCH made, its answer later than the timeout: journaled unknown (not failed), and the
    failure counted as any other."""
    mock.app.set_key(ORDINARY, limit=None, **SPIKING)
    release = threading.Event()
    mock.app.on_patch = lambda: release.wait(5)  # type: ignore[attr-defined]
    state = tmp_path / "state"
    spec = GuardSpec(name="runaway", keys=("key-*",), when="spike", factor=5.0, dry_run=False)

    async def scenario() -> None:
        with StateDir(state) as held:
            watcher = exporter(ACCOUNT, state=held, guards=[spec], journal=FileJournal(state), timeout=0.3)
            await watcher.poll("account")
            release.set()
            await watcher.aclose()

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        mock.app.on_patch = lambda: None  # type: ignore[attr-defined]
    [entry] = journal(state)
    assert (entry["action"], entry["outcome"]) == ("disable", "unknown")
    assert entry["reason"].startswith(ADVICE + "$14.20 spent today")
    assert "its pace; Timed out waiting for the response from http://127.0.0.1:" in entry["reason"]
