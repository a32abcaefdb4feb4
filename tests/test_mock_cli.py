"""openrouter-credits-mock as a real process: serves on loopback, prints its URL and keys, stops cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

MOCK = str(Path(sys.executable).parent / "openrouter-credits-mock")


def start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([MOCK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    banner = [proc.stdout.readline() for _ in range(4)]
    return proc, banner


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serves_and_stops_cleanly(stop: signal.Signals) -> None:
    """It prints the base URL and demo keys, answers at that URL, and exits 0 on SIGTERM or Ctrl-C."""
    proc, banner = start("--port", "0", "--credits", "30", "--usage", "12.5")
    try:
        assert banner[0].startswith("Mock OpenRouter at http://127.0.0.1:")
        base_url = banner[0].split(" at ", 1)[1].strip()
        assert banner[1:3] == [
            "  provisioning key: sk-or-v1-mock-provisioning\n",
            "  inference key:    sk-or-v1-mock-inference\n",
        ]
        response = httpx.get(base_url + "/credits", headers={"Authorization": "Bearer sk-or-v1-mock-provisioning"})
        assert response.json() == {"data": {"total_credits": 30.0, "total_usage": 12.5}}
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert out == "Mock OpenRouter stopped.\n"
    assert "Traceback" not in err


def test_port_in_use() -> None:
    """A port already taken is one clear error line and exit status 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([MOCK, "--port", str(port)], capture_output=True, text=True, timeout=20, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr
