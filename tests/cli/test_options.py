"""Mistyped options: named as unknown, with the closest option suggested, exit 2, by the parser they
were given to (a command's own usage after its name). In process through main(): no call is made."""

from __future__ import annotations

import pytest

from openrouter_credits.cli import main

TOP = "usage: openrouter-credits [COMMAND] [options]\n"


@pytest.mark.parametrize(
    ("argv", "usage", "error"),
    [
        (["--belo", "5"], TOP, "unknown option --belo: did you mean --below?"),
        (["--bel=3"], TOP, "unknown option --bel: did you mean --below?"),
        (["--jso"], TOP, "unknown option --jso: did you mean --json?"),
        (["--days-belo", "3", "--json"], TOP, "unknown option --days-belo: did you mean --days-below?"),
        (["--max", "3"], TOP, "unknown option --max: did you mean --max-retries?"),
        (["--frobnicate"], TOP, "unknown option --frobnicate: openrouter-credits --help lists the options"),
        (["spend", "--belo", "5"], "usage: openrouter-credits spend ", "unknown option --belo: openrouter-credits "
         "spend --help lists the options"),
        (["spend", "--below", "5"], "usage: openrouter-credits spend ", "--below is an option of the balance view, "
         "not of spend: leave it out"),
        (["keys", "--jsn"], "usage: openrouter-credits keys ", "unknown option --jsn: did you mean --json?"),
        (["--json", "spend", "extra"], "usage: openrouter-credits spend ", "unexpected argument 'extra': spend "
         "takes options only"),
        (["serve", "--intervl", "5"], "usage: openrouter-credits serve ", "did you mean --interval?"),
        (["--base-url", "http://127.0.0.1:9/api/v1", "spend", "--max-retrie", "0"], "usage: openrouter-credits spend ",
         "unknown option --max-retrie: did you mean --max-retries?"),
    ],
)  # fmt: skip
def test_unknown_options(capsys: pytest.CaptureFixture[str], argv: list[str], usage: str, error: str) -> None:
    """Exit 2 with the usage of the parser the option was given to, and a line naming the option."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert err.splitlines()[-1].endswith(error)
    assert "invalid choice" not in err


def test_option_values_are_not_taken_for_options(capsys: pytest.CaptureFixture[str]) -> None:
    """A value after its option is the option's, whatever it looks like: --api-key-file -, a command's
    name as --base-url's value, options before and after the command's name."""
    with pytest.raises(SystemExit) as exited:
        main(["--api-key-file", "-", "--base-url", "spend", "--bogus"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith("unknown option --bogus: openrouter-credits --help "
                                                              "lists the options")  # fmt: skip
