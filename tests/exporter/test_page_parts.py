"""The status page's parts, in-process against the live mock: each guard's rule in words (one guard of
each ``when`` and each action), the keys closest to their limits with the usage their limit counts, and
a part that fails (a bug) saying so while the rest of the page shows, logged once in one line (its
traceback only at DEBUG, as with --debug)."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import re
from typing import Any

import pytest
from exporting import MANAGEMENT, MakeExporter, polled

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._apps.guard_config import GuardSpec
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.exporter import Exporter
from openrouter_credits.exporter._page import KeyView, Snapshot, render_page
from openrouter_credits.testing import MockServer

ACCOUNT = KeySpec("account", MANAGEMENT, discover=True)
AT = dt.datetime(2026, 11, 30, 12, 5, tzinfo=dt.UTC)
GUARDS = (
    GuardSpec("spiking", ("ci-*",), when="spike", factor=5.0),
    GuardSpec("over-tiny", ("ci-*",), when="over", amount=0.001, action="limit"),
    GuardSpec("over-big", ("ci-*",), when="over", amount=1234.5, restore="never", dry_run=False),
    GuardSpec("exhausting", ("ci-*",), when="will_exhaust", action="limit", restore="never"),
    GuardSpec("low", ("ci-*",), when="below_fraction", fraction=0.25),
)
RULES = {
    "spiking": "spending today over 5x its 7-day pace: disable, undone at the window's reset",
    "over-tiny": "its window's usage over $0.001: limit, undone at the window's reset",
    "over-big": "its window's usage over $1,234.50: disable, never undone",
    "exhausting": "bound to reach its limit before the reset: limit, never undone",
    "low": "under 25 % of its limit left: disable, undone at the window's reset",
}


def page_of(watcher: Exporter) -> str:
    status, body, kind = watcher.route("GET", "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    return body.decode()


def closed(watcher: Exporter) -> Exporter:
    asyncio.run(watcher.aclose())
    return watcher


def test_each_guards_rule_in_words(exporter: MakeExporter) -> None:
    """One guard of each when and each action: each shows its own rule (an amount under a cent in its
    significant cents, never $0.00) and its mode."""
    page = page_of(closed(exporter(ACCOUNT, guards=list(GUARDS))))
    shown = re.findall(r'<section class="key" id="guard-([\w-]+)">.*?</h2><p>(.*?); \d+ change', page)
    assert {name: html.unescape(rule) for name, rule in shown} == RULES
    assert '<h2>Guard over-big<span class="state below">acting</span></h2>' in page
    assert '<h2>Guard low<span class="state unchecked">dry run</span></h2>' in page
    assert "could not be shown" not in page


def test_a_guard_that_fails_to_show_leaves_the_rest(exporter: MakeExporter, caplog: pytest.LogCaptureFixture) -> None:
    """A guard whose rule raises (a when no version knows: a bug's stand-in): the guards' part says it
    could not be shown, the keys' sections show; logged once over three renders, in one line."""
    broken = GuardSpec("broken", ("ci-*",), when="nope", factor=None)  # type: ignore[arg-type]
    watcher = closed(exporter(ACCOUNT, guards=[GUARDS[0], broken]))
    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        pages = []
        for _ in range(3):
            watcher.render()  # as after a poll: the page is rendered anew at its next request
            pages.append(page_of(watcher))
    assert '<section class="key unshown"><p class="reason">The guards could not be shown (see the log).</p>' in pages[0]
    assert '<h2>account<span class="state starting">starting</span></h2>' in pages[0]
    assert pages[1] == pages[2] == pages[0]
    failures = [r for r in caplog.records if r.name == EXPORTER_LOGGER and r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in failures] == [
        "The status page could not show the guards (KeyError: 'nope'); it says so on the page until it can"
    ]
    assert not failures[0].exc_info  # one line: the traceback only with --debug


def test_a_section_that_fails_says_so_and_the_others_show(caplog: pytest.LogCaptureFixture) -> None:
    """A key section that raises (a state no version knows) gives that section a note; the next key
    shows. With ``failing`` kept between renders it is logged once, then again once it showed; at
    DEBUG (--debug) the line carries its traceback."""
    odd, fine = KeyView("odd", "no-such-state"), KeyView("fine", "ok", None, 17.5, 17.5, 5.8, 3.0)
    failing: set[str] = set()
    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        first = render_page(Snapshot(AT, (odd, fine)), failing=failing).decode()
        render_page(Snapshot(AT, (odd, fine)), failing=failing)
        assert failing == {"the section of key odd"}
        render_page(Snapshot(AT, (KeyView("odd", "ok"), fine)), failing=failing)
        assert failing == set()
    assert "The section of key odd could not be shown (see the log)." in first
    assert '<dd class="remaining">$17.50</dd>' in first
    messages = [(r.levelname, r.getMessage(), not r.exc_info) for r in caplog.records]
    assert messages == [
        ("ERROR", "The status page could not show the section of key odd (KeyError: 'no-such-state'); it says so "
                  "on the page until it can", True),
        ("INFO", "The status page shows the section of key odd again", True),
    ]  # fmt: skip
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=EXPORTER_LOGGER):
        render_page(Snapshot(AT, (odd,)), failing=failing)
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError


def listed(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "hash": name[0] * 64, **fields}


def test_the_closest_keys_show_the_usage_their_limit_counts(mock: MockServer, exporter: MakeExporter) -> None:
    """A daily limit beside today's usage (not the lifetime's), a weekly one beside this week's, a
    limit without a reset beside the lifetime's; each limit with its window, as the keys table says."""
    mock.app.set_keys(
        [
            listed("ci-build", limit=0.03, limit_reset="daily", usage=0.5, usage_daily=0.02, usage_weekly=0.2),
            listed("weekly", limit=10.0, limit_reset="weekly", usage=40.0, usage_daily=1.0, usage_weekly=6.0),
            listed("total", limit=100.0, limit_reset=None, usage=30.0, usage_daily=1.0, usage_weekly=2.0),
        ]
    )
    page = page_of(polled(exporter, ACCOUNT))
    section = page[page.index('<section id="listed">') :]
    assert "<th>Used in its window</th><th>Limit</th><th>Left</th><th>Share used</th>" in section
    rows = re.findall(r"<tr><td class=\"name\"><bdi>([\w-]+)</bdi></td><td>account</td>(.*?)</tr>", section)
    cells = {name: re.findall(r"<td class=n>([^<]*)</td>", row) for name, row in rows}
    assert cells == {
        "ci-build": ["$0.02", "$0.03/day", "$0.01", "67%"],
        "weekly": ["$6.00", "$10.00/week", "$4.00", "60%"],
        "total": ["$30.00", "$100.00 total", "$70.00", "30%"],
    }
    assert list(cells) == ["ci-build", "weekly", "total"]  # most used first
