"""``openrouter-credits guard log``: the journal of changes to the account's keys, the guards' (of
``serve``) and the command's (``keys disable``, ...), oldest first: from the ledger when one is named
(``--ledger``, ``ledger = "..."`` in ``--config``, ``$OPENROUTER_CREDITS_LEDGER``), else from the state
directory."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from ._common import EXIT_OK, argument
from .key_changes import journal_options, open_journal

if TYPE_CHECKING:
    from .._apps.journal import JournalEntry

__all__ = ["log_table", "register", "run_log"]

DEFAULT_LAST = 50
entry_count = argument(int, lambda v: v >= 1, "a whole number of entries, 1 or more")


def register(commands: Any) -> None:
    guard = commands.add_parser(
        "guard",
        help="the guards of serve: guard log prints the journal of changes to the account's keys",
        description="The guards of serve act on the account's keys ([guard.NAME] tables of its --config). "
        "guard log prints the journal of every change to a key, a guard's or the command's (keys disable, "
        "enable, set-limit, remove-limit), oldest first.",
        allow_abbrev=False,
    )
    actions = guard.add_subparsers(dest="guard_action", metavar="ACTION", title="actions", required=True)
    log = actions.add_parser(
        "log",
        help="the journal of changes to the account's keys, oldest first",
        description="The journal of changes to the account's keys, oldest first: when, by whom (cli, or a "
        "guard's name), which key, the action, its outcome (done, failed, dry_run: what a guard in a dry run "
        "would have done, skipped, unknown: sent, and its answer never came: it may have been made), the "
        "fields before and after, and why. From the ledger when one is named, else from the state directory.",
        allow_abbrev=False,
    )
    log.add_argument("--json", action="store_true", dest="log_json", help="print a JSON list of the entries")
    log.add_argument(
        "--last",
        type=entry_count,
        default=DEFAULT_LAST,
        metavar="N",
        help=f"the last N entries (default: {DEFAULT_LAST})",
    )
    journal_options(log)
    log.add_argument(
        "--config",
        metavar="FILE",
        help='a TOML file whose top-level ledger = "..." names the ledger (as serve reads it)',
    )
    log.add_argument("--debug", action="store_true", help="show DEBUG logs and tracebacks")
    log.set_defaults(run=run_log)


def log_table(entries: list[JournalEntry]) -> str:
    """One line an entry: time, by, key, action, outcome, change, reason (names shown safely)."""
    from .._apps.journal import changes_text
    from .._text import shown

    header = ("Time", "By", "Key", "Action", "Outcome", "Change", "Reason")
    table = [header]
    for entry in entries:
        table.append(
            (
                entry.at.strftime("%Y-%m-%d %H:%M UTC"),
                shown(entry.actor),
                f"{shown(entry.key_name)} ({entry.key_hash[:12]})",
                entry.action,
                entry.outcome,
                shown(changes_text(entry.before, entry.after), 80),
                shown(entry.reason, 200),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)), row[-1]]).rstrip()
             for row in table]  # fmt: skip
    return "\n".join(lines)


def run_log(args: argparse.Namespace) -> int:
    from .._apps.config_file import ledger_setting

    config_ledger = ledger_setting(args.config) if args.config else None
    journal, close = open_journal(args, config_ledger)  # the ledger's and the journal's errors: 7 or 8 (_main)
    try:
        entries = journal.entries(last=args.last)
    finally:
        close()
    if args.log_json:
        print(json.dumps([entry.to_json() for entry in entries]))
    elif entries:
        print(log_table(entries))
    else:
        print(f"No changes to keys in {journal.where}.")
    skipped = getattr(journal, "skipped", 0)
    if skipped:
        print(f"note: {skipped} line(s) of {journal.where} are not entries (cut short, or not written by "
              "openrouter-credits): skipped.", file=sys.stderr)  # fmt: skip
    return EXIT_OK
