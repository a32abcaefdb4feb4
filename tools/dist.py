"""make dist: build the sdist and the wheel, and smoke-test each in a fresh virtual environment.

    python tools/dist.py [--outdir dist]

Each artifact is installed with the ``mock`` extra into a new virtual environment outside the
checkout; there the command answers ``--version``, and a script reads the balance from the mock
server through the library, so the packages, the console scripts and the pytest plugin are all
checked as a user gets them. Exits non-zero, saying which step failed, when any does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SMOKE = """
from openrouter_credits import CreditsClient, __version__
from openrouter_credits.testing import MockServer
from openrouter_credits_client.api.credits_ import get_credits

with MockServer() as server, CreditsClient(server.provisioning_key, base_url=server.base_url) as client:
    remaining = client.get_credits().remaining
    print(f"the library {__version__} read $" + format(remaining, ".2f") + " remaining from the mock server,",
          f"the generated package's {get_credits.__name__.rsplit('.', 1)[-1]} imported")
"""


def run(command: list[str], what: str, **options: object) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **options)  # type: ignore[call-overload]
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"dist: {what} failed (output above)")
    return str(result.stdout)


def smoke(artifact: Path, workdir: Path) -> str:
    """Install ``artifact[mock]`` into a fresh venv under ``workdir`` and use it; the output."""
    env_dir = workdir / f"venv-{artifact.suffix.strip('.')}"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, f"{artifact}[mock]"], f"installing {artifact.name}")
    version = run([str(env_dir / "bin" / "openrouter-credits"), "--version"], "openrouter-credits --version")
    used = run([python, "-c", SMOKE], f"the smoke test of {artifact.name}", cwd=workdir)
    plugins = run(
        [
            python,
            "-c",
            "import importlib.metadata as m; print(sorted(e.name for e in m.entry_points(group='pytest11')))",
        ],
        "listing pytest plugins",
    )
    return (
        f"installed with the mock extra in a new virtual environment; the command answered --version "
        f"({version.strip()}); {used.strip()}; the pytest plugins listed: {plugins.strip()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--outdir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    outdir = args.outdir.resolve()
    # --no-isolation: the pinned hatchling of requirements-dev.txt builds, the same on every machine.
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(ROOT)], "python -m build")
    artifacts = sorted(outdir.glob("openrouter_credits-*.tar.gz")) + sorted(outdir.glob("openrouter_credits-*.whl"))
    if len(artifacts) != 2:
        raise SystemExit(f"dist: expected one sdist and one wheel in {outdir}, found {[a.name for a in artifacts]}")
    with tempfile.TemporaryDirectory(prefix="openrouter-credits-dist-") as tmp:
        for artifact in artifacts:
            print(f"dist: {artifact.name}: {smoke(artifact, Path(tmp))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
