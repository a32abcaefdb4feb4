"""The sample outputs of README.md and docs/pypi.md, made by running the commands against the mock on
one fixed clock.

Each sample is a fenced block right under a ``<!-- sample: NAME -->`` line; this tool makes every one
of them again (the mock in process, ``main(argv)`` and the exporter in process, the clock at ``NOW``)
and compares, or writes them:

    python tools/readme_samples.py            # exit 1 and a diff when a sample is not what the code prints
    python tools/readme_samples.py --write    # write them into README.md and docs/pypi.md

``tests/packaging/test_readme_samples.py`` runs the comparison, one test per sample. After changing
what a command prints, run ``--write`` and read the diff.

The samples tell one story: they show one account (``ACCOUNT_KEYS`` in three workspaces, the default
mock's balance and spend), and a sample that needs something more says so where it is made (an
ordinary key's budget, a key's spike, workspaces refused). Each command's exit status is checked
too: a sample of a failing command is made only when it fails as it should.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import difflib
import functools
import hashlib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openrouter_credits._apps.config_file import KeySpec
from openrouter_credits.cli import main
from openrouter_credits.exporter import Exporter
from openrouter_credits.testing import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY, MockOpenRouter, MockServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PYPI = ROOT / "docs" / "pypi.md"
#: The samples' clock: a Thursday afternoon (UTC), so that today has spend and the week three days.
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
#: The ledger's first sync (not shown): a day before the session the README shows.
FIRST_SYNC = NOW - dt.timedelta(days=1)
#: Where the README says the default ledger is (the samples' data folder is a temporary one).
SHOWN_DATA_HOME = "/home/me/.local/share"
MARK = re.compile(r"^( *)<!-- sample: ([a-z0-9-]+) -->\n\1```[a-z]*\n(.*?)^\1```", re.S | re.M)


class Clock:
    """The mock's and the command's time: ``NOW``, but for the ledger's first sync."""

    now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def _follows_spend(**fields: Any) -> dict[str, Any]:
    """A listed key whose usage follows the mock's activity (what the activity deals it)."""
    return {"usage": None, "usage_daily": None, "usage_weekly": None, "usage_monthly": None, **fields}


#: The ordinary key of the samples is ``web``: its ``/key`` and its row of the listing say the same
#: (its hash, and its label as the mock's ``/key`` makes it from the hash).
WEB_HASH = hashlib.sha256(DEFAULT_INFERENCE_KEY.encode()).hexdigest()
WEB_LABEL = f"sk-or-v1-{WEB_HASH[:3]}...{WEB_HASH[-4:]}"
#: The account's keys in the default workspace (``ACCOUNT_WORKSPACES`` add theirs), each spending what
#: the activity deals it: ``web`` (the ordinary key) with a $10 limit that never resets, ``ci-build``
#: $0.03 a day (on course to reach it before midnight), ``deploy-api`` $1 a month.
ACCOUNT_KEYS = [
    _follows_spend(name="web", hash=WEB_HASH, label=WEB_LABEL, limit=10.0),
    _follows_spend(name="ci-build", hash="2" * 64, label="sk-or-v1-222...2222", limit=0.03, limit_reset="daily"),
    _follows_spend(name="deploy-api", hash="3" * 64, label="sk-or-v1-333...3333", limit=1.0, limit_reset="monthly"),
]
#: The account's other workspaces, each with its keys (``production-000``, ``research-000``, ...).
ACCOUNT_WORKSPACES = {"Production": 1, "Research": 2}
#: The teams of the "Who spent it" section (the README shows the file; the commands read it).
TEAMS = """\
[teams.platform]
keys = ["ci-*", "deploy-*"]        # name globs, labels (sk-or-v1-abc...wxyz) or hash prefixes (8+ hex digits)
workspaces = ["Production"]        # names or ids: every key of the workspace

[teams.research]
workspaces = ["Research"]
"""


def account(app: MockOpenRouter) -> None:
    """The samples' account: the default mock's balance and spend, ``ACCOUNT_KEYS`` and
    ``ACCOUNT_WORKSPACES``'s keys."""
    app.set_keys(ACCOUNT_KEYS)
    for name, keys in ACCOUNT_WORKSPACES.items():
        app.add_workspace(name, keys=keys)


