"""A discovering key (``discover = true``) in the exporter, in virtual time against the live mock: every
listed key's series without a secret, spend per model, /keys at most once a minute and after its 429,
/keys failing alone, max_keys, and the listed keys' alerts once per crossing and recovery."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from exporting import MANAGEMENT, Clock, MakeExporter, Receiver, delivering, families, polled, samples

from openrouter_credits._apps.config_file import KeySpec, load_config
from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits._logging import EXPORTER_LOGGER
from openrouter_credits.testing import MockServer, activity_row

KEYS: list[dict[str, Any]] = [
    {"name": "alpha", "hash": "a" * 64, "limit": 100.0, "limit_reset": None, "usage": 50.0, "usage_monthly": 9.0},
    {"name": "beta", "hash": "b" * 64, "limit": 10.0, "limit_reset": None, "usage": 9.5, "usage_monthly": 3.0},
    {"name": "gamma", "hash": "c" * 64, "disabled": True, "usage_monthly": 1.0},
]


def keys_requests(mock: MockServer) -> int:
    return sum(path == "/api/v1/keys" for _, path, _ in mock.app.requests)


def spec(**options: Any) -> KeySpec:
    return KeySpec("acct", MANAGEMENT, discover=True, **options)


def test_listed_keys_exported(mock: MockServer, exporter: MakeExporter) -> None:
    """Each listed key by name and short hash, disabled ones included; the polled key's own families
    untouched; spend per model for the top N and other."""
    mock.app.set_keys(KEYS)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)  # the client keeps the real clock
    mock.app.set_activity([activity_row(yesterday, u, model=m) for m, u in (("a/x", 3.0), ("b/y", 2.0), ("c/z", 1.0))])

    found = families(polled(exporter, spec(top_models=2)))
    usage = samples(found, "openrouter_credits_account_key_usage_dollars")
    assert usage[(("key", "acct"), ("key_hash", "aaaaaaaaaaaa"), ("key_name", "alpha"), ("period", "total"))] == 50.0
    assert len(usage) == 12
    limits = samples(found, "openrouter_credits_account_key_limit_remaining_dollars")
    assert limits == {
        (("key", "acct"), ("key_hash", "aaaaaaaaaaaa"), ("key_name", "alpha")): 50.0,
        (("key", "acct"), ("key_hash", "bbbbbbbbbbbb"), ("key_name", "beta")): 0.5,
    }
    disabled = samples(found, "openrouter_credits_account_key_disabled")
    assert sorted(disabled.values()) == [0.0, 0.0, 1.0]
    models = samples(found, "openrouter_credits_model_spend_dollars")
    assert models == {
        (("key", "acct"), ("model", "a/x"), ("window", "30d")): 3.0,
        (("key", "acct"), ("model", "a/x"), ("window", "7d")): 3.0,
        (("key", "acct"), ("model", "b/y"), ("window", "30d")): 2.0,
        (("key", "acct"), ("model", "b/y"), ("window", "7d")): 2.0,
        (("key", "acct"), ("model", "other"), ("window", "30d")): 1.0,
        (("key", "acct"), ("model", "other"), ("window", "7d")): 1.0,
    }
    assert samples(found, "openrouter_credits_up") == {(("key", "acct"),): 1.0}


def test_keys_failing_alone(mock: MockServer, exporter: MakeExporter, clock: Clock) -> None:
    """/keys failing: the account's series stay, the listed keys' series go, the error is counted; the
    poll is incomplete: up 0, call_up names /keys."""
    mock.app.set_keys(KEYS)

    async def scenario() -> dict[str, Any]:
        watcher = exporter(spec())
        await watcher.poll("acct")
        clock.now += 60
        mock.app.fail_next(1, status=500, endpoint="keys")
        await watcher.poll("acct")
        await watcher.aclose()
        return families(watcher)

    found = asyncio.run(scenario())
    assert samples(found, "openrouter_credits_up") == {(("key", "acct"),): 0.0}
    assert samples(found, "openrouter_credits_call_up") == {
        (("call", "credits"), ("key", "acct")): 1.0,
        (("call", "key"), ("key", "acct")): 1.0,
        (("call", "activity"), ("key", "acct")): 1.0,
        (("call", "keys"), ("key", "acct")): 0.0,
    }
    assert samples(found, "openrouter_credits_remaining_dollars") == {(("key", "acct"),): 17.5}
    assert samples(found, "openrouter_credits_account_key_usage_dollars") == {}
    errors = samples(found, "openrouter_credits_poll_errors_total")
    assert errors[(("key", "acct"), ("kind", "server"))] == 1.0


def test_keys_at_most_once_a_minute_and_after_a_429(mock: MockServer, exporter: MakeExporter, clock: Clock) -> None:
    """Polls every 10 s ask /keys once a minute; a 429 asking 180 s keeps it away that long."""
    mock.app.set_keys(KEYS)

    async def scenario() -> list[int]:
        watcher = exporter(spec(), interval=10.0)
        seen = []
        for _ in range(7):  # 0, 10, ..., 60 s
            await watcher.poll("acct")
            seen.append(keys_requests(mock))
            clock.now += 10
        mock.app.fail_next(1, status=429, retry_after=180, endpoint="keys")
        clock.now += 50  # 120 s: due
        await watcher.poll("acct")
        seen.append(keys_requests(mock))
        for step in (60, 60, 60):  # 180, 240 (before 120 + 180), 300: due again
            clock.now += step
            await watcher.poll("acct")
            seen.append(keys_requests(mock))
        await watcher.aclose()
        return seen

    assert asyncio.run(scenario()) == [1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 4]


def test_a_huge_retry_after_on_keys_holds_the_listing_back_15_minutes_and_says_so(
    mock: MockServer, exporter: MakeExporter, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Retry-After: 99999999999 on /keys: the listing is asked again after 15 minutes (the balance's
    cap), the log says once that it is held back, /healthz says so meanwhile, and the log and
    /healthz say when it answers again."""
    mock.app.set_keys(KEYS)

    async def scenario() -> list[tuple[int, int, str]]:
        watcher = exporter(spec())
        seen = []
        mock.app.fail_next(1, status=429, retry_after=99999999999, endpoint="keys")
        for step in (0, 60, 840, 60):  # 0 s (the 429), 60 s, 900 s (asked again), 960 s (a minute on)
            clock.now += step
            await watcher.poll("acct")
            status, text = watcher.health()
            seen.append((keys_requests(mock), status, text))
        await watcher.aclose()
        return seen

    with caplog.at_level(logging.INFO, logger=EXPORTER_LOGGER):
        seen = asyncio.run(scenario())
    assert [(asked, status) for asked, status, _ in seen] == [(1, 503), (1, 503), (2, 200), (3, 200)]
    assert "GET /keys failed (rate_limit: OpenRouter is rate limiting this key" in seen[0][2]
    assert "the account's listed keys unknown; not asked again for 900 s" in seen[0][2]
    logged = [r.getMessage() for r in caplog.records]
    assert "Key acct: the listing is held back for 900 s (a 429 on GET /keys)" in logged
    assert logged.count("Key acct: GET /keys answers again") == 1


