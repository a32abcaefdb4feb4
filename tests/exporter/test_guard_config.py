"""[guard.NAME] tables: read with their defaults (a dry run), and every mistake refused with a sentence
naming the file's table and the setting, at start and at SIGHUP (which keeps the guards as they were)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from exporting import MANAGEMENT, MakeExporter, write_config

from openrouter_credits._apps.config_file import load_config
from openrouter_credits._apps.guard_config import GuardSpec, key_label_of
from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits.exporter._reload import Reloader

ACCOUNT = '[keys.account]\napi_key_env = "GUARD_KEY"\ndiscover = true\n\n'
ENV = {"GUARD_KEY": MANAGEMENT}


def loaded(tmp_path: Path, guard: str, account: str = ACCOUNT) -> tuple[GuardSpec, ...]:
    return load_config(str(write_config(tmp_path, account + guard)), ENV).guards


def test_defaults_and_settings(tmp_path: Path) -> None:
    """A guard is a dry run unless told, restores at the reset, and makes at most 5 attempts an hour."""
    [spec] = loaded(tmp_path, '[guard.runaway-ci]\nkeys = ["ci-*", "agent-*"]\nwhen = "spike"\nfactor = 5\n')
    assert spec == GuardSpec("runaway-ci", ("ci-*", "agent-*"), (), "spike", 5.0)
    assert (spec.dry_run, spec.restore, spec.action, spec.max_actions_per_hour) == (True, "at_reset", "disable", 5)
    assert spec.rule() == "spending today over 5x its 7-day pace: disable, undone at the window's reset"
    [limit] = loaded(
        tmp_path,
        '[guard.cap]\nworkspaces = ["Research"]\nwhen = "over"\namount = 30\naction = "limit"\nrestore = "never"\n'
        "dry_run = false\nmax_actions_per_hour = 2\n",
    )
    assert (limit.amount, limit.action, limit.restore, limit.dry_run, limit.mode) == (
        30.0,
        "limit",
        "never",
        False,
        "acting",
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('when = "spike"\nfactor = 5\n', "[guard.g]: names no keys: give keys = [...] (name globs or hash prefixes)"),
        ('keys = []\nworkspaces = []\nwhen = "spike"\nfactor = 5\n', "[guard.g]: names no keys"),
        ('keys = ["ci-*"]\nwhen = "sometimes"\n', '[guard.g]: when = "sometimes" is not one of spike, will_exhaust,'),
        ('keys = ["ci-*"]\n', "[guard.g]: when = None is not one of spike, will_exhaust, over, below_fraction."),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 5\naction = "delete"\n', '[guard.g]: action = "delete" is not one'),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 1\n', "[guard.g]: factor must be a multiple above 1 (such as 5)"),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 0.5\n', "[guard.g]: factor must be a multiple above 1"),
        ('keys = ["ci-*"]\nwhen = "spike"\n', '[guard.g]: when = "spike" needs factor'),
        ('keys = ["ci-*"]\nwhen = "over"\n', '[guard.g]: when = "over" needs amount (the dollars a key may use'),
        (
            'keys = ["ci-*"]\nwhen = "over"\namount = 5\nfactor = 3\n',
            '[guard.g]: factor is a setting of when = "spike"',
        ),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 5\nrestore = "later"\n', '[guard.g]: restore = "later" is not one'),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 5\ndry_run = "no"\n', "[guard.g]: dry_run must be true or false"),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 5\nmax_actions_per_hour = 0\n', "max_actions_per_hour must be a"),
        ('keys = ["ci-*"]\nwhen = "spike"\nfactor = 5\ncolour = "red"\n', "[guard.g]: unknown setting 'colour'"),
        ('keys = "ci-*"\nwhen = "spike"\nfactor = 5\n', "[guard.g]: keys must be a list of strings, such as keys"),
        ('keys = ["ci-[0-9"]\nwhen = "spike"\nfactor = 5\n', "[guard.g]: keys: 'ci-[0-9' is not a glob: a '[' opens"),
        ('keys = ["*"]\nwhen = "spike"\nfactor = 5\n', "[guard.g]: keys names '*', which matches [keys.account], the"),
        ('keys = ["acc*"]\nwhen = "spike"\nfactor = 5\n', "which matches [keys.account], the key that polls"),
    ],
)
def test_mistakes_are_refused_naming_the_table_and_setting(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        loaded(tmp_path, "[guard.g]\n" + table)
    assert f"--config {tmp_path / 'keys.toml'}: " in str(info.value)
    assert message in str(info.value)


def test_a_glob_of_the_polling_keys_label_or_hash_is_refused(tmp_path: Path) -> None:
    """The polling key's label (as OpenRouter writes it) and hash are matched too, as a team's keys."""
    import hashlib

    label = key_label_of(MANAGEMENT)
    assert label == "sk-or-v1-exp...1f2e"
    for pattern in (label, hashlib.sha256(MANAGEMENT.encode()).hexdigest()[:10]):
        with pytest.raises(ConfigurationError, match=r"matches \[keys\.account\], the key that polls"):
            loaded(tmp_path, f'[guard.g]\nkeys = ["{pattern}"]\nwhen = "spike"\nfactor = 5\n')


def test_a_guard_needs_a_discovering_key(tmp_path: Path) -> None:
    account = '[keys.account]\napi_key_env = "GUARD_KEY"\n\n'
    with pytest.raises(ConfigurationError, match="no key of the file discovers: add discover = true"):
        loaded(tmp_path, '[guard.g]\nkeys = ["ci-*"]\nwhen = "spike"\nfactor = 5\n', account)


def test_sighup_keeps_the_guards_when_the_file_is_wrong(tmp_path: Path, exporter: MakeExporter) -> None:
    """A reload with a bad guard keeps the guards as they were; a good one replaces them."""
    good = ACCOUNT + '[guard.g]\nkeys = ["ci-*"]\nwhen = "spike"\nfactor = 5\n'
    path = write_config(tmp_path, good)
    config = load_config(str(path), ENV)
    watcher = exporter(*config.keys, guards=config.guards)

    async def scenario() -> list[str]:
        reloader = Reloader(
            watcher, str(path), load=lambda name: load_config(name, ENV), channels_of=lambda c: {}, started=config
        )
        path.write_text(good.replace("factor = 5", "factor = 1"))
        await reloader.reload_once()
        kept = [spec.factor for spec in watcher.guards.specs.values()]
        path.write_text(good.replace("factor = 5", "factor = 8"))
        await reloader.reload_once()
        await watcher.aclose()
        return [*kept, *(spec.factor for spec in watcher.guards.specs.values())]

    assert asyncio.run(scenario()) == [5.0, 8.0]
