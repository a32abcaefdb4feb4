"""The command as a new user meets it: options before a subcommand, --config's JSON for a failed key,
messages that name the file's table and setting, the variables a value came from, and the help; in
process (``as_command``), the environment's variables given to it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from commanding import as_command, in_process
from test_cli import INFERENCE, KEY, LIMITED

from helpers import script_figures
from openrouter_credits.testing import MockOpenRouter, MockServer

UNKNOWN_KEY = "sk-or-v1-cli-SECRET-nobody-0000"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    app = MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)}, inference_keys={INFERENCE: None, LIMITED: 10.0})
    with MockServer(app) as running:
        yield running


@pytest.fixture(autouse=True)
def _figures(mock: MockServer) -> None:
    script_figures(mock.app, INFERENCE, LIMITED)


class Run(Protocol):
    def __call__(
        self, *args: str, env: dict[str, str] | None = None, key: str | None = KEY
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """The command with ``args``, ``key`` in OPENROUTER_API_KEY and ``env``'s variables, no other
    OPENROUTER_* or CFG_* variable; no key in what it writes."""

    def run_in_process(
        *args: str, env: dict[str, str] | None = None, key: str | None = KEY
    ) -> subprocess.CompletedProcess[str]:
        for name in list(os.environ):
            if name.startswith("CFG_"):
                monkeypatch.delenv(name)
        environment = {**({} if key is None else {"OPENROUTER_API_KEY": key}), **(env or {})}
        return as_command(capsys, monkeypatch, *args, env=environment, secrets=(KEY, INFERENCE, LIMITED, UNKNOWN_KEY))

    return run_in_process


@pytest.mark.parametrize(
    ("args", "option", "command"),
    [
        (("--json", "spend"), "--json/--format", "spend"),
        (("--format", "prometheus", "spend"), "--json/--format", "spend"),
        (("--below", "100", "spend"), "--below", "spend"),
        (("--watch", "1", "spend"), "--watch", "spend"),
        (("--json", "serve"), "--json/--format", "serve"),
        (("--days-below", "3", "serve"), "--days-below", "serve"),
    ],
)
def test_view_options_before_a_subcommand_are_refused(
    args: tuple[str, ...], option: str, command: str, run: Run
) -> None:
    """An option of the view given before a subcommand: exit 2 naming the option and the subcommand."""
    result = run(*args)
    assert result.returncode == 2
    assert f"error: {option} is an option of the balance view, not of {command}: leave it out" in result.stderr
    assert result.stderr.startswith("usage: openrouter-credits [COMMAND] [options]")


def test_spend_has_its_own_help_and_json(run: Run) -> None:
    """spend --help lists spend's options (--config for its teams alone: spend reads one key); spend
    takes --json."""
    shown = " ".join(run("spend", "--help").stdout.split())
    assert shown.startswith("usage: openrouter-credits spend [-h] [--json]")
    assert "--config FILE a TOML file whose [teams.NAME] tables group the keys into teams" in shown
    assert "--max-retries N" in shown


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    return path


def test_config_json_entries_have_one_shape(mock: MockServer, tmp_path: Path, run: Run) -> None:
    """--config --json: every entry has the same keys, a failed key its error as {kind, message}."""
    path = config(tmp_path, '[keys.good]\napi_key_env = "CFG_GOOD"\n\n[keys.bad]\napi_key_env = "CFG_BAD"\n')
    result = run(
        "--base-url", mock.base_url, "--config", str(path), "--json", env={"CFG_GOOD": KEY, "CFG_BAD": UNKNOWN_KEY}
    )
    assert result.returncode == 3
    good, bad = json.loads(result.stdout)
    assert list(good) == list(bad)  # the same fields, in the same order
    assert (good["name"], good["error"], good["remaining"]) == ("good", None, 17.5)
    assert bad["name"] == "bad"
    assert bad["error"]["kind"] == "auth"
    assert bad["error"]["message"].startswith("OpenRouter did not accept the API key (HTTP 401: User not found).")
    assert [value for name, value in bad.items() if name not in ("name", "error", "unknown")] == [None] * (len(bad) - 3)


def test_messages_name_the_key_table_and_setting(mock: MockServer, tmp_path: Path, run: Run) -> None:
    """A key from api_key_env that OpenRouter refuses: the message names that variable and [keys.NAME];
    a below from the file is called by its setting, not --below."""
    path = config(
        tmp_path,
        '[keys.team-a]\napi_key_env = "CFG_A"\nbelow = 100\n\n[keys.team-b]\napi_key_env = "BADKEY"\n',
    )
    result = run("--base-url", mock.base_url, "--config", str(path), env={"CFG_A": LIMITED, "BADKEY": UNKNOWN_KEY})
    assert (
        "error: team-b: OpenRouter did not accept the API key (HTTP 401: User not found). Check that the variable "
        "BADKEY named by [keys.team-b] in keys.toml holds a current key." in result.stderr
    )
    assert "OPENROUTER_API_KEY or" not in result.stderr
    assert "below: team-a: spendable is at most $7.50, under $100.00" in result.stderr
    unknowable = config(tmp_path, '[keys.open]\napi_key_env = "CFG_A"\nbelow = 5\n')
    refused = run("--base-url", mock.base_url, "--config", str(unknowable), env={"CFG_A": INFERENCE})
    assert refused.returncode == 3
    assert "error: open: below of [keys.open] needs what this key may spend, which is unknown" in refused.stderr
    assert "--below" not in refused.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"sk-or-v1-first\nsk-or-v1-second\n", "has 2 lines; it must hold the key alone (sk-or-v1-...)."),
        (b"\x00" * 64, "has a character that cannot be sent in an HTTP header (at position 1)"),
    ],
)
def test_a_bad_key_file_under_config_names_the_file_and_table(
    tmp_path: Path, content: bytes, problem: str, run: Run
) -> None:
    """A key file that is not one key: the message names [keys.NAME], the file and what is wrong."""
    key_file = tmp_path / "team.key"
    key_file.write_bytes(content)
    key_file.chmod(0o600)
    path = config(tmp_path, f'[keys.team]\napi_key_file = "{key_file}"\n')
    result = run("--config", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --config {path}: [keys.team]: the key file {key_file} {problem}")


def test_network_errors_name_the_option_or_the_variable(run: Run) -> None:
    """A base URL nobody answers: --base-url when the option gave it, OPENROUTER_BASE_URL when the
    environment did; never the Python name base_url."""
    by_option = run("--base-url", "http://127.0.0.1:9/api/v1", "--max-retries", "0")
    assert by_option.returncode == 4
    assert "Check --base-url and the network." in by_option.stderr
    by_variable = run("--max-retries", "0", env={"OPENROUTER_BASE_URL": "http://127.0.0.1:9/api/v1"})
    assert by_variable.returncode == 4
    assert "Check OPENROUTER_BASE_URL and the network." in by_variable.stderr
    assert "base_url" not in by_option.stderr + by_variable.stderr


#: The placeholders the help uses, one for each kind of value.
PLACEHOLDERS = (
    None,
    "SECONDS",
    "DOLLARS",
    "DAYS",
    "URL",
    "FILE",
    "N",
    "HOST:PORT",
    "DIR",
    "ID|NAME",
    "STATUS,...",
    "FILE|URL",
    "YYYY-MM",
    "YYYY-MM-DD",
    "DIMENSION",
    "TEAM",
)


def test_help_describes_every_option(run: Run) -> None:
    """Every option of every command has a description and a placeholder of the common set; the command
    is optional in the usage line; exit status 3 and the defaults read as the README has them."""
    import argparse

    from openrouter_credits.cli import parser

    top = parser()
    commands = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    for p in (top, *commands.choices.values()):
        for action in p._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                assert action.help, (p.prog, action.option_strings)
                assert action.metavar in PLACEHOLDERS, (p.prog, action.metavar)
    shown = " ".join(run("--help").stdout.split())
    assert shown.startswith("usage: openrouter-credits [COMMAND] [options]")
    assert "attempts after the first on a network error, 429 or 5xx (default: 2)" in shown
    assert "3 authentication or permission error (401, 403; an ordinary key for keys), or what --below" in shown
    serve_help = " ".join(run("serve", "--help").stdout.split())
    assert "(default: 127.0.0.1:9877, this machine only)" in serve_help
    assert "(default: $XDG_STATE_HOME/openrouter-credits, else ~/.local/state/openrouter-credits)" in serve_help


KEY_TABLE = '[keys.a]\napi_key_env = "CFG_A"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (KEY_TABLE + "below = true\n", "[keys.a]: below must be a number of dollars, 0 or more, not true."),
        (KEY_TABLE + 'spike = "lots"\n', 'spike must be a multiple of the 7-day average above 1 (such as 3), '
                                         'not "lots".'),
        ("keys = 5\n", 'keys must be a table of [keys.NAME] tables, one per key to watch ([keys.team-a] with '
                       'api_key_env = "..."), not 5.'),
        ('keys = ["a"]\n', "keys must be a table of [keys.NAME] tables, one per key to watch"),
        (KEY_TABLE + 'notify = ["nope"]\n', '[keys.a]: notify names "nope", which is not a [notify.NAME] table: the '
                                           'file has no channel: add a [notify.NAME] table (or give --notify-url and '
                                           'name its channel, "notify-url").'),
        (KEY_TABLE + 'notify = ["nope"]\n[notify.ops]\nkind = "webhook"\nurl_env = "CFG_URL"\n',
         '[keys.a]: notify names "nope", which is not a [notify.NAME] table: the file\'s channels are ops (or give '
         '--notify-url and name its channel, "notify-url").'),
    ],
)  # fmt: skip
def test_config_values_are_named_as_toml_spells_them(
    mock: MockServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    message: str,
) -> None:
    """A wrong value is quoted as the file spells it (true, "text"), a wrong type is named as such, and
    notify naming a channel the file lacks says which channels there are, or how to add one."""
    monkeypatch.setenv("CFG_A", KEY)
    path = config(tmp_path, text)
    code, out, err = in_process(mock, capsys, monkeypatch, "--config", str(path), key=KEY, secrets=(KEY,))
    assert (code, out) == (2, "")
    assert f"error: --config {path}: " in err
    assert message in err
    assert "True" not in err
    assert "'" not in err.replace("file's", "")


def test_a_device_is_not_a_key_file(
    mock: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--api-key-file /dev/zero: not a regular file (never chmod advice for a device); a folder too;
    a pipe (``<(pass show ...)``) is read as a file is, with no advice about its mode."""
    code, out, err = in_process(mock, capsys, monkeypatch, "--api-key-file", "/dev/zero")
    assert (code, out) == (2, "")
    assert err == (
        "error: --api-key-file: /dev/zero is not a regular file: it is a character device: give the file that "
        "holds the key (- reads standard input).\n"
    )
    code, _, err = in_process(mock, capsys, monkeypatch, "--api-key-file", str(tmp_path))
    assert (code, err) == (2, f"error: --api-key-file: {tmp_path} is not a regular file: it is a folder: give "
                              "the file that holds the key (- reads standard input).\n")  # fmt: skip
    read, write = os.pipe()
    os.write(write, KEY.encode() + b"\n")
    os.close(write)
    try:
        code, out, err = in_process(mock, capsys, monkeypatch, "--api-key-file", f"/dev/fd/{read}", "--json")
    finally:
        os.close(read)
    assert (code, err) == (0, "")
    assert json.loads(out)["remaining"] == 17.5
