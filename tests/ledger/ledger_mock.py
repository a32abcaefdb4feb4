"""The time the ledger's tests are set at (the clock that the mock and the clients share starts
there), the analytics pacer's virtual time, and a sync of a ledger from the live mock."""

from __future__ import annotations

import datetime as dt

from openrouter_credits import CreditsClient
from openrouter_credits.ledger import Location, open_ledger, sync
from openrouter_credits.testing import MockServer

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class Paced:
    """The analytics pacer's time (64 queries a minute), virtual: no test waits it out."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def sync_ledger(mock: MockServer, location: Location, now: dt.datetime) -> None:
    """One sync of the ledger at ``location`` from the live mock (its management key), the clock at
    ``now``, the pacer's time virtual; it reports no errors."""
    paced = Paced()
    with (
        CreditsClient(mock.app.provisioning_key, base_url=mock.base_url, max_retries=0, clock=lambda: now) as client,
        open_ledger(location) as ledger,
    ):
        report = sync(client, ledger, now=now, sleep=paced.sleep, monotonic=paced.monotonic)
    assert report.errors == []
