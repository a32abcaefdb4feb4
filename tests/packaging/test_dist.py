"""A releasable package: the sdist and the wheel build, install in fresh virtual environments and work
there (tools/dist.py, which `make dist` runs), with the metadata the package index shows."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sdist_and_wheel_install_and_work(tmp_path: Path) -> None:
    """Both artifacts install with the mock extra in a new venv; the command, the library, the
    generated package and the pytest plugin all work there."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "dist.py"), "--outdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    expected = (
        "installed with the mock extra in a new virtual environment; the command answered --version "
        "(openrouter-credits 0.1.0); the library 0.1.0 read $17.50 remaining from the mock server, the "
        "generated package's get_credits imported; the pytest plugins listed: ['anyio', 'openrouter_credits']"
    )
    assert lines == [
        f"dist: openrouter_credits-0.1.0.tar.gz: {expected}",
        f"dist: openrouter_credits-0.1.0-py3-none-any.whl: {expected}",
    ]
    with zipfile.ZipFile(tmp_path / "openrouter_credits-0.1.0-py3-none-any.whl") as wheel:
        metadata = wheel.read("openrouter_credits-0.1.0.dist-info/METADATA").decode()
        names = wheel.namelist()
    assert "License-Expression: MIT" in metadata
    assert "Project-URL: Source, https://" in metadata
    assert "openrouter_credits-0.1.0.dist-info/licenses/LICENSE" in names
    assert not [name for name in names if name.startswith(("tests/", "tools/", "bench/"))]


def test_package_index_description() -> None:
    """The description written for the package index: install first, no make commands, no relative links."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    text = (ROOT / project["readme"]).read_text()
    assert "make " not in text
    assert text.index("pip install openrouter-credits") < 400
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert all(link.startswith("https://") for link in links), links
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