def test_max_keys(mock: MockServer, caplog: pytest.LogCaptureFixture, exporter: MakeExporter, clock: Clock) -> None:
    """Beyond max_keys: the most spent this month, one key_name="other" with the rest summed, a
    warning once."""
    mock.app.set_keys([{"name": f"k{i}", "usage_monthly": float(i), "usage": float(i)} for i in range(1, 6)])

    async def scenario() -> dict[str, Any]:
        watcher = exporter(spec(max_keys=2))
        with caplog.at_level(logging.WARNING, logger=EXPORTER_LOGGER):
            await watcher.poll("acct")
            clock.now += 60
            await watcher.poll("acct")
        await watcher.aclose()
        return families(watcher)

    found = asyncio.run(scenario())
    monthly = {
        dict(labels)["key_name"]: value
        for labels, value in samples(found, "openrouter_credits_account_key_usage_dollars").items()
        if dict(labels)["period"] == "month"
    }
    assert monthly == {"k5": 5.0, "k4": 4.0, "other": 6.0}
    warnings = [r.getMessage() for r in caplog.records if "max_keys" in r.getMessage()]
    assert len(warnings) == 1
    assert "5 keys, more than max_keys = 2" in warnings[0]


def test_listed_key_alerts(mock: MockServer, receiver: str, exporter: MakeExporter, clock: Clock) -> None:
    """key_below_fraction and key_will_exhaust: once on crossing, once on recovery, by the listed key's
    name, the two in one alert when they cross together; nothing again while the state holds."""
    # beta: $0.50 of $10 left (under 10 %); $14 in the last week is $2 a day: gone within 7 days.
    mock.app.set_keys([{**KEYS[1], "usage_weekly": 14.0}])

    async def scenario() -> None:
        watcher = exporter(spec(key_below_fraction=0.1, key_will_exhaust=True), notify_url=receiver)
        async with delivering(watcher):
            await watcher.poll("acct")
            clock.now += 60
            await watcher.poll("acct")
            assert await watcher.deliverer.drain(5)  # else the recovery would replace it, still waiting
            mock.app.set_keys([{**KEYS[1], "usage": 1.0, "usage_weekly": 0.0}])
            clock.now += 60
            await watcher.poll("acct")
        await watcher.aclose()

    asyncio.run(scenario())
    texts = [post["text"] for post in Receiver.posts]
    assert texts == [
        "OpenRouter key beta (listed by acct) has $0.50 of its $10.00 limit left (under 10 %) and is bound to "
        "reach it at 2027-01-15 14:00 UTC at its pace; it never resets.",
        "OpenRouter key beta (listed by acct) has $9.00 of its $10.00 limit left again (10 % or more) and is no "
        "longer on course to reach it within 7 days.",
    ]
    assert all(MANAGEMENT not in text for text in texts)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("top_models = 3", "top_models is a setting of discover = true"),
        ("discover = 1", "discover must be true or false"),
        ("discover = true\nmax_keys = 0", "max_keys must be a whole number, 1 or more"),
        ("discover = true\nkey_below_fraction = 1.5", "key_below_fraction must be a fraction above 0"),
        ("discover = true\nkey_will_exhaust = 'yes'", "key_will_exhaust must be true or false"),
    ],
)
def test_settings_checked(tmp_path: Path, settings: str, message: str) -> None:
    """The discovery settings are checked like the others, naming the key."""
    path = tmp_path / "keys.toml"
    path.write_text(f'[keys.acct]\napi_key_env = "K"\n{settings}\n')
    with pytest.raises(ConfigurationError, match=message):
        load_config(str(path), {"K": MANAGEMENT})


