"""docs/pypi.md, the package index's page, says what the program does: every command and option it
shows exists and its Python runs (the output it shows is tools/readme_samples.py's, held by
tests/packaging/test_readme_samples.py)."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

from helpers import ROOT
from openrouter_credits.cli import parser

PAGE = (ROOT / "docs" / "pypi.md").read_text()
COMMAND = str(Path(sys.executable).parent / "openrouter-credits")


def blocks(language: str) -> list[str]:
    """The page's fenced code blocks in ``language`` ("" for plain ones), in order."""
    found, current, inside = [], [], None
    for line in PAGE.splitlines(keepends=True):
        if line.startswith("```"):
            if inside is None:
                inside, current = line[3:].strip(), []
            else:
                if inside == language:
                    found.append("".join(current))
                inside = None
        elif inside is not None:
            current.append(line)
    return found


def options_of(command: str | None) -> set[str]:
    top = parser()
    if command is None:
        chosen = top
    else:
        commands = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
        chosen = commands.choices[command]
    return {option for action in chosen._actions for option in action.option_strings}


def test_every_command_and_option_shown_exists() -> None:
    """Each `openrouter-credits ...` line names a real subcommand and real options of it."""
    lines = [line.split("#")[0].strip() for block in blocks("sh") for line in block.splitlines()]
    shown = [shlex.split(line) for line in lines if line.startswith("openrouter-credits")]
    assert len(shown) >= 10
    for words in shown:
        command = words[1] if len(words) > 1 and not words[1].startswith("-") else None
        assert command in (None, "spend", "serve", "keys"), words
        known = options_of(command) | (options_of(None) if command else set())
        for word in words:
            if word.startswith("--"):
                assert word in known, (words, word)
    for option in re.findall(r"`(--[a-z-]+)", PAGE):
        assert option in options_of(None), option


def test_the_python_shown_runs(tmp_path: Path) -> None:
    """The mock fixture example passes as a test of its own."""
    example = next(block for block in blocks("python") if "openrouter_mock" in block)
    (tmp_path / "test_example.py").write_text(example)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