@contextlib.contextmanager
def _mock(setup: Callable[[MockOpenRouter], None] | None = None, clock: Clock | None = None) -> Iterator[MockServer]:
    """The mock on the samples' clock, with the account and ``setup``'s changes."""
    app = MockOpenRouter(clock=clock or Clock())
    account(app)
    if setup is not None:
        setup(app)
    with MockServer(app) as server:
        yield server


@contextlib.contextmanager
def _environment(server: MockServer, key: str, data_home: str) -> Iterator[None]:
    """The command's environment: ``key`` and ``server``'s base URL, no ledger of the caller's (a
    ledger only in ``data_home``)."""
    saved = dict(os.environ)
    for name in ("OPENROUTER_CREDITS_LEDGER", "OPENROUTER_CREDITS_NOTIFY_URL"):
        os.environ.pop(name, None)
    os.environ.update({"OPENROUTER_API_KEY": key, "OPENROUTER_BASE_URL": server.base_url, "XDG_DATA_HOME": data_home})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run(
    server: MockServer,
    *argv: str,
    status: int = 0,
    key: str = DEFAULT_PROVISIONING_KEY,
    folder: str | None = None,
    clock: Clock | None = None,
) -> tuple[str, str]:
    """``openrouter-credits ARGV`` in process against ``server`` (in ``folder``: its data home and
    working directory, where ``teams.toml`` is): (stdout, stderr). Raises unless it exits ``status``,
    and, exiting 0, unless it says nothing on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
        stack.enter_context(_environment(server, key, folder))
        stack.enter_context(contextlib.chdir(folder))
        (Path(folder) / "teams.toml").write_text(TEAMS)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv), clock=clock or Clock())
            except SystemExit as exit:  # a usage error
                code = exit.code if isinstance(exit.code, int) else 2
    if code != status or (status == 0 and err.getvalue()):
        raise AssertionError(f"openrouter-credits {' '.join(argv)} exited {code}, not {status}: {err.getvalue()}")
    return out.getvalue().replace(folder, SHOWN_DATA_HOME), err.getvalue()


def _session(server: MockServer, *lines: str, folder: str | None = None, clock: Clock | None = None) -> str:
    """Each ``openrouter-credits ...`` line (optionally ``| head -N``) with what it prints."""
    shown = []
    for line in lines:
        command, _, head = line.partition(" | head -")
        printed = _run(server, *command.split()[1:], folder=folder, clock=clock)[0]
        if head:
            printed = "".join(printed.splitlines(keepends=True)[: int(head)])
        shown.append(f"$ {line}\n{printed}")
    return "".join(shown)


# --- the default view -------------------------------------------------------------------------------


def view() -> str:
    with _mock() as server:
        return _run(server)[0]


def view_json() -> str:
    """``--json`` of the default view, its 30 days, the forecast's 7 and its key object elided (``[...]``,
    ``{...}``)."""
    with _mock() as server:
        shown = json.loads(_run(server, "--json")[0])
    shown["daily_spend"] = [*shown["daily_spend"][:2], "..."]
    if shown.get("forecast"):
        shown["forecast"]["daily"] = [*shown["forecast"]["daily"][:1], "..."]
    shown["key"] = {name: shown["key"][name] for name in ("label", "is_management_key", "limit")} | {"...": "..."}
    text = json.dumps(shown, indent=2, ensure_ascii=False)
    return text.replace('"...": "..."', "...").replace('"..."\n', "...\n") + "\n"


#: The README's thresholds, in the order of its block of their lines: each trips.
THRESHOLDS = (("--below", "20"), ("--days-below", "300"), ("--days-below", "210", "--conservative"))


def thresholds() -> str:
    with _mock() as server:
        return "".join(_run(server, *args, status=1)[1] for args in THRESHOLDS)


def spike() -> str:
    """The account's spike: ``web`` has spent $2.00 today, the account about $0.08 a day."""

    def spent_today(app: MockOpenRouter) -> None:
        app.set_keys([{**key, "usage_daily": 2.0} if key["name"] == "web" else key for key in ACCOUNT_KEYS])

    with _mock(spent_today) as server:
        return _run(server, "--spike", "3", status=1)[1]


