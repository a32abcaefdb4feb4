"""The README's "How forecasts are made": its example prints what the README shows, and its backtest
table is the one ``bench/forecast.py`` prints for the code in the tree."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### How forecasts are made\n"


def blocks() -> list[str]:
    """The fenced blocks of the section, in order."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    found: list[str] = []
    block: list[str] | None = None
    for line in text[start : text.index("\n### ", start + len(SECTION))].splitlines(keepends=True):
        if line.startswith("```"):
            if block is not None:
                found.append("".join(block))
            block = [] if block is None else None
        elif block is not None:
            block.append(line)
    return found


def test_the_example_prints_what_the_readme_shows() -> None:
    """The example's code, run as written, prints the lines under it."""
    code, shown = blocks()[:2]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {})  # noqa: S102
    assert printed.getvalue() == shown


def test_the_backtest_table_is_the_benchmarks() -> None:
    """The table's figures are what the backtest gives today (seeded: the same on every run)."""
    spec = importlib.util.spec_from_file_location("bench_forecast", ROOT / "bench" / "forecast.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert bench.main([]) == 0
    table = printed.getvalue().split("\n\n", 1)[0]
    shown = blocks()[-1]
    assert [line.rstrip() for line in shown.splitlines()] == [line.rstrip() for line in table.splitlines()]