def test_settings_read(tmp_path: Path) -> None:
    """discover and its settings, defaults where not given."""
    path = tmp_path / "keys.toml"
    path.write_text('[keys.acct]\napi_key_env = "K"\ndiscover = true\nkey_below_fraction = 0.2\n')
    (read,) = load_config(str(path), {"K": MANAGEMENT}).keys
    assert (read.discover, read.top_models, read.max_keys, read.key_below_fraction, read.key_will_exhaust) == (
        True,
        10,
        500,
        0.2,
        False,
    )


def test_every_workspace_and_a_refusal(
    mock: MockServer, caplog: pytest.LogCaptureFixture, exporter: MakeExporter, clock: Clock
) -> None:
    """A discovering key exports every workspace's keys; when GET /workspaces is refused, the default
    workspace's, with one log line saying so (not one per poll), a note on the page, and one line when
    every workspace is listed again."""
    mock.app.set_keys(KEYS[:2])
    mock.app.add_workspace("Research", keys=2)
    caplog.set_level(logging.INFO, logger=EXPORTER_LOGGER)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], str]:
        watcher = exporter(spec())
        await watcher.poll("acct")
        every = families(watcher)
        mock.app.set_refuse_workspaces(403)
        for _ in range(3):
            clock.now += 61
            await watcher.poll("acct")
        default = families(watcher)
        page = watcher.route("GET", "/")[1].decode()
        mock.app.set_refuse_workspaces(None)
        clock.now += 61
        await watcher.poll("acct")
        await watcher.aclose()
        return every, default, page

    every, default, page = asyncio.run(scenario())
    names = {dict(labels)["key_name"] for labels in samples(every, "openrouter_credits_account_key_disabled")}
    assert names == {"alpha", "beta", "research-000", "research-001"}
    names = {dict(labels)["key_name"] for labels in samples(default, "openrouter_credits_account_key_disabled")}
    assert names == {"alpha", "beta"}
    note = "GET /workspaces was refused (HTTP 403: Workspaces are not available for this account)"
    assert "The keys acct lists are only the default workspace" in page, page[-600:]
    assert "(HTTP 403: Workspaces are not available for this account)" in page
    lines = [r.getMessage() for r in caplog.records if "workspace" in r.getMessage()]
    assert lines == [
        f"Key acct: only the default workspace's keys are listed and exported ({note})",
        "Key acct: every workspace's keys are listed again",
    ]