def _budgeted(app: MockOpenRouter) -> None:
    """``web``'s ``/key``: its $10 limit (as the listing has it), and a guardrail's daily $5 budget, $2
    of it spent."""
    app.set_key(DEFAULT_INFERENCE_KEY, limit=10.0)
    app.set_budgets(DEFAULT_INFERENCE_KEY, guardrail={"limit": 5, "spend": 2, "reset_interval": "daily"})


def view_ordinary() -> str:
    """``web``'s own view: its $10 limit, and a guardrail's daily $5 budget, $2 of it spent."""
    with _mock(_budgeted) as server:
        return _run(server, key=DEFAULT_INFERENCE_KEY)[0]


# --- spend and keys -----------------------------------------------------------------------------------


def spend() -> str:
    with _mock() as server:
        lines = _run(server, "spend")[0].splitlines()
    return "\n".join([*lines[:4], "...", *lines[-2:]]) + "\n"


def _spend_by(dimension: str) -> Callable[[], str]:
    def made() -> str:
        with _mock() as server:
            return _run(server, "spend", "--by", dimension)[0]

    made.__name__ = f"spend_by_{dimension}"
    return made


def keys() -> str:
    with _mock() as server:
        return _run(server, "keys")[0]


def keys_default_only() -> str:
    """The account's keys when ``GET /workspaces`` is refused: the default workspace's, saying so."""
    with _mock(lambda app: app.set_refuse_workspaces(403)) as server:
        return "".join(_run(server, "keys"))


# --- who spent it ---------------------------------------------------------------------------------------


def teams_file() -> str:
    return TEAMS


def teams() -> str:
    with _mock() as server:
        return _session(
            server,
            "openrouter-credits keys --config teams.toml",
            "openrouter-credits spend --by team --config teams.toml",
        )


def spend_by_user() -> str:
    with _mock() as server:
        return _session(server, "openrouter-credits spend --by user")


def spend_by_user_unavailable() -> str:
    """``spend --by user`` where the analytics API offers no end-user dimension."""
    with _mock(lambda app: app.set_analytics_dimensions(["model", "api_key_id", "user", "app"])) as server:
        return _run(server, "spend", "--by", "user", status=3)[1]


# --- the library -----------------------------------------------------------------------------------------


def analytics() -> str:
    """What the README's analytics example (the Python block before its sample) prints."""
    text = README.read_text()
    before = text[: text.index("<!-- sample: analytics -->")]
    code = before[before.rindex("```python\n") + len("```python\n") :].split("```", 1)[0]
    printed = io.StringIO()
    with (
        _mock() as server,
        tempfile.TemporaryDirectory() as folder,
        _environment(server, DEFAULT_PROVISIONING_KEY, folder),
        contextlib.redirect_stdout(printed),
    ):
        exec(compile(code, "README.md (analytics)", "exec"), {})  # noqa: S102
    return printed.getvalue()


# --- the ledger -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _ledger() -> Iterator[tuple[MockServer, str, Clock]]:
    """The mock and a data folder whose ledger had its first sync a day ago (at ``FIRST_SYNC``)."""
    clock = Clock()
    clock.now = FIRST_SYNC
    with tempfile.TemporaryDirectory() as folder, _mock(clock=clock) as server:
        _run(server, "sync", "--quiet", folder=folder, clock=clock)
        clock.now = NOW
        yield server, folder, clock


#: The README's ledger session, a day after the first sync.
LEDGER_SESSION = (
    "openrouter-credits sync",
    "openrouter-credits report",
    "openrouter-credits report --month 2026-10 --by model",
    "openrouter-credits report --month 2026-10 --by key,model --format focus | head -3",
    "openrouter-credits history --days 35 | head -6",
)


def ledger_session() -> str:
    with _ledger() as (server, folder, clock):
        return _session(server, *LEDGER_SESSION, folder=folder, clock=clock)


def report_by_team() -> str:
    with _ledger() as (server, folder, clock):
        return _session(server, "openrouter-credits report --month 2026-10 --by team --config teams.toml",
                        folder=folder, clock=clock)  # fmt: skip


