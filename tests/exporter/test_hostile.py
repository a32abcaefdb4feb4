"""The exporter under hostile names, in-process against the live mock in virtual time: one bad name
blinds no key (a lone surrogate, a key whose rendering fails), no duplicate series (a model named
``other``, hash prefixes shared), names on the page shortened and isolated, log lines kept whole."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections import Counter
from typing import Any

import pytest
from exporting import MANAGEMENT, ORDINARY, Clock, MakeExporter, Receiver, delivering, polled
from hypothesis import HealthCheck, given, settings
from prometheus_client.parser import text_string_to_metric_families

from hostile_names import LONG, NEWLINE_NAME, RTL_NAME, SURROGATE_NAME, TERMINAL_NAME, hostile_text
from openrouter_credits._api_key import ApiKey
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits._logging import EXPORTER_LOGGER, MAX_LOG_MESSAGE, RedactingFilter
from openrouter_credits.exporter import Exporter
from openrouter_credits.exporter._page import ListedKey, ModelSpend, Snapshot, render_page
from openrouter_credits.testing import MockServer, activity_row
from openrouter_credits.testing._listing import listed_key
from openrouter_credits_client.models.list_api_keys_response_200_data_item import ListApiKeysResponse200DataItem

#: What no log line, /healthz or terminal output may hold (an escape may say it: "\x1b").
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def samples(watcher: Exporter) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of /metrics (parsed as Prometheus does), with no key in the text."""
    status, body, _ = watcher.route("GET", "/metrics")
    assert status == 200
    text = body.decode()
    assert MANAGEMENT not in text
    assert ORDINARY not in text
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def value(found: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float | None:
    for sample_name, sample_labels, sample_value in found:
        if sample_name == name and sample_labels == labels:
            return sample_value
    return None


def key_of(**fields: Any) -> dict[str, Any]:
    """A listed key for ``set_keys``: ``name`` and ``hash`` given."""
    return fields


def discovering(**options: Any) -> KeySpec:
    return KeySpec("acct", MANAGEMENT, discover=True, **options)


def test_a_lone_surrogate_in_a_listed_or_model_name_blinds_no_key(mock: MockServer, exporter: MakeExporter) -> None:
    """A listed key named "bad\\ud800key" and a model so named (as JSON escapes, the way upstream
    writes them): /metrics, / and /healthz answer for every key, the names as U+FFFD."""
    mock.app.set_keys([key_of(hash="e" * 64, name=SURROGATE_NAME, limit=5.0, usage=1.0)])
    mock.app.set_activity([activity_row("2026-11-20", 1.5, model=SURROGATE_NAME)])

    async def scenario() -> Exporter:
        watcher = exporter(discovering(), KeySpec("team-b", ORDINARY))
        await watcher.poll("acct")
        await watcher.poll("team-b")
        await watcher.aclose()
        return watcher

    watcher = asyncio.run(scenario())
    found = samples(watcher)
    labels = {"key": "acct", "key_name": "bad\ufffdkey", "key_hash": "e" * 12}
    assert value(found, "openrouter_credits_account_key_limit_dollars", **labels) == 5.0
    assert value(found, "openrouter_credits_model_spend_dollars", key="acct", model="bad\ufffdkey", window="30d")
    assert value(found, "openrouter_credits_up", key="acct") == 1.0
    assert value(found, "openrouter_credits_up", key="team-b") == 1.0
    status, page, _ = watcher.route("GET", "/")
    assert status == 200
    assert "bad\ufffdkey" in page.decode()
    assert watcher.health()[0] == 200


def hostile_key(name: str) -> ApiKey:
    """A listed key named ``name`` as it is, as if it had come by a way that did not make it valid."""
    item = ListApiKeysResponse200DataItem.from_dict({**listed_key("x", hash="f" * 64, limit=2.0), "name": name})
    return ApiKey.from_generated(item)


def test_a_key_whose_rendering_fails_is_its_own_problem(
    mock: MockServer, exporter: MakeExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """A key whose series cannot be rendered (a name no rule made valid): logged once, up 0 and named
    by /healthz and the page; the other key exported, and /metrics follows its polls."""

    async def scenario() -> Exporter:
        watcher = exporter(discovering(), KeySpec("team-b", ORDINARY))
        await watcher.poll("acct")
        await watcher.poll("team-b")
        watcher.states["acct"].listed = [hostile_key(SURROGATE_NAME)]
        with caplog.at_level(logging.ERROR, logger=EXPORTER_LOGGER):
            watcher.render()
            mock.app.set_key(ORDINARY, usage=4.0)
            await watcher.poll("team-b")  # rendered again, logged no more
        await watcher.aclose()
        return watcher

    watcher = asyncio.run(scenario())
    found = samples(watcher)
    assert value(found, "openrouter_credits_up", key="acct") == 0.0
    assert value(found, "openrouter_credits_up", key="team-b") == 1.0
    assert value(found, "openrouter_credits_key_usage_dollars", key="team-b", period="all") == 4.0
    assert value(found, "openrouter_credits_remaining_dollars", key="acct") is None
    assert [r.getMessage() for r in caplog.records] == [
        "Key acct: its metrics could not be rendered; it shows as failing"
    ]
    status, text = watcher.health()
    assert (status, text) == (503, "failing: acct: its metrics could not be rendered (see the log)\n")
    page = watcher.route("GET", "/")[1].decode()
    assert re.search(r'<h2>acct<span class="state failing">failing</span></h2><p class="reason">its metrics', page)
    assert '<h2>team-b<span class="state ok">' in page


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=hostile_text, model=hostile_text)
def test_any_names_give_one_well_formed_exposition_and_page(
    mock: MockServer, exporter: MakeExporter, names: str, model: str
) -> None:
    """Whatever the listed keys and the models are named: /metrics parses, each name round-trips as
    valid text, no two series share their labels; the page shows every name shortened, isolated and
    without a control character."""
    keys = [key_of(hash=f"{n:064x}", name=names + str(n % 2), limit=1.0) for n in range(3)]
    mock.app.set_keys(keys)
    rows = [activity_row("2026-11-20", 1.0 + n, model=name) for n, name in enumerate((model, "other", "~other"))]
    mock.app.set_activity(rows)

    watcher = polled(exporter, discovering(top_models=2))
    found = samples(watcher)
    series = Counter((name, tuple(sorted(labels.items()))) for name, labels, _ in found)
    assert max(series.values()) == 1, [s for s, n in series.items() if n > 1]
    page = watcher.route("GET", "/")[1].decode()
    for cell in re.findall(r'<td class="name"><bdi(?: title="[^"]*")?>([^<]*)</bdi>', page):
        assert len(cell) <= 60 + 5 * 9  # 60 characters, some written as entities (&quot;)
        assert not CONTROLS.search(cell)


def test_a_model_named_other_and_shared_hash_prefixes(mock: MockServer, exporter: MakeExporter) -> None:
    """A real model named "other" beside the roll-up is "~other"; two keys of one name whose hashes
    share their first 12 digits get their whole hashes as key_hash (others keep 12)."""
    mock.app.set_keys(
        [
            key_of(hash="abcdef012345" + "1" * 52, name="twin", usage=1.0),
            key_of(hash="abcdef012345" + "2" * 52, name="twin", usage=2.0),
            key_of(hash="9" * 64, name="twin", usage=3.0),
        ]
    )
    mock.app.set_activity([activity_row("2026-11-20", u, model=m) for m, u in (("other", 3.0), ("a", 2.0), ("b", 1.0))])

    found = samples(polled(exporter, discovering(top_models=2)))
    models = {
        labels["model"]: v
        for name, labels, v in found
        if name.endswith("model_spend_dollars") and labels["window"] == "30d"
    }
    assert models == {"~other": 3.0, "a": 2.0, "other": 1.0}
    hashes = {
        labels["key_hash"]: v
        for name, labels, v in found
        if name == "openrouter_credits_account_key_usage_dollars" and labels["period"] == "total"
    }
    assert hashes == {"abcdef012345" + "1" * 52: 1.0, "abcdef012345" + "2" * 52: 2.0, "9" * 12: 3.0}


# --- the page ------------------------------------------------------------------------------------


def test_long_and_right_to_left_names_on_the_page() -> None:
    """A 10 KB name is 60 characters with an ellipsis, the whole name in its title; a right-to-left
    override is isolated (<bdi>) and shown as an escape, so it reverses nothing."""
    import datetime as dt

    listed = (
        ("acct", ListedKey(LONG, usage=1.0, limit=2.0, limit_remaining=1.0)),
        ("acct", ListedKey(RTL_NAME, usage=1.0, limit=2.0, limit_remaining=1.5)),
        ("acct", ListedKey(TERMINAL_NAME, usage=1.0, limit=2.0, limit_remaining=1.9)),
    )
    models = (("acct", ModelSpend(LONG, "30d", 1.0)),)
    page = render_page(Snapshot(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), (), listed, models)).decode()
    assert f'<bdi title="{LONG}">{"x" * 59}…</bdi>' in page
    assert page.count(LONG) == 2  # the titles only
    assert "<bdi>invoice-\\u202efdp.exe</bdi>" in page
    assert "<bdi>red\\x1b[31mbell\\x07nul\\x00end</bdi>" in page
    assert not CONTROLS.search(page)


