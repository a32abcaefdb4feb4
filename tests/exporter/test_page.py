"""The status page, GET /: its content from a snapshot (a pure function), rendered once per poll,
and loaded in a real browser (Debian's chromium, headless) from a live ``serve`` against the mock."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from exporting import MANAGEMENT, ORDINARY, MakeExporter, ServeProcess, polled, two_keys

from openrouter_credits._activity import DailySpend
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._forecast import forecast_spend
from openrouter_credits.exporter import Exporter
from openrouter_credits.exporter._page import KeyView, ListedKey, ModelSpend, Snapshot, render_page
from openrouter_credits.testing import MockServer

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "status-page.png"
AT = dt.datetime(2026, 11, 30, 12, 5, tzinfo=dt.UTC)
DAYS = tuple(DailySpend(dt.date(2026, 10, 31) + dt.timedelta(days=n), 0.5 + n / 10) for n in range(30))


def snapshot(**extra: object) -> Snapshot:
    keys = (
        KeyView("team-a", "ok", None, 17.5, 17.5, 5.8, 3.0, DAYS),
        KeyView("team-b", "below", "may spend $7.50, under its threshold of $10.00", None, 7.5, None, None, None,
                "the account's spend needs a management (provisioning) key"),
        KeyView("team-c", "failing", "auth: OpenRouter did not accept the key (401)."),
    )  # fmt: skip
    return Snapshot(AT, keys, **extra)  # type: ignore[arg-type]


def test_the_chart_draws_the_forecast_as_a_band() -> None:
    """With the balance's forecast: the 30 bars on narrower days, then the next 7 days as a band (low to
    high, its range in the title) with a line at the central value; days left with its range, spend
    per day with its method, the month's projected end."""
    forecast = forecast_spend(DAYS, at=AT)
    left, month = forecast.days_left(17.5), forecast.month_end_spend()
    assert left is not None
    assert month is not None
    assert left.low is not None
    assert left.high is not None
    view = KeyView("team-a", "ok", None, 17.5, 17.5, left.central, forecast.spend_per_day, DAYS,
                   forecast=forecast, days_left_range=left, month_end=month)  # fmt: skip
    page = render_page(Snapshot(AT, (view,))).decode()
    assert len(re.findall(r'<rect class="bar" x="\d+" y="[\d.]+" width="14"', page)) == 30  # 37 days in 600 px
    bands = re.findall(r'<rect class="band" x="(\d+)"[^>]*><title>([^<]*)</title>', page)
    assert [int(x) for x, _ in bands] == [16 * (30 + n) for n in range(7)]
    first = forecast.daily[0]
    assert first.low is not None
    assert first.high is not None
    assert bands[0][1] == f"2026-11-30, forecast: ${first.central:.2f} (${first.low:.2f} to ${first.high:.2f})"
    assert len(re.findall(r'<line class="central"', page)) == 7
    assert f'<dd class="days-left">{left.central:.1f} <small>{left.low:.1f} to {left.high:.1f}</small></dd>' in page
    assert f"<dd>${forecast.spend_per_day:.2f} <small>weekday</small></dd>" in page
    assert f'<p class="month">This month: ${month.central:.2f} projected by 30 Nov (' in page
    assert '<text x="600" y="118" text-anchor="end">2026-12-06</text>' in page  # the band's last day


def test_the_page_shows_each_keys_figures_state_and_chart() -> None:
    """Figures, states with their reasons, one bar with a dated title per day, and no script."""
    page = render_page(snapshot()).decode()
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'<rect class="bar"', page)) == 30
    assert "<title>2026-10-31: $0.50</title>" in page
    assert "<title>2026-11-29: $3.40</title>" in page
    assert '<dd class="remaining">$17.50</dd><dd class="spendable">$17.50</dd><dd class="days-left">5.8</dd>' in page
    assert '<span class="state below">below threshold</span>' in page
    assert "may spend $7.50, under its threshold of $10.00" in page
    assert "30-day spend unknown: the account&#x27;s spend needs a management" in page
    assert '<span class="state failing">failing</span></h2><p class="reason">auth: OpenRouter did not accept' in page
    assert "3 key(s): 1 ok, 1 below threshold, 1 failing. As of 2026-11-30 12:05:00 UTC." in page
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external asset
    assert 'id="listed"' not in page  # no discovered keys: no such section
    assert 'id="models"' not in page


