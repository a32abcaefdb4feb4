"""make bench: the forecast backtested against the naive 7-day average on the same series.

A benchmark, not a test: it prints a table and never fails on the figures. Each forecast sees only the
30 completed days before its origin (as ``GET /activity`` gives them); what follows the origin is the
test window, which no forecast reads.

    python bench/forecast.py [--seeds 30] [--seed-offset 0] [--ledger PATH]

Series (30 seeds each, every seed a series of its own forecast at 4 origins 9 days apart, so that
they fall on different weekdays):

- weekly:   weekdays 3x the weekend, each day's spend times lognormal noise (sigma 0.25);
- flat:     the same level every day, the same noise;
- trend:    flat, growing 2 % a week;
- shifts:   flat, the level up or down by half (x1.5 or /1.5) 2 to 8 days before the first origin;
- spikes:   flat, and on 1 day in 20 (at random) 4 to 10 times the day's spend;
- new key:  the weekly series of a key whose spending begins 3 to 24 days before the first origin;
- mock:     the mock's activity (``default_activity``, a function of the date) over a year, forecast
            at every day that has 30 days before it and 90 after.

For each, the mean absolute error of each of the next 7 days' spend and of their total (dollars: the
synthetic series spend about $10 a day, the mock about $0.07), and of the days a balance lasts (a
balance of 1 to 4 weeks of the 28 days' average spend before the origin), for the naive average and
for the forecast; and the share of actual values inside the forecast's stated 80 % range: each day,
the 7-day totals, the days left.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from openrouter_credits import forecast_spend
from openrouter_credits._forecast_model import LONGEST_HISTORY

HISTORY = 30
FUTURE = 120
ORIGINS = (HISTORY, HISTORY + 9, HISTORY + 18, HISTORY + 27)
LEVEL = 10.0  # dollars a day, the synthetic series' mean before noise
NOISE = 0.25
START = dt.date(2026, 1, 5)  # a Monday; each seed shifts it by 0 to 6 days
MOCK_TODAY = dt.date(2026, 12, 1)  # the mock's year: the 365 days before


class Case(NamedTuple):
    """One forecast to check: the history before the origin, the days after it, and a balance."""

    history: list[tuple[dt.date, float]]
    future: list[float]
    at: dt.datetime
    balance: float


def _noise(rng: random.Random) -> float:
    return math.exp(rng.gauss(-NOISE * NOISE / 2, NOISE))  # mean 1


def _weekly(day: dt.date) -> float:
    return 3.0 if day.weekday() < 5 else 1.0


WEEKLY_MEAN = (5 * 3.0 + 2 * 1.0) / 7


def synthetic(kind: str, rng: random.Random) -> tuple[dt.date, list[float]]:
    """A series of ``kind`` (its first day, then its daily spend), long enough for every origin."""
    first = START + dt.timedelta(days=rng.randrange(7))
    length = ORIGINS[-1] + FUTURE
    begins = ORIGINS[0] - rng.randint(3, 24)
    values = []
    shift, step = 1.0, ORIGINS[0] - rng.randint(2, 8)
    for n in range(length):
        if n == step:
            shift *= rng.choice((1.5, 1 / 1.5))
        day = first + dt.timedelta(days=n)
        if kind in ("weekly", "new key"):
            level = LEVEL * _weekly(day) / WEEKLY_MEAN
        elif kind == "shifts":
            level = LEVEL * shift
        elif kind == "trend":
            level = LEVEL * 1.02 ** (n / 7)
        else:
            level = LEVEL
        spend = level * _noise(rng)
        if kind == "spikes" and rng.random() < 1 / 20:
            spend *= rng.uniform(4, 10)
        if kind == "new key" and n < begins:
            spend = 0.0
        values.append(round(spend, 6))
    return first, values


def cases_of(
    first: dt.date,
    values: Sequence[float | None],
    origins: Iterable[int],
    rng: random.Random,
    history: int = HISTORY,
) -> Iterator[Case]:
    """A case at each origin: the ``history`` days before it (a gap, None, left out: it breaks the
    forecast's run of days), and the days after it up to the first gap. An origin whose next 7 days
    are not all known is left out (nothing to score)."""
    for origin in origins:
        future: list[float] = []
        for value in values[origin:]:
            if value is None:
                break
            future.append(value)
        if len(future) < 7:
            continue
        before = [(first + dt.timedelta(days=n), values[n]) for n in range(max(origin - history, 0), origin)]
        known = [(day, value) for day, value in before if value is not None]
        at = dt.datetime.combine(first + dt.timedelta(days=origin), dt.time(), dt.UTC)
        past = [value for _, value in known[-28:]]
        typical = statistics.fmean(past) if past and any(past) else 1.0  # the past only, as a user knows it
        yield Case(known, future, at, typical * 7 * rng.uniform(1, 4))


def mock_series() -> tuple[dt.date, list[float | None]]:
    """The mock's year of history (``default_history``: what ``POST /analytics/query`` answers for the
    default account, the 30 days of ``/activity`` its last), daily totals, on MOCK_TODAY."""
    from openrouter_credits.testing._history import HISTORY_DAYS, default_history

    totals: dict[str, float] = {}
    for row in default_history(MOCK_TODAY):
        totals[row["date"]] = totals.get(row["date"], 0.0) + row["usage"]
    first = MOCK_TODAY - dt.timedelta(days=HISTORY_DAYS)
    days = [first + dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    return first, [round(totals.get(day.isoformat(), 0.0), 6) for day in days]


def ledger_series(path: str) -> tuple[dt.date, list[float | None]]:
    """The daily totals of a ledger (a file path or a postgresql:// URL), from its first day with a
    source to yesterday: None for a gap (or a day covered only in part)."""
    from openrouter_credits.ledger import LedgerError, open_ledger, resolve
    from openrouter_credits.ledger._nano import dollars
    from openrouter_credits.ledger._reports import day_totals

    today = dt.datetime.now(dt.UTC).date()
    try:
        with open_ledger(resolve(path), create=False) as ledger:
            (first,) = ledger.query("SELECT MIN(day) FROM coverage", ())[0]
            if first is None:
                raise SystemExit(f"bench/forecast.py: --ledger {path}: the ledger holds no day yet (sync first)")
            start = dt.date.fromisoformat(str(first)[:10])
            totals = day_totals(ledger, start, today - dt.timedelta(days=1))
    except LedgerError as error:
        raise SystemExit(f"bench/forecast.py: --ledger {path}: {error}") from None
    return start, [None if t.usage_nano is None or not t.complete else float(dollars(t.usage_nano)) for t in totals]


def actual_days_left(future: Sequence[float], balance: float) -> float | None:
    spent = 0.0
    for n, value in enumerate(future):
        if spent + value >= balance:
            return n + (balance - spent) / value
        spent += value
    return None


class Errors:
    """What one method got wrong, summed over the cases."""

    def __init__(self) -> None:
        self.day: list[float] = []
        self.week: list[float] = []
        self.days_left: list[float] = []
        self.day_in: list[bool] = []
        self.week_in: list[bool] = []
        self.left_in: list[bool] = []


def naive(case: Case) -> tuple[list[float], float | None]:
    """The 7-day average: every day the same; days left the balance over it."""
    average = math.fsum(value for _, value in case.history[-7:]) / 7 if case.history else 0.0
    return [average] * 7, (case.balance / average if average > 0 else None)


def evaluate(cases: Sequence[Case]) -> tuple[Errors, Errors, dict[str, int], float]:
    old, new = Errors(), Errors()
    methods: dict[str, int] = {}
    cpu = 0.0
    for case in cases:
        actual = case.future[:7]
        actual_left = actual_days_left(case.future, case.balance)
        days, left = naive(case)
        old.day += [abs(a - f) for a, f in zip(actual, days, strict=True)]
        old.week.append(abs(math.fsum(actual) - math.fsum(days)))
        if actual_left is not None and left is not None:
            old.days_left.append(abs(actual_left - left))

        started = time.process_time()
        forecast = forecast_spend(case.history, at=case.at)
        daily = forecast.daily
        week = forecast.spend_between(case.at, case.at + dt.timedelta(days=7))
        days_left = forecast.days_left(case.balance)
        cpu += time.process_time() - started
        methods[forecast.method] = methods.get(forecast.method, 0) + 1
        new.day += [abs(a - d.central) for a, d in zip(actual, daily, strict=True)]
        new.day_in += [d.low <= a <= d.high for a, d in zip(actual, daily, strict=True)]
        new.week.append(abs(math.fsum(actual) - week.central))
        new.week_in.append(week.low <= math.fsum(actual) <= week.high)
        if actual_left is not None and days_left is not None:
            new.days_left.append(abs(actual_left - days_left.central))
            high = math.inf if days_left.high is None else days_left.high
            new.left_in.append(days_left.low <= actual_left <= high)
    return old, new, methods, cpu / max(len(cases), 1)


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def _share(values: Sequence[bool]) -> str:
    return f"{100 * sum(values) / len(values):.0f} %" if values else "-"


def _change(new: float, old: float) -> str:
    return f"{100 * (new / old - 1):+.0f} %" if old > 0 else "-"


ROW = "{:<10} {:>5}  {:>7} {:>7} {:>6}  {:>7} {:>7} {:>6}  {:>6} {:>6} {:>6}  {:>5} {:>5} {:>5}"


def table(rows: Sequence[tuple[str, Sequence[Case]]]) -> list[str]:
    lines = [
        ROW.format("", "", "day MAE", "", "", "7-day MAE", "", "", "days left", "", "", "in 80 % range", "", ""),
        ROW.format(
            "series",
            "cases",
            "naive",
            "model",
            "change",
            "naive",
            "model",
            "change",
            "naive",
            "model",
            "change",
            "days",
            "7-day",
            "left",
        ),
    ]
    notes = []
    for name, cases in rows:
        old, new, methods, cpu = evaluate(cases)
        day_old, day_new = _mean(old.day), _mean(new.day)
        week_old, week_new = _mean(old.week), _mean(new.week)
        left_old, left_new = _mean(old.days_left), _mean(new.days_left)
        lines.append(
            ROW.format(
                name,
                len(cases),
                f"{day_old:.3g}",
                f"{day_new:.3g}",
                _change(day_new, day_old),
                f"{week_old:.3g}",
                f"{week_new:.3g}",
                _change(week_new, week_old),
                f"{left_old:.2f}",
                f"{left_new:.2f}",
                _change(left_new, left_old),
                _share(new.day_in),
                _share(new.week_in),
                _share(new.left_in),
            )
        )
        used = ", ".join(f"{method} {count}" for method, count in sorted(methods.items()))
        notes.append(f"  {name}: {used}; {1000 * cpu:.2f} ms of CPU a forecast")
    return [*lines, "", "methods used:", *notes]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--seed-offset", type=int, default=0, help="another set of seeds (to tune on)")
    parser.add_argument("--ledger", metavar="PATH", help="backtest a ledger's own history too")
    args = parser.parse_args(argv)

    rows: list[tuple[str, Sequence[Case]]] = []
    for kind in ("weekly", "flat", "trend", "shifts", "spikes", "new key"):
        cases: list[Case] = []
        for seed in range(args.seed_offset, args.seed_offset + args.seeds):
            rng = random.Random(f"{kind}-{seed}")
            first, values = synthetic(kind, rng)
            cases += cases_of(first, values, ORIGINS, rng)
        rows.append((kind, cases))
    first, values = mock_series()
    rng = random.Random("mock")
    rows.append(("mock year", list(cases_of(first, values, range(LONGEST_HISTORY, len(values)), rng, LONGEST_HISTORY))))
    if args.ledger:
        first, values = ledger_series(args.ledger)
        rng = random.Random("ledger")
        rows.append(("ledger", list(cases_of(first, values, range(HISTORY, len(values)), rng, LONGEST_HISTORY))))
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
