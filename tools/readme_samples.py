"""The README's sample outputs, made by running the commands against the mock on a fixed clock.

Each sample in README.md is a fenced block right under a ``<!-- sample: NAME -->`` line; this tool
makes every one of them again (the mock in process, ``main(argv)`` and the exporter in process, the
clock at ``NOW``) and compares, or writes them:

    python tools/readme_samples.py            # exit 1 and a diff when a sample is not what the code prints
    python tools/readme_samples.py --write    # write them into README.md

``tests/packaging/test_readme_samples.py`` runs the comparison. After changing what a command prints,
run ``--write`` and read the diff.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import difflib
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits.cli import main
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY, MockOpenRouter, MockServer

README = Path(__file__).resolve().parent.parent / "README.md"
#: The samples' clock: a Thursday afternoon (UTC), so that today has spend and the week three days.
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
MARK = re.compile(r"^( *)<!-- sample: ([a-z0-9-]+) -->\n\1```[a-z]*\n(.*?)^\1```", re.S | re.M)


def _clock() -> dt.datetime:
    return NOW


@contextlib.contextmanager
def _mock(setup: Callable[[MockOpenRouter], None] | None = None) -> Iterator[MockServer]:
    app = MockOpenRouter(clock=_clock)
    if setup is not None:
        setup(app)
    with MockServer(app) as server:
        yield server


def _run(server: MockServer, *argv: str, key: str = DEFAULT_PROVISIONING_KEY) -> tuple[str, str]:
    """``openrouter-credits ARGV`` in process against ``server``: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("OPENROUTER_API_KEY")
    os.environ["OPENROUTER_API_KEY"] = key
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main([*argv, "--base-url", server.base_url], clock=_clock)
    finally:
        if saved is None:
            os.environ.pop("OPENROUTER_API_KEY", None)
        else:
            os.environ["OPENROUTER_API_KEY"] = saved
    return out.getvalue(), err.getvalue()


def _follows_spend(**fields: Any) -> dict[str, Any]:
    """A listed key whose usage follows the mock's activity (what the activity deals it)."""
    return {"usage": None, "usage_daily": None, "usage_weekly": None, "usage_monthly": None, **fields}


#: The keys of the account in the keys samples: one near its limit, one daily, one without a limit.
THREE_KEYS = [
    {"name": "capped", "hash": "2" * 64, "label": "sk-or-v1-222...2222", "limit": 100.0, "usage": 95.0,
     "usage_daily": 1.0, "usage_weekly": 14.0, "usage_monthly": 30.0},
    {"name": "ci", "hash": "3" * 64, "label": "sk-or-v1-333...3333", "limit": 20.0, "limit_reset": "daily",
     "usage": 9.0, "usage_daily": 9.0, "usage_weekly": 9.0, "usage_monthly": 9.0},
    {"name": "small", "hash": "1" * 64, "label": "sk-or-v1-111...1111", "usage": 1.0, "usage_monthly": 1.0},
]  # fmt: skip
#: The keys of the workspaces samples (their usage what the default activity deals them).
WORKSPACE_KEYS = [
    _follows_spend(name="web", hash="1" * 64, label="sk-or-v1-111...1111", limit=5.0, limit_reset="monthly"),
    _follows_spend(name="ci", hash="3" * 64, label="sk-or-v1-333...3333"),
]


def _workspaces(app: MockOpenRouter) -> None:
    app.set_keys(WORKSPACE_KEYS)
    app.add_workspace("Research", keys=2)


def view() -> str:
    with _mock() as server:
        return _run(server)[0]


def view_json() -> str:
    """``--json`` of the default view, its 30 days, the forecast's 7 and its key object elided (``[...]``,
    ``{...}``)."""
    import json

    with _mock() as server:
        shown = json.loads(_run(server, "--json")[0])
    shown["daily_spend"] = [*shown["daily_spend"][:2], "..."]
    if shown.get("forecast"):
        shown["forecast"]["daily"] = [*shown["forecast"]["daily"][:1], "..."]
    shown["key"] = {name: shown["key"][name] for name in ("label", "is_management_key", "limit")} | {"...": "..."}
    text = json.dumps(shown, indent=2, ensure_ascii=False)
    return text.replace('"...": "..."', "...").replace('"..."\n', "...\n") + "\n"


def thresholds() -> str:
    with _mock() as server:
        return _run(server, "--below", "20", "--days-below", "300")[1]


def spike() -> str:
    """A management key's spike: the listed key has spent $2.00 today, the account $0.07 a day."""
    with _mock(lambda app: app.set_key(DEFAULT_INFERENCE_KEY, usage_daily=2.0, usage_weekly=2.2)) as server:
        return _run(server, "--spike", "3")[1]


def spend() -> str:
    with _mock() as server:
        lines = _run(server, "spend")[0].splitlines()
    return "\n".join([*lines[:4], "...", *lines[-2:]]) + "\n"


def spend_by_model() -> str:
    with _mock() as server:
        return _run(server, "spend", "--by", "model")[0]


