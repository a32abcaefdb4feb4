"""Every sample output README.md and docs/pypi.md show of a command against the mock is what the command
prints (``tools/readme_samples.py`` makes them all, on one clock, and checks each command's exit status;
``--write`` puts them in the pages)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from helpers import ROOT

WRITE = "python tools/readme_samples.py --write"


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_samples", ROOT / "tools" / "readme_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("readme_samples", module)
    spec.loader.exec_module(module)
    return module


SAMPLES = tool()
CASES = [(page.relative_to(ROOT).as_posix(), name) for page, names in SAMPLES.PAGES.items() for name in names]


def test_every_sample_is_marked() -> None:
    """Each page has a block for each sample it should show, and no block names one the tool does not make."""
    assert SAMPLES.problems() == []
    assert {name for _, name in CASES} == set(SAMPLES.SAMPLES)


@pytest.mark.parametrize(("page", "name"), CASES, ids=[f"{page}:{name}" for page, name in CASES])
def test_the_sample_is_what_the_command_prints(page: str, name: str) -> None:
    shown = SAMPLES.shown((ROOT / page).read_text()).get(name)
    assert shown == SAMPLES.make(name), f"{page}'s sample {name} is not what the code prints: run {WRITE}"


def test_rewrite_replaces_only_the_marked_blocks() -> None:
    """--write keeps everything but the samples, indented ones (in a list item) included."""
    text = "a\n<!-- sample: x -->\n```\nold\n```\n\n  <!-- sample: y -->\n  ```\n  old\n  ```\n```\nz\n```\n"
    assert SAMPLES.rewrite(text, {"x": "new\n", "y": "one\ntwo\n"}) == (
        "a\n<!-- sample: x -->\n```\nnew\n```\n\n  <!-- sample: y -->\n  ```\n  one\n  two\n  ```\n```\nz\n```\n"
    )


def test_a_command_that_exits_otherwise_makes_no_sample() -> None:
    """A sample's command is held to its exit status: one that fails where it should succeed (or the
    reverse) stops the tool, saying so, rather than writing its output as a sample."""
    with SAMPLES._mock() as server, pytest.raises(AssertionError, match=r"exited 1, not 0: below: spendable"):
        SAMPLES._run(server, "--below", "20")
