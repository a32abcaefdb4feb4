"""openrouter-credits serve as a real process under abuse and signals: stalled clients and SIGTERM,
the HTTP side's refusals, SIGHUP reloading the keys file, and closed or broken standard streams."""

from __future__ import annotations

import http.server
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from exporting import COMMAND, MANAGEMENT, ORDINARY, two_keys, write_config
from exporting import ServeProcess as Exporter

from openrouter_credits.cli import main
from openrouter_credits.exporter._http import Limits
from openrouter_credits.testing import MockServer

#: How long serve leaves a stalled client connected (its request head or body timeout) before it cuts it off.
STALL_CUT = min(Limits().head_timeout, Limits().body_timeout)


def raw(url: str, request: bytes) -> bytes:
    """Send ``request`` as is and read the answer until the server closes (bounded by a timeout)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def logs_until(exporter: Exporter, text: str, timeout: float = 15) -> str:
    """Read serve's logs (its standard error) as they come, until ``text`` is in them (a bounded loop)."""
    assert exporter.proc.stderr is not None
    fd = exporter.proc.stderr.fileno()  # read below the text layer, which stop() reads the rest through
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen and (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode()


def test_sigterm_with_stalled_clients_and_refusals(mock: MockServer, tmp_path: Path) -> None:
    """With 200 stalled clients connected, scrapes still answer and SIGTERM exits 0 without waiting for
    them (before their timeouts could cut them off), one log line per client address for its mistakes
    and no traceback; 405 with Allow, 414, 431, 400."""
    exporter = Exporter(mock, two_keys(tmp_path), "--state-dir", str(tmp_path / "state"))
    stalled: list[socket.socket] = []
    try:
        host, port = exporter.url.removeprefix("http://").split(":")
        for n in range(200):
            sock = socket.create_connection((host, int(port)), timeout=5)
            sock.sendall(b"GET /metrics HTTP/1.1\r\nContent-Length: 16000\r\n\r\n" if n % 2 else b"GET /met")
            stalled.append(sock)
        stalled_since = time.monotonic()  # serve times each stall from no earlier than this
        assert httpx.get(exporter.url + "/metrics", timeout=5).status_code == 200
        post = raw(exporter.url, b"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert post.startswith(b"HTTP/1.1 405 ")
        assert b"\r\nAllow: GET, HEAD\r\n" in post
        assert raw(exporter.url, b"GET /" + b"m" * 5000 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414 ")
        big = b"GET /metrics HTTP/1.1\r\n" + b"X-Filler: " + b"f" * 20000 + b"\r\n\r\n"
        assert raw(exporter.url, big).startswith(b"HTTP/1.1 431 ")
        assert raw(exporter.url, "GET /metrics HTTP/1.1\r\nContent-Length: ١٢\r\n\r\n".encode()).startswith(
            b"HTTP/1.1 400 "
        )
        assert raw(exporter.url, b"GET /metrics HTTP/1.1\nHost: x\n\n").startswith(b"HTTP/1.1 400 ")
    finally:
        status, logs, _ = exporter.stop()
        stopped_after = time.monotonic() - stalled_since
        for sock in stalled:
            sock.close()
    assert (status, stopped_after < STALL_CUT) == (0, True), (status, stopped_after, logs)
    assert "Traceback" not in logs
    assert logs.count("127.0.0.1") <= 3, logs  # the serving line, and one line per address per minute


def test_max_connections_caps_what_serve_answers_at_once(mock: MockServer, tmp_path: Path) -> None:
    """serve --max-connections 2: with two connections open and answered, a third gets 503 and is closed."""
    exporter = Exporter(mock, two_keys(tmp_path), "--state-dir", str(tmp_path / "state"), "--max-connections", "2")
    host, port = exporter.url.removeprefix("http://").split(":")
    held: list[socket.socket] = []
    try:
        for _ in range(2):
            sock = socket.create_connection((host, int(port)), timeout=5)
            held.append(sock)
            sock.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 "), "a connection within the cap is answered"
        busy = raw(exporter.url, b"")  # sent nothing: the 503 comes unasked, and no unread request resets it
        assert busy.startswith(b"HTTP/1.1 503 ")
        assert b"\r\nRetry-After: 1\r\n" in busy
    finally:
        for sock in held:
            sock.close()
        status, logs, _ = exporter.stop()
    assert status == 0, logs
    assert "HTTP connection limit of 2 reached: new connections get 503" in logs


@pytest.mark.parametrize("value", ["0", "-1", "x", "2.5", ""])
def test_max_connections_must_be_a_whole_number_above_0(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--max-connections 0, negative or not a whole number is a usage error naming the option."""
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--max-connections", value])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"openrouter-credits serve: error: argument --max-connections: {value!r} is not a whole number of "
        "connections, 1 or more"
    )


def test_sighup_reloads_the_keys_file(mock: MockServer, tmp_path: Path) -> None:
    """SIGHUP: a new key is polled, a removed key's series are gone; a bad file keeps the old keys,
    with an error line."""
    config = write_config(tmp_path, '[keys.team-a]\napi_key_env = "SERVE_KEY_A"\n')
    exporter = Exporter(mock, config, "--state-dir", str(tmp_path / "state"))
    try:
        exporter.wait_for(lambda s: s.get("openrouter_credits_up{key=team-a}") == 1)
        key_file = tmp_path / "ordinary.key"
        key_file.write_text(ORDINARY)
        key_file.chmod(0o600)
        config.write_text(f'[keys.team-b]\napi_key_file = "{key_file}"\n')
        exporter.proc.send_signal(signal.SIGHUP)
        samples = exporter.wait_for(
            lambda s: s.get("openrouter_credits_up{key=team-b}") == 1 and "openrouter_credits_up{key=team-a}" not in s
        )
        assert samples.get("openrouter_credits_up{key=team-b}") == 1
        assert not [name for name in samples if "key=team-a" in name]
        config.write_text("[keys.team-c]\ncolour = 1\n")
        exporter.proc.send_signal(signal.SIGHUP)
        early = logs_until(exporter, "SIGHUP: keeping the keys as they were")  # the bad file was read
        assert exporter.metrics().get("openrouter_credits_up{key=team-b}") == 1
    finally:
        status, logs, _ = exporter.stop()
    logs = early + logs
    assert status == 0
    assert "Reloaded the keys: 1 key(s) (team-b)" in logs
    assert "SIGHUP: keeping the keys as they were: --config" in logs
    assert "unknown setting 'colour'" in logs


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_closed_or_broken_standard_streams(mock: MockServer, tmp_path: Path, stream: str) -> None:
    """With stdout or stderr a broken pipe, serve keeps serving and exits 0 on SIGTERM, no traceback."""
    env = {**os.environ, "SERVE_KEY_A": MANAGEMENT}
    config = write_config(tmp_path, '[keys.team-a]\napi_key_env = "SERVE_KEY_A"\n')
    reader, writer = os.pipe()
    os.close(reader)  # whatever is written to the pipe now fails with EPIPE
    listen = socket.socket()
    listen.bind(("127.0.0.1", 0))
    port = listen.getsockname()[1]
    listen.close()
    command = [COMMAND, "serve", "--base-url", mock.base_url, "--config", str(config), "--listen", f"127.0.0.1:{port}"]
    command += ["--interval", "1", "--state-dir", str(tmp_path / "state")]
    kept = subprocess.PIPE
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=writer if stream == "stdout" else kept,
        stderr=writer if stream == "stderr" else kept,
        text=True,
    )
    os.close(writer)
    try:
        deadline = time.monotonic() + 15
        answer = None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None
        assert answer.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in (out or "") + (err or "")


def test_state_dir_problems_stop_serve_at_start(mock: MockServer, tmp_path: Path) -> None:
    """--state-dir that is a file, a default one that cannot be created, one in use: exit 2 at once."""
    config = write_config(tmp_path, '[keys.team-a]\napi_key_env = "SERVE_KEY_A"\n')
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    base = [COMMAND, "serve", "--config", str(config), "--base-url", mock.base_url, "--listen", "127.0.0.1:0"]
    env = {k: v for k, v in os.environ.items() if k != "XDG_STATE_HOME"} | {"SERVE_KEY_A": MANAGEMENT}

    def serve(*args: str, **more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args], env={**env, **more}, capture_output=True, text=True, timeout=30, check=False
        )

    is_file = serve("--state-dir", str(a_file))
    assert (is_file.returncode, is_file.stdout) == (2, "")
    assert f"error: --state-dir {a_file} is a file, not a folder" in is_file.stderr
    no_home = serve(HOME="/proc/nonexistent")
    assert no_home.returncode == 2
    assert "error: --state-dir /proc/nonexistent/.local/state/openrouter-credits cannot be created" in no_home.stderr
    running = Exporter(mock, config, "--state-dir", str(tmp_path / "state"))
    try:
        second = serve("--state-dir", str(tmp_path / "state"))
    finally:
        running.stop()
    assert second.returncode == 2
    assert f"is in use by another openrouter-credits serve (pid {running.proc.pid})" in second.stderr


class _Hanging(http.server.BaseHTTPRequestHandler):
    """A webhook that takes the post and then answers nothing until released (a 30 s receiver); ``dropped``
    is set if the sender closes the connection first (it gave up on the post, or stopped)."""

    release = threading.Event()
    dropped = threading.Event()
    posts: ClassVar[int] = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Hanging.posts += 1
        for _ in range(600):  # 30 s at most
            if _Hanging.release.wait(0.05):
                return
            if select.select([self.connection], [], [], 0)[0]:  # nothing more is sent: only a close
                _Hanging.dropped.set()
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_hanging_receiver_does_not_slow_metrics(mock: MockServer, tmp_path: Path) -> None:
    """While the alert's post hangs (the receiver answers nothing; serve gives up on it after its 10 s
    delivery timeout), every scrape of /metrics is answered and polls go on; SIGTERM exits 0 without
    waiting for the post."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hanging)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Hanging.release.clear()
    _Hanging.dropped.clear()
    _Hanging.posts = 0
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    exporter = Exporter(
        mock, two_keys(tmp_path, below=100), "--state-dir", str(tmp_path / "state"), "--notify-url", url
    )
    try:
        deadline = time.monotonic() + 15
        while _Hanging.posts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _Hanging.posts == 1  # the post is hanging now
        last_success = "openrouter_credits_last_success_timestamp_seconds{key=team-a}"
        before = exporter.metrics()[last_success]
        with httpx.Client(timeout=30) as client:
            statuses = [client.get(exporter.url + "/metrics").status_code for _ in range(20)]
        answered_while_hanging = not _Hanging.dropped.is_set()  # none waited for serve to give up on it
        after = exporter.wait_for(lambda s: s[last_success] > before)[last_success]
        hanging_at_sigterm = not _Hanging.dropped.is_set()
    finally:
        status, logs, _ = exporter.stop()
        _Hanging.release.set()
        httpd.shutdown()
        httpd.server_close()
    assert statuses == [200] * 20
    assert answered_while_hanging
    assert after > before  # polling went on
    assert (status, hanging_at_sigterm) == (0, True)
    assert "gave no answer" not in logs  # serve did not wait for its delivery timeout to exit


def test_interval_logged_as_written_and_notify_url_scheme(mock: MockServer, tmp_path: Path) -> None:
    """--interval 100000000 is logged as written, not 1e+08; a webhook URL without a scheme is refused
    saying it must start with https:// (exit 2)."""
    config = write_config(tmp_path, '[keys.team-a]\napi_key_env = "SERVE_KEY_A"\n')
    exporter = Exporter(mock, config, "--state-dir", str(tmp_path / "state"), "--interval", "100000000")
    _, logs, _ = exporter.stop()
    assert "every 100000000 s" in logs
    env = {**os.environ, "SERVE_KEY_A": MANAGEMENT}
    command = [COMMAND, "serve", "--config", str(config), "--notify-url", "hooks.slack.com/services/T0/B0/x"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert "--notify-url must start with https://" in refused.stderr
    assert "T0/B0" not in refused.stderr