# --- serve -----------------------------------------------------------------------------------------------

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
    """``serve``'s /metrics with a management key (team-a) and the ordinary one, ``web``, with its
    limit and budget (team-b), after one poll each: the families of ``METRIC_FAMILIES`` (of the poll
    errors, the network's), then ``...``."""
    clock = Clock()

    async def scrape(server: MockServer) -> str:
        specs = [KeySpec("team-a", DEFAULT_PROVISIONING_KEY), KeySpec("team-b", DEFAULT_INFERENCE_KEY)]
        wall = NOW.timestamp
        watcher = Exporter(
            specs, base_url=server.base_url, max_retries=0, clock=wall, monotonic=wall, client_clock=clock
        )
        try:
            for spec in specs:
                await watcher.poll(spec.name)
            return watcher.route("GET", "/metrics")[1].decode()
        finally:
            await watcher.aclose()

    with _mock(_budgeted, clock) as server:
        text = asyncio.run(scrape(server))
    blocks: dict[str, list[str]] = {}
    for line in text.splitlines():
        name = line.split(" ", 3)[2] if line.startswith("#") else re.split(r"[{ ]", line, maxsplit=1)[0]
        blocks.setdefault(name, []).append(line)
    shown = [line for name in METRIC_FAMILIES for line in blocks[name] if 'kind="' not in line or "network" in line]
    return "\n".join(shown) + "\n...\n"


#: Each sample's name, and what makes it.
SAMPLES: dict[str, Callable[[], str]] = {
    "view": view,
    "view-ordinary": view_ordinary,
    "view-json": view_json,
    "thresholds": thresholds,
    "spike": spike,
    "spend": spend,
    "keys": keys,
    "keys-default-only": keys_default_only,
    "spend-by-model": _spend_by("model"),
    "spend-by-provider": _spend_by("provider"),
    "spend-by-workspace": _spend_by("workspace"),
    "teams-file": teams_file,
    "teams": teams,
    "spend-by-user": spend_by_user,
    "spend-by-user-unavailable": spend_by_user_unavailable,
    "analytics": analytics,
    "report-by-team": report_by_team,
    "ledger-session": ledger_session,
    "metrics": metrics,
}
#: The pages, each with the samples it shows.
PAGES: dict[Path, tuple[str, ...]] = {README: tuple(SAMPLES), PYPI: ("view",)}


def _dedent(block: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in block.splitlines(keepends=True))


def _indent(block: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in block.splitlines(keepends=True))


def shown(text: str) -> dict[str, str]:
    """The samples a page holds now, by name (a block in a list item without its indent)."""
    return {match.group(2): _dedent(match.group(3), match.group(1)) for match in MARK.finditer(text)}


@functools.cache
def make(name: str) -> str:
    """The sample ``name`` as the code makes it now."""
    return SAMPLES[name]()


def rewrite(text: str, samples: dict[str, str]) -> str:
    """``text`` with each marked sample's block replaced by ``samples``'s."""

    def replace(match: re.Match[str]) -> str:
        indent, name = match.group(1), match.group(2)
        if name not in samples:
            return match.group(0)
        head = match.group(0)[: match.start(3) - match.start(0)]
        return head + _indent(samples[name], indent) + indent + "```"

    return MARK.sub(replace, text)


def problems() -> list[str]:
    """What is wrong with the pages' markers: a sample a page lacks, or a marker no sample has."""
    found = []
    for page, names in PAGES.items():
        marked = shown(page.read_text())
        relative = page.relative_to(ROOT)
        found += [f"{relative} has no <!-- sample: {name} --> block" for name in names if name not in marked]
        found += [
            f"{relative}: no sample is named {name} (tools/readme_samples.py)" for name in marked if name not in names
        ]
    return found


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the samples into README.md and docs/pypi.md")
    args = parser.parse_args(argv)
    wrong = problems()
    if wrong:
        print("\n".join(wrong), file=sys.stderr)
        return 1
    samples = {name: make(name) for name in SAMPLES}
    differ = False
    for page in PAGES:
        text = page.read_text()
        new = rewrite(text, samples)
        relative = str(page.relative_to(ROOT))
        if args.write:
            page.write_text(new)
        elif new != text:
            differ = True
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True), relative, "made"))
    if differ:
        print("\nThe samples differ: python tools/readme_samples.py --write", file=sys.stderr)
        return 1
    print(f"{len(samples)} samples {'written' if args.write else 'as the code prints them'}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
