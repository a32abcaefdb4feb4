"""The time the ledger's tests are set at (the clock that the mock and the clients share starts there)."""

from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
