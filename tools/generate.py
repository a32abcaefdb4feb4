"""Regenerate generated/openrouter_credits_client from openapi.yaml, or check that it is current.

    python tools/generate.py            # normalise, generate, replace generated/ (make generate)
    python tools/generate.py --check    # generate into a temporary folder and compare (make check-generated)

The package is always generated from scratch into an empty folder, so nothing of a removed model or
operation survives. The normalised document is kept at build/openapi.normalised.json for reading.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import importlib.util
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "openrouter_credits_client"
TEMPLATES = ROOT / "templates"
TEMPLATE_HASHES = TEMPLATES / "upstream.sha256"
#: Where the normalised document is kept for reading.
BUILD = ROOT / "build"
MAX_DIFF_LINES = 200

sys.path.insert(0, str(Path(__file__).resolve().parent))
import normalise  # noqa: E402
import selection  # noqa: E402


def upstream_templates() -> Path:
    """The pinned generator's own templates folder (found, not imported: a drift check that stops
    `make generate` does not wait for the generator to load)."""
    spec = importlib.util.find_spec("openapi_python_client")
    if spec is None or spec.origin is None:
        raise SystemExit("generate: openapi-python-client is not installed (make setup installs it)")
    return Path(spec.origin).parent / "templates"


def recorded_templates() -> dict[str, str]:
    """``{template name: sha256}`` from TEMPLATE_HASHES."""
    recorded = {}
    for line in TEMPLATE_HASHES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            recorded[name] = digest
    return recorded


def template_drift(upstream: Path) -> list[str]:
    """The generator templates our overrides copy or build on that changed since they were recorded."""
    problems = []
    for name, digest in recorded_templates().items():
        path = upstream / name
        actual = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        if actual != digest:
            problems.append(f"  {name}: recorded {digest[:12]}, the installed generator has {actual[:12]}")
    return problems


def record_templates(upstream: Path) -> None:
    """Record the hashes of the generator templates that templates/ builds on: those recorded already,
    and each one an override copies (a file of the same name in templates/), a new override included."""
    lines = [line for line in TEMPLATE_HASHES.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    names = dict.fromkeys(recorded_templates())
    for override in sorted(TEMPLATES.rglob("*.jinja")):
        name = override.relative_to(TEMPLATES).as_posix()
        if (upstream / name).is_file():
            names.setdefault(name)
    for name in names:
        lines.append(f"{hashlib.sha256((upstream / name).read_bytes()).hexdigest()}  {name}")
    TEMPLATE_HASHES.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate_into(spec: Path, config: Path, workdir: Path, report: normalise.Report, build: Path = BUILD) -> Path:
    """Generate the package under ``workdir``; return the package folder. The normalised document is
    kept in ``build``."""
    normalised = build / "openapi.normalised.json"
    if normalise.run(spec, normalised, config, report) != 0:
        raise SystemExit(1)
    # The generator runs in this process, as its command line would run it (``generate --path
    # NORMALISED --config SETTINGS --meta setup --fail-on-warning --custom-template-path templates``):
    # one interpreter and one import of it less for each generation.
    from openapi_python_client import generate
    from openapi_python_client.config import Config, ConfigFile, MetaType

    # The generator gets its own settings, without the project's select_operations.
    settings = {k: v for k, v in selection.load_config(config).items() if k != selection.CONFIG_KEY}
    project = workdir / "project"
    # A metadata type other than "none" makes the generator write py.typed; only the package folder
    # is kept from the project it writes.
    generator_config = Config.from_sources(ConfigFile(**settings), MetaType.SETUP, normalised, "utf-8", False, project)
    # The venv's bin folder first, so the generator's ruff hooks run the pinned ruff; its progress line
    # is not ours to print.
    with _bin_first_on_path(), contextlib.redirect_stdout(io.StringIO()):
        errors = generate(config=generator_config, custom_template_path=TEMPLATES.resolve())
    if errors:  # --fail-on-warning: a warning fails the generation too
        for error in errors:
            print(f"generate: {error.header}", file=sys.stderr)
            if error.detail:
                print(f"  {error.detail}", file=sys.stderr)
        print("generate: openapi-python-client failed (output above)", file=sys.stderr)
        raise SystemExit(1)
    return project / PACKAGE


@contextlib.contextmanager
def _bin_first_on_path() -> Iterator[None]:
    before = os.environ.get("PATH")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{before or ''}"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PATH"]
        else:
            os.environ["PATH"] = before


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
    parser.add_argument("--build", type=Path, default=BUILD, help="folder keeping the normalised document")
    parser.add_argument(
        "--record-templates",
        action="store_true",
        help="after reviewing templates/ against a new generator version: record its templates' hashes",
    )
    args = parser.parse_args(argv)

    if args.record_templates:
        record_templates(upstream_templates())
        print(f"generate: recorded the generator's templates in {TEMPLATE_HASHES.relative_to(ROOT)}")
        return 0
    drift = template_drift(upstream_templates())
    if drift:
        print("generate: the generator's templates that templates/ copies or builds on have changed:", file=sys.stderr)
        print("\n".join(drift), file=sys.stderr)
        print(
            "Compare each with its copy in templates/, carry the generator's change over, then run "
            "`python tools/generate.py --record-templates`.",
            file=sys.stderr,
        )
        return 1

    with tempfile.TemporaryDirectory(prefix="openrouter-credits-generate-") as tmp:
        fresh = generate_into(
            args.spec.resolve(), args.config.resolve(), Path(tmp), lambda line: print(f"normalise: {line}"), args.build
        )
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
