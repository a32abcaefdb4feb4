"""Regenerate generated/openrouter_credits_client from openapi.yaml, or check that it is current.

    python tools/generate.py            # normalise, generate, replace generated/ (make generate)
    python tools/generate.py --check    # generate into a temporary folder and compare (make check-generated)

The package is always generated from scratch into an empty folder, so nothing of a removed model or
operation survives. The normalised document is kept at build/openapi.normalised.json for reading.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "openrouter_credits_client"
MAX_DIFF_LINES = 200

sys.path.insert(0, str(Path(__file__).resolve().parent))
import normalise  # noqa: E402


def generate_into(spec: Path, config: Path, workdir: Path) -> Path:
    """Generate the package under ``workdir``; return the package folder."""
    normalised = ROOT / "build" / "openapi.normalised.json"
    if normalise.main([str(spec), str(normalised)]) != 0:
        raise SystemExit(1)
    project = workdir / "project"
    # The venv's bin folder first, so the generator's ruff hooks run the pinned ruff.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(Path(sys.executable).parent / "openapi-python-client"),
        "generate",
        "--path",
        str(normalised),
        "--config",
        str(config),
        # A metadata type other than "none" makes the generator write py.typed; only the package
        # folder is kept from the project it writes.
        "--meta",
        "setup",
        "--output-path",
        str(project),
        "--fail-on-warning",
    ]
    result = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        print("generate: openapi-python-client failed (output above)", file=sys.stderr)
        raise SystemExit(1)
    return project / PACKAGE


def tree(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def compare(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """A readable account of how ``actual`` (committed) differs from ``expected`` (generated)."""
    lines: list[str] = []
    for name in sorted(expected.keys() - actual.keys()):
        lines.append(f"  missing from generated/: {name}")
    for name in sorted(actual.keys() - expected.keys()):
        lines.append(f"  stale in generated/ (the spec no longer produces it): {name}")
    diff: list[str] = []
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            lines.append(f"  differs: {name}")
            diff.extend(
                difflib.unified_diff(
                    actual[name].decode("utf-8", "replace").splitlines(),
                    expected[name].decode("utf-8", "replace").splitlines(),
                    f"generated/{PACKAGE}/{name} (committed)",
                    f"generated/{PACKAGE}/{name} (from the spec)",
                    lineterm="",
                )
            )
    if diff:
        shown = diff[:MAX_DIFF_LINES]
        lines.extend(["", *shown])
        if len(diff) > len(shown):
            lines.append(f"... {len(diff) - len(shown)} more diff lines")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of replacing")
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml")
    parser.add_argument("--config", type=Path, default=ROOT / "generator-config.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "generated", help="folder holding the package")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="openrouter-credits-generate-") as tmp:
        fresh = generate_into(args.spec.resolve(), args.config.resolve(), Path(tmp))
        target = args.out / PACKAGE
        if args.check:
            differences = compare(tree(fresh), tree(target) if target.is_dir() else {})
            if differences:
                print(f"check-generated: {target} is not what openapi.yaml and generator-config.yaml produce:")
                print("\n".join(differences))
                print("Run `make generate` and commit the result (never edit generated/ by hand).")
                return 1
            print(f"check-generated: {target} is up to date.")
            return 0
        if target.exists():
            shutil.rmtree(target)
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh, target)
        print(f"generate: wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
