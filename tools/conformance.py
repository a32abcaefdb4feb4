"""make conformance: schemathesis's command line, every check, against the live mock server.

Starts the mock on a free loopback port, runs `schemathesis run --checks all` for the document as
published and as normalised, with the valid provisioning token and without it, and stops the mock.
Exits non-zero when any run finds a problem.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import normalise  # noqa: E402
from openrouter_credits.testing import DEFAULT_PROVISIONING_KEY, MockServer  # noqa: E402

EXAMPLES = "100"
SEED = "20261124"


def main() -> int:
    normalised = ROOT / "build" / "openapi.normalised.json"
    if normalise.main([str(ROOT / "openapi.yaml"), str(normalised)]) != 0:
        return 1
    schemathesis = str(Path(sys.executable).parent / "schemathesis")
    failed = []
    with MockServer() as server:
        for document in (ROOT / "openapi.yaml", normalised):
            for token in (True, False):
                label = f"{document.name}, {'valid token' if token else 'generated and missing tokens'}"
                command = [
                    schemathesis, "run", str(document), "--url", server.base_url, "--checks", "all",
                    "--mode", "all", "--max-examples", EXAMPLES, "--seed", SEED, "--generation-database", "none",
                ]  # fmt: skip
                if token:
                    command += ["--header", f"Authorization: Bearer {DEFAULT_PROVISIONING_KEY}"]
                print(f"conformance: {label}", flush=True)
                result = subprocess.run(command, capture_output=True, text=True, check=False)
                summary = [line for line in result.stdout.splitlines() if line.startswith("===")]
                print("   ", summary[-1].strip("= ") if summary else "(no summary)", flush=True)
                if result.returncode != 0:
                    print(result.stdout + result.stderr)
                    failed.append(label)
    if failed:
        print(f"conformance: {len(failed)} run(s) found problems: {'; '.join(failed)}", file=sys.stderr)
        return 1
    print("conformance: the mock conforms to both documents.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