def test_discovered_keys_and_models_when_known() -> None:
    """The keys closest to their limits (most used first, labels escaped) and the top models."""
    listed = (
        *(
            ("team-a", ListedKey(f"app-{n}", usage=50.0, limit=10.0, limit_remaining=10.0 - n, window_usage=n))
            for n in range(1, 10)
        ),
        ("team-a", ListedKey("<b>no-limit</b>", usage=50.0)),
    )
    models = (
        ("team-a", ModelSpend("openai/gpt-4o", "30d", 12.0)),
        ("team-b", ModelSpend("openai/gpt-4o", "30d", 3.0)),
        ("team-a", ModelSpend("anthropic/claude-sonnet", "30d", 9.0)),
        ("team-a", ModelSpend("anthropic/claude-sonnet", "1d", 99.0)),
    )
    page = render_page(snapshot(listed=listed, models=models)).decode()
    section = page[page.index('id="listed"') :]
    assert section.index("app-9") < section.index("app-8") < section.index("app-1")
    assert (
        '<td class="name"><bdi>app-9</bdi></td><td>team-a</td><td class=n>$9.00</td><td class=n>$10.00 total</td>'
        "<td class=n>$1.00</td>"
    ) in page
    assert "no-limit" not in page  # no limit: not close to one
    assert "Top models (30d)" in page
    assert page.index("openai/gpt-4o</bdi></td><td class=n>$15.00") < page.index(
        "claude-sonnet</bdi></td><td class=n>$9"
    )


def test_a_listed_label_is_escaped() -> None:
    listed = (("team-a", ListedKey("<img src=x>", usage=1.0, limit=2.0, limit_remaining=1.0)),)
    page = render_page(snapshot(listed=listed)).decode()
    assert "<img" not in page
    assert "&lt;img src=x&gt;" in page


def test_the_page_is_rendered_once_per_poll(exporter: MakeExporter) -> None:
    """Two requests between polls get the same bytes, rendered once; a poll renders it anew."""

    async def scenario() -> None:
        watcher = exporter(KeySpec("team-a", MANAGEMENT))
        first = watcher.route("GET", "/")
        assert (first[0], first[2]) == (200, "text/html; charset=utf-8")
        assert watcher.route("GET", "/")[1] is first[1]
        await watcher.poll("team-a")
        second = watcher.route("GET", "/")[1]
        assert second is not first[1]
        assert b"$17.50" in second
        assert watcher.route("HEAD", "/")[1] is second
        await watcher.aclose()

    asyncio.run(scenario())


def page_of(watcher: Exporter) -> str:
    status, body, _ = watcher.route("GET", "/")
    assert status == 200
    return body.decode()


def test_before_the_first_poll_the_page_says_starting(exporter: MakeExporter) -> None:
    """No poll has ended yet: 'starting', not 'failing'."""

    async def scenario() -> str:
        watcher = exporter(KeySpec("team-a", MANAGEMENT))
        await watcher.aclose()
        return page_of(watcher)

    page = asyncio.run(scenario())
    assert "1 key(s): 1 starting." in page
    assert '<h2>team-a<span class="state starting">starting</span></h2>' in page


def test_a_threshold_that_cannot_be_checked_is_not_ok(mock: MockServer, exporter: MakeExporter) -> None:
    """below on an ordinary key without a limit (what it may spend is unknown for ever): 'threshold
    unchecked' with the reason, never a green ok."""
    mock.app.set_key(ORDINARY, limit=None)

    page = page_of(polled(exporter, KeySpec("open", ORDINARY, below=5.0)))
    assert '<h2>open<span class="state unchecked">threshold unchecked</span></h2>' in page
    assert '<p class="reason">below cannot be checked: this key has no limit, and the account' in page
    assert "1 threshold unchecked." in page


