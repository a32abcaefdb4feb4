"""What the exporter's tests share besides fixtures (those are in ``conftest``): the keys the mock
knows, virtual time, delivering, webhook receivers on loopback and ``serve`` in a process of its own.
A module of its own name, since ``from conftest import`` finds whichever conftest was imported first."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx
from prometheus_client.parser import text_string_to_metric_families

from helpers import script_figures
from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import MockOpenRouter, MockServer

#: A management key and an ordinary one, which the mock knows: neither may reach any output.
MANAGEMENT = "sk-or-v1-exporter-SECRET-management-1f2e"
ORDINARY = "sk-or-v1-exporter-SECRET-ordinary-3d4c"
#: The token a webhook URL carries in its path: it must never reach a log.
TOKEN = "T0KEN-SECRET-8b7a"
#: Where virtual time starts: 2027-01-15 08:00 UTC, a Friday.
NOW = 1_800_000_000.0
#: The console script of the environment the tests run in.
COMMAND = str(Path(sys.executable).parent / "openrouter-credits")


def mock_app() -> MockOpenRouter:
    """A mock OpenRouter that knows MANAGEMENT ($25 bought, $7.50 used) and ORDINARY (a $10 limit,
    $2.50 of it used: ``helpers.ORDINARY_FIGURES``)."""
    app = MockOpenRouter(provisioning_keys={MANAGEMENT: (25.0, 7.5)}, inference_keys={ORDINARY: 10.0})
    script_figures(app, ORDINARY)
    return app


# --- in process, in virtual time -------------------------------------------------------------------


class Clock:
    """Virtual time: the wall clock and the monotonic clock of the exporter, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class MakeExporter(Protocol):
    def __call__(self, *specs: KeySpec, **options: Any) -> Exporter: ...


def polled(exporter: MakeExporter, spec: KeySpec, **options: Any) -> Exporter:
    """An exporter of ``spec`` (made with ``options``) after one poll of its key, its clients closed."""

    async def scenario() -> Exporter:
        watcher = exporter(spec, **options)
        await watcher.poll(spec.name)
        await watcher.aclose()
        return watcher

    return asyncio.run(scenario())


def families(watcher: Exporter) -> dict[str, Any]:
    """The families of the exporter's /metrics, by name; the keys nowhere in it."""
    text = watcher.route("GET", "/metrics")[1].decode()
    assert MANAGEMENT not in text
    assert ORDINARY not in text
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(found: dict[str, Any], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The values of the samples ``name`` among ``found`` (``families()``), by their sorted labels."""
    family = found.get(name.removesuffix("_total"))
    if family is None:
        return {}
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples if s.name == name}


@contextlib.asynccontextmanager
async def delivering(watcher: Exporter) -> AsyncIterator[None]:
    """The exporter's delivery task running; on leaving, the outbox drained (bounded), it stopped, and
    the outbox's file written (as serve does before it exits: a delivery not yet written would be sent
    again by the next run)."""
    task = asyncio.create_task(watcher.deliverer.run())
    try:
        yield
    finally:
        await watcher.deliverer.drain(5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await watcher.outbox.flush()


# --- webhook receivers -----------------------------------------------------------------------------


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook: records each JSON post; answers ``status``."""

    posts: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.status == 200:
            Receiver.posts.append(json.loads(body))
        self.send_response(Receiver.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


# --- serve in a process of its own -----------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    return path


def two_keys(tmp_path: Path, **thresholds: float) -> Path:
    """A --config of team-a (MANAGEMENT, from $SERVE_KEY_A, with ``thresholds``) and team-b (ORDINARY,
    from a key file)."""
    key_file = tmp_path / "ordinary.key"
    key_file.write_text(ORDINARY + "\n")
    key_file.chmod(0o600)
    extra = "".join(f"{name} = {value}\n" for name, value in thresholds.items())
    return write_config(
        tmp_path,
        f'[keys.team-a]\napi_key_env = "SERVE_KEY_A"\n{extra}\n[keys.team-b]\napi_key_file = "{key_file}"\n',
    )


class ServeProcess:
    """``openrouter-credits serve`` in a process of its own, on a free loopback port."""

    def __init__(self, mock: MockServer, config: Path, *args: str, base_url: str | None = None) -> None:
        env = {**os.environ, "SERVE_KEY_A": MANAGEMENT}
        env.pop("OPENROUTER_API_KEY", None)
        command = [COMMAND, "serve", "--base-url", base_url or mock.base_url, "--config", str(config)]
        command += ["--listen", "127.0.0.1:0", "--interval", "1", "--max-retries", "0", "--timeout", "2", *args]
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line + self.stop()[1]
        self.url = line.split(" on ", 1)[1].strip()

    def metrics(self) -> dict[str, float]:
        samples = {}
        for family in text_string_to_metric_families(httpx.get(self.url + "/metrics").text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}"] = sample.value
        return samples

    def wait_for(self, condition: Any, timeout: float = 15) -> dict[str, float]:
        """Scrape until ``condition(samples)`` holds (a bounded loop); the samples."""
        deadline = time.monotonic() + timeout
        while True:
            samples = self.metrics()
            if condition(samples) or time.monotonic() > deadline:
                return samples
            time.sleep(0.1)

    def stop(self) -> tuple[int, str, float]:
        """SIGTERM; exit status, stderr (the logs) and how long it took to stop. A serve that has not
        stopped 10 s later is killed (the test fails on its status, and leaves no process behind)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            err += "\n(serve did not stop within 10 s of SIGTERM: killed)"
        return self.proc.returncode, err, time.monotonic() - started
