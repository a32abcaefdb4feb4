"""The time the ledger's tests are set at, and the clock that the mock and the clients share."""

from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class Clock:
    """Virtual time for the mock and the clients: ``now`` is moved by the test."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now
