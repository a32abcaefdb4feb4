"""make demo: the command doing its job against the mock OpenRouter on a free loopback port.

Shows the balance view, --json, --format prometheus, --below and --days-below tripping with exit
status 1, the spend chart and the spend per model, every key of the account, and what an ordinary
(inference) key sees: its own view, exit status 0.
The mock stops afterwards, whatever happens. Exits non-zero if any step does not end the way it
should.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openrouter_credits.testing import MockServer

COMMAND = str(Path(sys.executable).parent / "openrouter-credits")

STEPS = [
    ("provisioning", [], 0),
    ("provisioning", ["--json"], 0),
    ("provisioning", ["--format", "prometheus"], 0),
    ("provisioning", ["--below", "20"], 1),
    ("provisioning", ["--days-below", "365"], 1),
    ("provisioning", ["spend"], 0),
    ("provisioning", ["spend", "--by", "model"], 0),
    ("provisioning", ["keys"], 0),
    ("inference", [], 0),
    ("inference", ["--below", "5"], 3),
]


def main() -> int:
    unexpected = 0
    with MockServer() as server:
        keys = {"provisioning": server.provisioning_key, "inference": server.inference_key}
        print(f"Mock OpenRouter at {server.base_url} (stopped when the demo ends)\n")
        for kind, args, expected in STEPS:
            env = {**os.environ, "OPENROUTER_API_KEY": keys[kind]}
            shown = " ".join(["openrouter-credits", *args])
            print(f"$ OPENROUTER_API_KEY=<{kind} key> {shown}", flush=True)
            result = subprocess.run([COMMAND, "--base-url", server.base_url, *args], env=env, timeout=60, check=False)
            print(f"[exit status {result.returncode}]\n", flush=True)
            if result.returncode != expected:
                print(f"demo: expected exit status {expected}", file=sys.stderr)
                unexpected += 1
    print("Mock OpenRouter stopped.")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
