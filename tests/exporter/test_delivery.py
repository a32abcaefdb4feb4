"""The state directory: created at start, locked against a second exporter, JSON kept atomically and
corrupt files moved aside."""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openrouter_credits._exceptions import ConfigurationError
from openrouter_credits.exporter._statedir import StateDir

#: 2026-11-30 12:00:00 UTC, for the names of files moved aside.
NOW = 1_796_040_000.0


# --- the state directory ---------------------------------------------------------------------------


def test_state_dir_is_created_and_locked(tmp_path: Path) -> None:
    """The folder is created (mode 700) and locked; a second StateDir on it is refused naming this pid;
    once the first is closed, another may take it."""
    path = tmp_path / "a" / "state"
    first = StateDir(path)
    assert path.is_dir()
    assert path.stat().st_mode & 0o777 == 0o700
    assert (path / "lock").read_text() == f"{os.getpid()}\n"
    with pytest.raises(ConfigurationError) as caught:
        StateDir(path)
    assert str(caught.value) == (
        f"--state-dir {path} is in use by another openrouter-credits serve (pid {os.getpid()}); "
        "give each exporter its own --state-dir."
    )
    first.close()
    with StateDir(path) as second:
        assert repr(second) == f"StateDir({str(path)!r}, locked=True)"


HOLDER = """
import sys
from pathlib import Path
from openrouter_credits.exporter._statedir import StateDir
state = StateDir(Path(sys.argv[1]))
print("locked", flush=True)
sys.stdin.read()
"""


def test_state_dir_held_by_another_process(tmp_path: Path) -> None:
    """A StateDir held by another process is refused with that process's pid; a kill -9 of it frees the
    folder (the lock goes with the process)."""
    path = tmp_path / "state"
    command = [sys.executable, "-c", HOLDER, str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None
            ready, _, _ = select.select([holder.stdout], [], [], 10)
            assert ready
            assert holder.stdout.readline() == "locked\n"
            with pytest.raises(ConfigurationError) as caught:
                StateDir(path)
            assert str(caught.value) == (
                f"--state-dir {path} is in use by another openrouter-credits serve (pid {holder.pid}); "
                "give each exporter its own --state-dir."
            )
        finally:
            holder.kill()
    StateDir(path).close()


def test_state_dir_that_cannot_be_created(tmp_path: Path) -> None:
    """A path that is a file, a parent that is a file, or a parent that cannot be made: each a
    ConfigurationError naming --state-dir and the path, before anything runs."""
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError) as caught:
        StateDir(tmp_path / "file")
    assert str(caught.value) == (
        f"--state-dir {tmp_path}/file is a file, not a folder: name a folder (it is created if missing)."
    )
    with pytest.raises(ConfigurationError) as caught:
        StateDir(tmp_path / "file" / "state")
    assert str(caught.value) == (
        f"--state-dir {tmp_path}/file/state cannot be created: Not a directory; name a folder this user may write."
    )
    if Path("/proc/self").is_dir():  # /proc takes no new folders, even from root
        with pytest.raises(ConfigurationError) as caught:
            StateDir(Path("/proc/openrouter-credits-test/state"))
        assert str(caught.value).startswith("--state-dir /proc/openrouter-credits-test/state cannot be created: ")


def is_counts(value: Any) -> bool:
    return all(isinstance(count, int) for count in value.values())


def test_state_files_are_written_atomically_and_corrupt_ones_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """write_json leaves the new file alone (mode 600, no temporary file); load_json moves aside a file of
    bad JSON, of a value that is not an object, or that the validator refuses, and returns None."""
    with StateDir(tmp_path, clock=lambda: NOW) as state:
        assert state.load_json("alerts.json") is None  # absent
        state.write_json("alerts.json", {"team-a": 1})
        assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.json", "lock"]
        assert (tmp_path / "alerts.json").stat().st_mode & 0o777 == 0o600
        assert state.load_json("alerts.json", is_counts) == {"team-a": 1}
        for number, content in enumerate(["{bad json", "[1, 2]", '{"team-a": "one"}'], start=1):
            (tmp_path / "alerts.json").write_text(content)
            assert state.load_json("alerts.json", is_counts) is None
            suffix = "" if number == 1 else f"-{number}"
            assert (tmp_path / f"alerts.json.corrupt-20261130T120000Z{suffix}").read_text() == content
        assert not (tmp_path / "alerts.json").exists()
    first, *others = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert first.startswith(f"{tmp_path}/alerts.json was not valid JSON (Expecting property name")
    assert first.endswith(": moved aside to alerts.json.corrupt-20261130T120000Z; starting without it")
    assert others == [
        f"{tmp_path}/alerts.json was not of the expected shape: moved aside to alerts.json.corrupt-20261130T120000Z-2; "
        "starting without it",
        f"{tmp_path}/alerts.json was not of the expected shape: moved aside to alerts.json.corrupt-20261130T120000Z-3; "
        "starting without it",
    ]
