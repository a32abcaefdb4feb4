"""Reloading --config (SIGHUP) in-process against the live mock: overlapping reloads leave one polling
task per key, SIGHUPs coalesce and the file is read off the event loop, a key routed to a new
[notify.NAME] gets its alerts; and the file itself: not UTF-8, a device, a FIFO, too large."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from exporting import COMMAND, MANAGEMENT, ORDINARY, MakeExporter, Receiver, write_config

from openrouter_credits._apps.config_file import ConfigFile, KeySpec, load_config
from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits.exporter import Exporter
from openrouter_credits.exporter._notify_tables import channel_from_table
from openrouter_credits.exporter._reload import Reloader


async def serving(watcher: Exporter, scenario: Callable[[], Awaitable[None]]) -> None:
    """``scenario`` while ``watcher`` runs (its HTTP side on a free loopback port, its polls, delivery)."""
    ready = asyncio.Event()
    running = asyncio.create_task(watcher.run("127.0.0.1", 0, lambda host, port: ready.set()))
    await asyncio.wait_for(ready.wait(), 10)
    try:
        await scenario()
    finally:
        watcher.stop()
        await asyncio.wait_for(running, 10)


def polling_tasks() -> list[str]:
    return sorted(t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("poll ") and not t.done())


def test_overlapping_reloads_leave_one_polling_task_per_key(exporter: MakeExporter) -> None:
    """20 reloads at once, between two files (a key's settings changed, a key added and removed):
    none raises, and each key of the last file has exactly one polling task."""
    first = [KeySpec("a", MANAGEMENT, below=1.0), KeySpec("b", ORDINARY)]
    second = [KeySpec("a", MANAGEMENT, below=2.0), KeySpec("b", ORDINARY), KeySpec("c", MANAGEMENT)]
    watcher = exporter(*first, interval=60.0)
    outcomes: list[Any] = []

    async def scenario() -> None:
        reloads = [watcher.reload(second if n % 2 else first) for n in range(20)]
        outcomes.extend(await asyncio.gather(*reloads, return_exceptions=True))
        assert polling_tasks() == ["poll a", "poll b", "poll c"]
        assert list(watcher.states) == ["a", "b", "c"]

    asyncio.run(serving(watcher, scenario))
    assert [outcome for outcome in outcomes if outcome is not None] == []


def config_text(route: str, tables: str) -> str:
    return f'[keys.a]\napi_key_env = "RELOAD_KEY"\nbelow = 20.0\nnotify = ["{route}"]\n\n{tables}'


HOOK = '[notify.{name}]\nkind = "webhook"\nwebhook_url_env = "HOOK_{upper}"\n'


def reloader_of(
    watcher: Exporter, path: Path, environ: dict[str, str], loads: list[int], gate: threading.Event | None = None
) -> Reloader:
    """A Reloader of ``path``; each load's thread in ``loads``; each load waits for ``gate`` (if given)."""

    def load(name: str) -> ConfigFile:
        loads.append(threading.get_ident())
        if gate is not None:
            gate.wait(10)
        return load_config(name, environ)

    def channels_of(config: ConfigFile) -> dict[str, Any]:
        return {
            name: channel_from_table(name, table, f"[notify.{name}]", config.base_dir, environ)
            for name, table in config.notify.items()
        }

    return Reloader(watcher, str(path), load=load, channels_of=channels_of, started=load_config(str(path), environ))


def test_sighups_coalesce_and_the_file_is_read_off_the_loop(exporter: MakeExporter, tmp_path: Path) -> None:
    """100 requests while a reload runs make one more reload, not 99; the file is read in a thread;
    a request after that reloads again."""
    environ = {"RELOAD_KEY": MANAGEMENT, "HOOK_A": "http://127.0.0.1:9/a"}
    path = write_config(tmp_path, config_text("a", HOOK.format(name="a", upper="A")))
    config = load_config(str(path), environ)
    hook = channel_from_table("a", config.notify["a"], "[notify.a]", config.base_dir, environ)
    watcher = exporter(*config.keys, channels={"a": hook}, interval=60.0)
    loads: list[int] = []
    gate = threading.Event()
    reloader = reloader_of(watcher, path, environ, loads, gate)

    async def scenario() -> None:
        reloader.request()
        for _ in range(500):  # bounded: until the first reload is reading the file
            if loads:
                break
            await asyncio.sleep(0.01)
        for _ in range(100):  # SIGHUPs while it reads
            reloader.request()
            await asyncio.sleep(0)
        gate.set()
        await reloader.idle()
        assert reloader.done == 2
        reloader.request()
        await reloader.idle()
        assert polling_tasks() == ["poll a"]

    loop_thread = threading.get_ident()
    asyncio.run(serving(watcher, scenario))
    assert reloader.done == len(loads) == 3
    assert loop_thread not in loads


def test_a_reload_that_routes_a_key_to_a_new_channel_delivers_there(
    mock: Any, exporter: MakeExporter, receiver: str, tmp_path: Path
) -> None:
    """A key moved from [notify.a] (a receiver that is not there) to a new [notify.b]: the reload
    starts b's delivery, and the key's alert reaches b."""
    environ = {"RELOAD_KEY": MANAGEMENT, "HOOK_A": "http://127.0.0.1:9/nothing-listens", "HOOK_B": receiver}
    path = write_config(tmp_path, config_text("a", HOOK.format(name="a", upper="A")))
    started = load_config(str(path), environ)
    watcher = exporter(*started.keys, interval=3600.0, channels=reloader_of_channels(started, environ))
    reloader = reloader_of(watcher, path, environ, [])

    async def scenario() -> None:
        path.write_text(config_text("b", HOOK.format(name="a", upper="A") + HOOK.format(name="b", upper="B")))
        reloader.request()
        await reloader.idle()
        assert sorted(watcher.channels) == ["a", "b"]
        await watcher.poll("a")  # $17.50 spendable, under 20: an alert for b
        for _ in range(100):  # bounded: the worker posts within a few event-loop turns
            if Receiver.posts:
                break
            await asyncio.sleep(0.05)

    asyncio.run(serving(watcher, scenario))
    assert Receiver.posts == [{"text": "OpenRouter key a may spend $17.50, below its threshold of $20.00."}]


def reloader_of_channels(config: ConfigFile, environ: dict[str, str]) -> dict[str, Any]:
    return {
        name: channel_from_table(name, table, f"[notify.{name}]", config.base_dir, environ)
        for name, table in config.notify.items()
    }


# --- the file -------------------------------------------------------------------------------------


def test_a_config_that_is_not_utf8_exits_2_with_one_line(tmp_path: Path) -> None:
    """serve (a real process): exit 2, one line naming the file and the line, no traceback."""
    config = tmp_path / "keys.toml"
    config.write_bytes(b'[keys.a]\napi_key_env = "A"\n# caf\xe9\n')
    result = subprocess.run(
        [COMMAND, "serve", "--config", str(config), "--listen", "127.0.0.1:0"],
        env={**os.environ, "A": "sk-or-v1-reload-a-1234"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == f"error: --config {config}: not UTF-8 text (line 3): save it as UTF-8 (TOML files are UTF-8).\n"
    )


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_a_config_that_is_no_file_is_refused_unread(tmp_path: Path, kind: str) -> None:
    """A link to /dev/zero, a FIFO with no writer, a folder: refused at once, nothing read."""
    path = tmp_path / "keys.toml"
    if kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(ConfigurationError, match=r"not a regular file \(a folder, a device or a pipe\)"):
        load_config(str(path), {})


def test_a_config_larger_than_1_mib_is_refused(tmp_path: Path) -> None:
    """Valid TOML, but 2 MiB of it: refused (no file of keys is so large; a wrong file probably is)."""
    path = write_config(tmp_path, '[keys.a]\napi_key_env = "A"\n' + "# padding\n" * 200_000)
    with pytest.raises(ConfigurationError, match="larger than 1024 KiB"):
        load_config(str(path), {"A": MANAGEMENT})