def spend_by_provider() -> str:
    with _mock() as server:
        return _run(server, "spend", "--by", "provider")[0]


def spend_by_workspace() -> str:
    with _mock(_workspaces) as server:
        return _run(server, "spend", "--by", "workspace")[0]


def keys() -> str:
    with _mock(lambda app: app.set_keys(THREE_KEYS)) as server:
        return _run(server, "keys")[0]


def keys_workspaces() -> str:
    with _mock(_workspaces) as server:
        return _run(server, "keys")[0]


def keys_default_only() -> str:
    def setup(app: MockOpenRouter) -> None:
        app.set_keys(WORKSPACE_KEYS)
        app.set_refuse_workspaces(403)

    with _mock(setup) as server:
        return "".join(_run(server, "keys"))


def view_ordinary() -> str:
    def setup(app: MockOpenRouter) -> None:
        app.set_key(DEFAULT_INFERENCE_KEY, limit=10.0)
        app.set_budgets(DEFAULT_INFERENCE_KEY, guardrail={"limit": 5, "spend": 2, "reset_interval": "daily"})

    with _mock(setup) as server:
        return _run(server, key=DEFAULT_INFERENCE_KEY)[0]


#: The families of the exporter's sample, in order.
METRIC_FAMILIES = (
    "openrouter_credits_remaining_dollars",
    "openrouter_credits_spendable_dollars",
    "openrouter_credits_spendable_at_most_dollars",
    "openrouter_credits_time_left_seconds",
    "openrouter_credits_up",
    "openrouter_credits_poll_errors_total",
)


def metrics() -> str:
    """``serve``'s /metrics with a management key (team-a) and an ordinary one (team-b), after one poll
    each: the families of ``METRIC_FAMILIES`` (of the poll errors, the network's), then ``...``."""

    async def scrape(server: MockServer) -> str:
        specs = [KeySpec("team-a", DEFAULT_PROVISIONING_KEY), KeySpec("team-b", DEFAULT_INFERENCE_KEY)]
        clock = NOW.timestamp
        watcher = Exporter(
            specs, base_url=server.base_url, max_retries=0, clock=clock, monotonic=clock, client_clock=_clock
        )
        try:
            for spec in specs:
                await watcher.poll(spec.name)
            return watcher.route("GET", "/metrics")[1].decode()
        finally:
            await watcher.aclose()

    with _mock(lambda app: app.set_key(DEFAULT_INFERENCE_KEY, limit=10.0)) as server:
        text = asyncio.run(scrape(server))
    blocks: dict[str, list[str]] = {}
    for line in text.splitlines():
        name = line.split(" ", 3)[2] if line.startswith("#") else re.split(r"[{ ]", line, maxsplit=1)[0]
        blocks.setdefault(name, []).append(line)
    shown = [line for name in METRIC_FAMILIES for line in blocks[name] if 'kind="' not in line or "network" in line]
    return "\n".join(shown) + "\n...\n"


#: Each sample's name in the README, and what makes it.
SAMPLES: dict[str, Callable[[], str]] = {
    "view": view,
    "view-json": view_json,
    "thresholds": thresholds,
    "spike": spike,
    "spend": spend,
    "keys": keys,
    "keys-workspaces": keys_workspaces,
    "keys-default-only": keys_default_only,
    "spend-by-model": spend_by_model,
    "spend-by-provider": spend_by_provider,
    "spend-by-workspace": spend_by_workspace,
    "view-ordinary": view_ordinary,
    "metrics": metrics,
}


def _dedent(block: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in block.splitlines(keepends=True))


def _indent(block: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in block.splitlines(keepends=True))


def shown(text: str) -> dict[str, str]:
    """The samples the README holds now, by name (a block in a list item without its indent)."""
    return {match.group(2): _dedent(match.group(3), match.group(1)) for match in MARK.finditer(text)}


def made(names: list[str] | None = None) -> dict[str, str]:
    """The samples as the code makes them now."""
    return {name: SAMPLES[name]() for name in names or SAMPLES}


def rewrite(text: str, samples: dict[str, str]) -> str:
    """``text`` with each marked sample's block replaced by ``samples``'s."""

    def replace(match: re.Match[str]) -> str:
        indent, name = match.group(1), match.group(2)
        if name not in samples:
            return match.group(0)
        head = match.group(0)[: match.start(3) - match.start(0)]
        return head + _indent(samples[name], indent) + indent + "```"

    return MARK.sub(replace, text)


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the samples into README.md")
    args = parser.parse_args(argv)
    text = README.read_text()
    missing = sorted(set(SAMPLES) - set(shown(text)))
    if missing:
        print(f"README.md has no <!-- sample: NAME --> block for: {', '.join(missing)}", file=sys.stderr)
        return 1
    samples = made()
    new = rewrite(text, samples)
    if args.write:
        README.write_text(new)
        print(f"README.md: {len(samples)} samples written")
        return 0
    if new != text:
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), "README.md", "made"))
        print("\nThe README's samples differ: python tools/readme_samples.py --write", file=sys.stderr)
        return 1
    print(f"README.md: {len(samples)} samples as the code prints them")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
