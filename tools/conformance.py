"""make conformance: schemathesis's command line, every check, against the live mock server.

Starts the mock on a free loopback port, runs `schemathesis run` with every check (all are on unless
the configuration turns one off for an operation: see config_toml) for the operations the mock
serves, cut from openapi.yaml as published and as normalised, with the valid provisioning token and
without it, and stops the mock. Exits non-zero when any run finds a problem.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import normalise  # noqa: E402
import selection  # noqa: E402
from openrouter_credits.testing import DEFAULT_PROVISIONING_KEY, MockOpenRouter, MockServer  # noqa: E402

EXAMPLES = "100"
SEED = "20261124"


#: The operations the mock serves; the documents are cut down to these.
MOCKED = (
    "GET /credits",
    "GET /key",
    "GET /activity",
    "GET /keys",
    "GET /keys/{hash}",
    "PATCH /keys/{hash}",
    "GET /workspaces",
    "POST /analytics/query",
    "GET /analytics/meta",
)
#: Operations whose valid requests the document cannot fully describe: the metric and dimension
#: names of an analytics query come from GET /analytics/meta, and a key's new limit is an amount of
#: dollars (a negative one is refused), so a request the schema allows may get the 400 the document
#: declares for it. schemathesis's positive_data_acceptance expects it there.
REFUSES_SOME_VALID_DATA = ("/analytics/query", "/keys/{hash}")
#: What schemathesis's positive_data_acceptance accepts by default, and with the documented 400.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
#: Operations with parameters the API checks but whose document declares no 400 for them: GET
#: /workspaces (limit 1 to 100, offset 0 or more). The mock answers a value out of range, or a
#: parameter the operation does not have, with OpenRouter's 400, which status_code_conformance would
#: report as undocumented (only the command line's runs send such requests with a valid key).
UNDOCUMENTED_400 = ("/workspaces",)


def config_toml() -> str:
    """schemathesis.toml for the command line: the documented 400 for the operations above, and no
    status_code_conformance for those whose document lacks the 400 the API sends."""
    accepted = ", ".join(f'"{status}"' for status in [*ACCEPTED, "400"])
    acceptance = f"positive_data_acceptance.expected-statuses = [{accepted}]"
    settings = [(path, acceptance) for path in REFUSES_SOME_VALID_DATA]
    settings += [(path, "status_code_conformance.enabled = false") for path in UNDOCUMENTED_400]
    return "\n".join(f'[[operations]]\ninclude-path = "{path}"\nchecks.{setting}\n' for path, setting in settings)


def mock_app() -> MockOpenRouter:
    """The mock as conformance runs see it: without its analytics rate limit (64 requests a minute, then
    a 429 the document does not declare), which a run of hundreds of requests would reach."""
    return MockOpenRouter(analytics_rate_limit=None)


def documents(spec: Path = ROOT / "openapi.yaml") -> dict[str, dict[str, Any]]:
    """``{"published": ..., "normalised": ...}``: the mocked operations of ``spec`` as upstream wrote
    them (with what they reach) and as the normaliser makes them."""
    wanted = [selection.Operation(text, required=True) for text in MOCKED]
    quiet = lambda line: None  # noqa: E731  (make generate already printed the repairs)
    doc = normalise.load(spec)
    return {"published": selection.select(doc, wanted, quiet), "normalised": normalise.normalise(doc, wanted, quiet)}


def summarise(output: str, *, expect_auth_warning: bool) -> str:
    """One line for a run: its test-case count, and what a warning means when it is the expected one.

    Without a valid token every answer is a 401, and schemathesis warns "Authentication failed":
    that is what the run tests, so it is said so rather than left to look like a problem.
    """
    lines = [line.strip() for line in output.splitlines()]
    cases = next((lines[i + 1] for i, line in enumerate(lines[:-1]) if line == "Test cases:"), "no test-case count")
    warnings = [line for line in lines if line.startswith("⚠️")]
    expected = [w for w in warnings if "Authentication failed" in w] if expect_auth_warning else []
    # The analytics query: generated metric names are rarely ones the API offers (its documented 400).
    refused = [w for w in warnings if "mostly rejected generated data" in w and not expect_auth_warning]
    others = [w.removeprefix("⚠️").strip() for w in warnings if w not in expected and w not in refused]
    text = f"test cases: {cases}"
    if expected:
        text += " (every answer was the 401 this run expects)"
    if refused:
        text += " (most generated analytics queries name metrics the API does not offer: its documented 400)"
    if others:
        text += "; warnings: " + "; ".join(others)
    return text


def main() -> int:
    schemathesis = str(Path(sys.executable).parent / "schemathesis")
    failed = []
    with MockServer(mock_app()) as server, tempfile.TemporaryDirectory(prefix="openrouter-credits-conformance-") as tmp:
        config = Path(tmp) / "schemathesis.toml"
        config.write_text(config_toml(), encoding="utf-8")
        paths = []
        for name, doc in documents().items():
            paths.append(Path(tmp) / f"openapi.{name}.json")
            paths[-1].write_text(normalise.dump(doc), encoding="utf-8")
        for document in paths:
            for token in (True, False):
                label = f"{document.name}, {'valid token' if token else 'generated and missing tokens'}"
                command = [
                    schemathesis, "--config-file", str(config),
                    "run", str(document), "--url", server.base_url, "--mode", "all",
                    "--max-examples", EXAMPLES, "--seed", SEED, "--generation-database", "none",
                ]  # fmt: skip
                if token:
                    command += ["--header", f"Authorization: Bearer {DEFAULT_PROVISIONING_KEY}"]
                print(f"conformance: {label}", flush=True)
                # In the temporary folder: schemathesis keeps a cache in its working directory.
                result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp)
                print("   ", summarise(result.stdout, expect_auth_warning=not token), flush=True)
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
