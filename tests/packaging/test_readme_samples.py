"""Every sample output the README shows of a command against the mock is what the command prints
(``tools/readme_samples.py`` makes them on a fixed clock; ``--write`` puts them in the README)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from helpers import ROOT


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_samples", ROOT / "tools" / "readme_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("readme_samples", module)
    spec.loader.exec_module(module)
    return module


SAMPLES = tool()


def test_every_sample_is_marked() -> None:
    """Each sample the tool makes has its block in the README, and no block names one it does not make."""
    assert set(SAMPLES.shown(SAMPLES.README.read_text())) == set(SAMPLES.SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES.SAMPLES))
def test_the_sample_is_what_the_command_prints(name: str) -> None:
    shown = SAMPLES.shown(SAMPLES.README.read_text())[name]
    assert shown == SAMPLES.made([name])[name], f"run: python tools/readme_samples.py --write ({name})"


def test_rewrite_replaces_only_the_marked_blocks() -> None:
    """--write keeps everything but the samples, indented ones (in a list item) included."""
    text = "a\n<!-- sample: x -->\n```\nold\n```\n\n  <!-- sample: y -->\n  ```\n  old\n  ```\n```\nz\n```\n"
    assert SAMPLES.rewrite(text, {"x": "new\n", "y": "one\ntwo\n"}) == (
        "a\n<!-- sample: x -->\n```\nnew\n```\n\n  <!-- sample: y -->\n  ```\n  one\n  two\n  ```\n```\nz\n```\n"
    )
