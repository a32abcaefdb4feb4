"""openrouter-credits-mock as a real process: serves on loopback, prints its URL and keys, stops cleanly;
its refusals (bad arguments, a port in use) in process, ``main(argv)``."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from openrouter_credits.testing._cli import main

MOCK = str(Path(sys.executable).parent / "openrouter-credits-mock")


PYTHON_M = (sys.executable, "-m", "openrouter_credits.testing")


def start(*args: str, command: tuple[str, ...] = (MOCK,)) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    banner = [proc.stdout.readline() for _ in range(4)]
    return proc, banner


@pytest.mark.parametrize(
    ("stop", "command"), [(signal.SIGTERM, (MOCK,)), (signal.SIGINT, (MOCK,)), (signal.SIGTERM, PYTHON_M)]
)
def test_serves_and_stops_cleanly(stop: signal.Signals, command: tuple[str, ...]) -> None:
    """It prints the base URL and demo keys, answers at that URL, and exits 0 on SIGTERM or Ctrl-C;
    ``python -m openrouter_credits.testing`` is the same command."""
    proc, banner = start("--port", "0", "--credits", "30", "--usage", "12.5", command=command)
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


def test_activity_date_format_option() -> None:
    """--activity-date-format datetime: /activity writes dates as the live API does, the state says so."""
    proc, banner = start("--port", "0", "--activity-date-format", "datetime")
    try:
        base_url = banner[0].split(" at ", 1)[1].strip()
        headers = {"Authorization": "Bearer sk-or-v1-mock-provisioning"}
        rows = httpx.get(base_url + "/activity", headers=headers).json()["data"]
        state = httpx.get(base_url.removesuffix("/api/v1") + "/_mock/state").json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert rows
    assert {row["date"][10:] for row in rows} == {" 00:00:00"}
    assert state["activity_date_format"] == "datetime"


def test_port_in_use(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A port already taken is one clear error line, saying how to pick another, and exit status 2."""

    def listening(*args: object) -> None:  # it would serve until a signal: fail instead of waiting for ever
        raise AssertionError("the mock listened on a port already in use")

    monkeypatch.setattr(signal, "signal", listening)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["--port", str(port)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): pick another port with --port PORT "
        "(make mock PORT=...), or 0 for a free one.\n"
    )


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (("--port", "70000"), "argument --port: '70000' is not a port: give a number from 0 (a free one) to 65535"),
        (("--port", "http"), "argument --port: 'http' is not a port: give a number from 0 (a free one) to 65535"),
        (("--credits", "nan"), "argument --credits: 'nan' is not an amount of dollars"),
        (("--credits", "-5"), "argument --credits: '-5' is below 0: give 0 or more dollars"),
        (("--usage", "-0.5"), "argument --usage: '-0.5' is below 0: give 0 or more dollars"),
        (("--cred", "5"), "unrecognized arguments: --cred 5"),
        (
            ("--activity-date-format", "iso"),
            "argument --activity-date-format: invalid choice: 'iso' (choose from 'date', 'datetime', 'rfc3339')",
        ),
    ],
)
def test_bad_arguments(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], stderr: str) -> None:
    """Bad arguments are one usage error and exit 2, no traceback."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 2
    shown = capsys.readouterr().err
    assert shown.splitlines()[-1].endswith(stderr)
    assert "Traceback" not in shown


def test_all_interfaces_announce_a_usable_address() -> None:
    """--host 0.0.0.0 announces a loopback URL a client can use, and says it listens everywhere."""
    proc, banner = start("--host", "0.0.0.0", "--port", "0")  # noqa: S104 (the point of the test)
    try:
        assert banner[0].startswith("Mock OpenRouter at http://127.0.0.1:")
        assert banner[1] == "  listening on 0.0.0.0, every interface of this machine\n"
        base_url = banner[0].split(" at ", 1)[1].strip()
        assert httpx.get(base_url + "/credits").status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_without_uvicorn_the_message_is_all() -> None:
    """Installed without the mock extra: one line saying what to install, exit 2, no traceback."""
    script = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "from openrouter_credits.testing._cli import main\n"
        "sys.exit(main(['--port', '0']))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20, check=False)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: the mock server needs uvicorn: pip install 'openrouter-credits[mock]'\n"


def test_help_names_every_control_action_and_the_keys(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names the keys the mock accepts and every action of /_mock/ (the control endpoint's own list)."""
    from openrouter_credits.testing._control import ACTIONS

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "sk-or-v1-mock-provisioning   a management (provisioning) key" in shown
    assert "sk-or-v1-mock-inference      an ordinary (inference) key" in shown
    for action in ("state", *ACTIONS):
        assert f" /_mock/{action}" in shown, action
