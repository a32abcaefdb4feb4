"""serve's options for the one key it watches without --config: --spike and --spike-min-dollars as the
one-shot command has them, refused beside --config (whose keys set their own); --help names what it
serves (the status page) and alerts on (spikes). In process: the parser and the keys it gives."""

from __future__ import annotations

import pytest

from openrouter_credits import ConfigurationError
from openrouter_credits.cli import parser
from openrouter_credits.cli.serve import config_of


def keys_of(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[tuple[str, float | None, float]]:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-serveopts-SECRET-0c1d")
    config = config_of(parser().parse_args(["serve", *args]))
    return [(spec.name, spec.spike, spec.spike_min_dollars) for spec in config.keys]


def test_spike_for_the_one_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """--spike 3 --spike-min-dollars 2: the key's spike; --spike alone takes the default minimum ($1)."""
    assert keys_of(monkeypatch, "--spike", "3", "--spike-min-dollars", "2") == [("default", 3.0, 2.0)]
    assert keys_of(monkeypatch, "--spike", "4") == [("default", 4.0, 1.0)]
    assert keys_of(monkeypatch) == [("default", None, 1.0)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--config", "keys.toml", "--spike", "3"), "--config gives each key its thresholds: set below, days_below"),
        (
            (
                "--spike-min-dollars",
                "2",
            ),
            "--spike-min-dollars goes with --spike N: give both, or neither.",
        ),
    ],
)
def test_refused(monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigurationError, match="^" + message.replace(".", r"\.")):
        keys_of(monkeypatch, *args)


def test_a_spike_below_1_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--spike 0.5 is refused by the parser as the one-shot's is (exit 2, naming the option)."""
    with pytest.raises(SystemExit) as done:
        parser().parse_args(["serve", "--spike", "0.5"])
    assert done.value.code == 2
    assert "--spike" in capsys.readouterr().err


def test_help_names_the_page_and_spikes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["serve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "a status page for people at /" in shown
    assert "its spend spikes" in shown
    assert "--spike N" in shown
    assert "--spike-min-dollars DOLLARS" in shown