# --- log lines -----------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(name=hostile_text)
def test_a_log_record_is_one_bounded_line(name: str) -> None:
    """Whatever a name holds, a record through the handler's filter is one line, without a control
    character, and no longer than MAX_LOG_MESSAGE (plus the format's own few characters)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"{EXPORTER_LOGGER}.hostile")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("Alert sent to a channel: %s (%s)", name, name)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert written.endswith("\n")
    assert written.count("\n") == 1
    assert not CONTROLS.search(written)
    assert len(written) <= MAX_LOG_MESSAGE + len("WARNING \n")


def test_listed_names_reach_the_log_escaped_and_short(
    mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock
) -> None:
    """A listed key named with newlines, ESC, BEL and NUL, and one of 10 KB, crossing
    key_below_fraction: every line the exporter logs about them is one line, without control
    characters and bounded."""
    mock.app.set_keys(
        [
            key_of(hash="1" * 64, name=NEWLINE_NAME + TERMINAL_NAME, limit=10.0, usage=9.9),
            key_of(hash="2" * 64, name=LONG, limit=10.0, usage=9.9),
        ]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(EXPORTER_LOGGER)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)

    async def scenario() -> None:
        watcher = exporter(discovering(key_below_fraction=0.5), notify_url=receiver)
        async with delivering(watcher):
            await watcher.poll("acct")
        await watcher.aclose()

    try:
        asyncio.run(scenario())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    (post,) = Receiver.posts  # the two keys crossed together: one notification, naming both cleaned
    assert "line1 line2 line3" in post["text"], post
    assert not CONTROLS.search(post["text"]), post
    lines = stream.getvalue().splitlines()
    assert lines
    for line in lines:
        assert not CONTROLS.search(line)
        assert len(line) <= MAX_LOG_MESSAGE
