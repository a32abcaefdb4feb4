"""The status page's render time: 50 keys with 30 days of spend each, and 1,000 discovered keys and
200 models' spend, and the ledger's 13 months, as ``render_page`` gets them from the exporter once
per poll.

    python bench/page.py          # prints the median and the slowest of 200 renders; exits 1 above 10 ms

The budget is 10 ms a render (the page is rendered at most once per poll, on the event loop).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time

from openrouter_credits import forecast_spend
from openrouter_credits._activity import DailySpend
from openrouter_credits.exporter._page import KeyView, ListedKey, ModelSpend, Snapshot, render_page
from openrouter_credits.exporter._page_chart import _band_day, _bar, _day_label
from openrouter_credits.exporter._page_ledger import LedgerView, MonthSpend

KEYS = 50
LISTED = 1_000
MODELS = 200
RUNS = 200
BUDGET = 0.010


def snapshot(rng: random.Random) -> Snapshot:
    today = dt.date(2026, 11, 30)
    days = [today - dt.timedelta(days=back) for back in range(30, 0, -1)]
    at = dt.datetime.combine(today, dt.time(12), dt.UTC)
    spends = [tuple(DailySpend(day, round(rng.uniform(0, 20), 6)) for day in days) for _ in range(KEYS)]
    forecasts = [forecast_spend(spend, at=at) for spend in spends]  # each key's band beside its bars
    keys = tuple(
        KeyView(
            f"team-{n:02d}",
            "ok" if n % 7 else "below",
            None if n % 7 else "may spend $4.00, under its threshold of $10.00",
            rng.uniform(0, 500),
            rng.uniform(0, 100),
            rng.uniform(0, 60),
            rng.uniform(0, 20),
            spends[n],
            forecast=forecasts[n],
            days_left_range=forecasts[n].days_left(100.0),
            month_end=forecasts[n].month_end_spend(),
        )
        for n in range(KEYS)
    )
    listed = tuple(
        (f"team-{n % KEYS:02d}", ListedKey(f"app-{n:04d}", usage=(u := rng.uniform(0, 90)), limit=100.0,
                                             limit_remaining=100.0 - u, usage_daily=rng.uniform(0, 3)))
        for n in range(LISTED)
    )  # fmt: skip
    models = tuple(
        (f"team-{n % KEYS:02d}", ModelSpend(f"vendor/model-{n % MODELS:03d}", window, rng.uniform(0, 50)))
        for n in range(MODELS)
        for window in ("1d", "7d", "30d")
    )
    months = tuple(MonthSpend(dt.date(2025 + (10 + n) // 12, (10 + n) % 12 + 1, 1), rng.uniform(100, 900), gaps=n % 3,
                              current=n == 12) for n in range(13))  # fmt: skip
    ledger = LedgerView(months, dt.date(2026, 10, 31), dt.date(2026, 11, 29), 28, (dt.date(2026, 11, 2),), 1, 1)
    return Snapshot(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), keys, listed, models, ledger=ledger)


def timed(data: Snapshot, *, cold: bool) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(RUNS):
        if cold:
            _bar.cache_clear()  # every bar drawn afresh, as after a restart
            _day_label.cache_clear()
            _band_day.cache_clear()
        start = time.perf_counter()
        size = len(render_page(data))
        times.append(time.perf_counter() - start)
    return times, size


def main() -> int:
    data = snapshot(random.Random(7))
    render_page(data)
    print(f"status page: {KEYS} keys (30 bars each), {LISTED} discovered keys, {MODELS} models, the ledger's months")
    medians = []
    for cold in (True, False):
        times, size = timed(data, cold=cold)
        medians.append(statistics.median(times))
        print(
            f"  {'cold (no cached bar)' if cold else 'warm (bars cached) '}: {size / 1024:.0f} KiB, fastest "
            f"{min(times) * 1000:.2f} ms, median {medians[-1] * 1000:.2f} ms, slowest {max(times) * 1000:.2f} ms "
            f"of {RUNS} renders (budget {BUDGET * 1000:g} ms)"
        )
    return 0 if max(medians) <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