def test_an_ordinary_keys_card_shows_its_own_limit_and_usage(mock: MockServer, exporter: MakeExporter) -> None:
    """What the command shows of an ordinary key: its limit, what is left and its usage; one note
    saying why the account's figures are unknown."""
    mock.app.set_key(ORDINARY, limit=10.0, usage=2.5, usage_daily=0.5, usage_weekly=1.5, usage_monthly=2.5)

    page = page_of(polled(exporter, KeySpec("team-b", ORDINARY)))
    assert '<dd class="key-limit">$10.00</dd><dd class="key-left">$7.50</dd><dd class="key-usage">$2.50</dd>' in page
    assert "<dd>$0.50, $1.50, $2.50</dd>" in page
    assert '<p class="note">This is not a management key: the account&#x27;s balance needs a management' in page


def test_a_failing_key_shows_its_name_and_kind_never_its_files(
    mock: MockServer, exporter: MakeExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """A key file's path and the config file's name stay in the log: the page and /healthz, which
    anyone who reaches the exporter reads, name the key and the kind of failure."""
    path = "/run/secrets/private-folder/team-c.key"
    spec = KeySpec(
        "team-c",
        "sk-or-v1-nobody-knows-this-key-0000",
        origin=f"the key file {path} named by [keys.team-c] in keys.toml",
    )

    with caplog.at_level(logging.INFO):
        watcher = polled(exporter, spec)
    page, health = page_of(watcher), watcher.health()[1]
    for shown in (page, health):
        assert "private-folder" not in shown
        assert "keys.toml" not in shown
    assert '<p class="reason">auth: OpenRouter did not accept the API key (HTTP 401' in page
    assert "the key of [keys.team-c]" in page
    assert health.startswith("failing: team-c: auth: OpenRouter did not accept the API key (HTTP 401")
    assert path in caplog.text


# --- in a real browser -------------------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed: apt-get install chromium (.ci/run installs it)")


def browse(url: str, *options: str) -> str:
    """Headless chromium on ``url``: what it prints (the DOM with --dump-dom)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *options,
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.xdist_group("chromium")
def test_the_page_in_a_browser(mock: MockServer, tmp_path: Path) -> None:
    """A live serve against the mock: chromium shows both keys with their figures and 30 bars for the
    management key's month; the screenshot is kept under the test's folder (and, with
    UPDATE_SCREENSHOT=1, copied to docs/status-page.png for the README)."""
    chromium()
    today = dt.datetime.now(dt.UTC).date()
    mock.app.set_activity(
        {(today - dt.timedelta(days=back)).isoformat(): 0.2 + (back % 9) / 4 for back in range(-1, 40)}
    )
    exporter = ServeProcess(mock, two_keys(tmp_path, below=20.0), "--state-dir", str(tmp_path / "state"))
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # both keys polled: team-b's $7.50 and team-a's $17.50
            page = httpx.get(exporter.url + "/").content
            if b"$7.50" in page and b"$17.50" in page:
                break
            time.sleep(0.1)
        dom = browse(exporter.url + "/", "--dump-dom")
        shot = tmp_path / "page.png"
        browse(exporter.url + "/", f"--screenshot={shot}", "--window-size=1200,1600", "--hide-scrollbars")
    finally:
        exporter.stop()
    assert '<h2>team-a<span class="state below">' in dom
    assert '<h2>team-b<span class="state ok">ok</span>' in dom
    assert '<dd class="remaining">$17.50</dd><dd class="spendable">$17.50</dd>' in dom
    assert '<span class="state below">below threshold</span>' in dom
    assert "may spend $17.50, under its threshold of $20.00" in dom
    assert '<dd class="remaining">unknown</dd><dd class="spendable">at most $7.50</dd>' in dom  # team-b: ordinary
    assert len(re.findall(r'<rect class="bar"', dom)) == 30  # team-a's month; team-b may not read it
    assert MANAGEMENT not in dom
    assert ORDINARY not in dom
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS_SCREENSHOT)
