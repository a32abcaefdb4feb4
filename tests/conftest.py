"""Fixtures every test folder shares: the client mode, and the live mock reset around each test.

Helpers to import (the key, handlers, the harness) are in ``helpers``."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from openrouter_credits._plan import WORKER_THREAD_PREFIX
from openrouter_credits.testing import MockServer

# Tests write nothing into the checkout: no hypothesis example database, and its other caches in the
# system's temporary folder (the pytest cache is off in pyproject.toml; tests' own files go under
# tmp_path). Those caches are the tables of which characters each codec encodes, which hypothesis
# takes a second or more of CPU to work out: kept between runs and shared by the xdist workers (it
# writes each whole, by a rename), each process would otherwise work them out again.
settings.register_profile("project", database=None)
settings.load_profile("project")


def _hypothesis_home() -> str:
    """This user's folder for hypothesis's caches; a fresh one (removed at exit) where that is not ours."""
    shared = Path(tempfile.gettempdir()) / f"openrouter-credits-hypothesis-{os.getuid()}"
    with contextlib.suppress(OSError):
        shared.mkdir(mode=0o700, exist_ok=True)
        if not shared.is_symlink() and shared.stat().st_uid == os.getuid():
            return str(shared)
    fresh = tempfile.mkdtemp(prefix="openrouter-credits-hypothesis-")
    atexit.register(shutil.rmtree, fresh, True)
    return fresh


set_hypothesis_home_dir(_hypothesis_home())


def _bytecode_outside_the_checkout() -> None:
    """Where the environment turns bytecode off (PYTHONDONTWRITEBYTECODE, as container images often
    do), every interpreter the tests start (each xdist worker, each run of the command, each script)
    compiles every module it imports from source, and each worker rewrites and compiles the ~250
    modules of pytest's plugins: a fifth of the suite's CPU. Bytecode goes to a cache of this user's
    in the system's temporary folder instead (PYTHONPYCACHEPREFIX, for the interpreters started from
    here on: the xdist workers start after this file is read), never into the checkout or a venv."""
    if not (sys.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE")) or sys.pycache_prefix:
        return
    prefix = Path(tempfile.gettempdir()) / f"openrouter-credits-bytecode-{os.getuid()}"
    try:
        prefix.mkdir(mode=0o700, exist_ok=True)
        if prefix.is_symlink() or prefix.stat().st_uid != os.getuid():
            return
    except OSError:
        return
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.pycache_prefix = str(prefix)
    sys.dont_write_bytecode = False


_bytecode_outside_the_checkout()


@pytest.fixture(autouse=True)
def _calls_left_running() -> Iterator[None]:
    """After each test, the calls it left running (the view's listing, not waited for when the key
    turns out not to be a management key) end before the next test starts, as the command's process
    would have ended them: their requests never reach another test's mock. Bounded."""
    yield
    deadline = time.monotonic() + 10
    for thread in threading.enumerate():
        if thread.name.startswith(WORKER_THREAD_PREFIX):
            thread.join(max(deadline - time.monotonic(), 0))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Each client test runs against CreditsClient and AsyncCreditsClient alike."""
    return str(request.param)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock(server: MockServer) -> Iterator[MockServer]:
    """The module's live ``server``, with faults, latency and balance reset around each test."""
    server.app.reset()
    server.app.set_balance(total_credits=25.0, total_usage=7.5)
    yield server
    for _ in range(200):  # a slow answer can outlive the client that gave up on it
        if server.app.in_flight == 0:
            break
        time.sleep(0.01)
    server.app.reset()
