"""``openrouter-credits serve``: the command-line side of the exporter (options, logging, signals).

Registering the command imports nothing of the exporter: the one-shot view stays cheap to start.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _defaults
from .._exceptions import ConfigurationError
from ._common import add_common, argument, day_count, dollars, interval_seconds, multiple, terms, the_key

if TYPE_CHECKING:
    from .._apps.config_file import ConfigFile
    from ..exporter._channels import Channel

__all__ = ["listen_address", "register", "run"]

connection_count = argument(int, lambda v: v >= 1, "a whole number of connections, 1 or more")


def listen_address(text: str) -> tuple[str, int]:
    """An argparse type: ``HOST:PORT`` (``[::1]:PORT`` for IPv6; ``:PORT`` for 127.0.0.1)."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]") or _defaults.DEFAULT_LISTEN_HOST
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not sep or not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT (such as {_defaults.DEFAULT_LISTEN}; port 0 to 65535)"
        )
    return host, port


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="a Prometheus exporter: /metrics, /healthz and a status page for one key or several, with alerts",
        description="Poll each key every --interval seconds and serve the results at /metrics (Prometheus "
        "text), /healthz and a status page for people at /; alert (a webhook, or the [notify.NAME] channels of "
        "--config) when a key crosses its below or days_below threshold or its spend spikes (spike: today's "
        "spend so far against the 7-day pace), and when it recovers; with [guard.NAME] tables in --config, "
        "disable (or cap) a key of the account that spikes or is bound to pass its limit, and undo it at the "
        "reset (a dry run unless dry_run = false). SIGHUP reloads --config; SIGTERM or Ctrl-C stops it.",
        allow_abbrev=False,
    )
    add_common(serve, config=True)
    serve.add_argument(
        "--listen",
        type=listen_address,
        default=listen_address(_defaults.DEFAULT_LISTEN),
        metavar="HOST:PORT",
        help=f"where to serve /metrics, /healthz and the status page / (default: {_defaults.DEFAULT_LISTEN}, this "
        "machine only)",
    )
    serve.add_argument(
        "--interval",
        type=interval_seconds,
        default=_defaults.DEFAULT_POLL_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between polls, 1 or more (default: {_defaults.DEFAULT_POLL_INTERVAL:g})",
    )
    serve.add_argument(
        "--max-connections",
        type=connection_count,
        default=_defaults.SERVE_MAX_CONNECTIONS,
        metavar="N",
        help="connections served at once; past them a new one gets a 503 and is closed (default: "
        f"{_defaults.SERVE_MAX_CONNECTIONS}, lowered at start if the open-files limit has no room for them)",
    )
    serve.add_argument(
        "--notify-url",
        metavar="URL",
        help='a webhook taking {"text": ...} (Slack, Mattermost, ...); better in $OPENROUTER_CREDITS_NOTIFY_URL, '
        "which the process list does not show",
    )
    serve.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where the alert state, the guards' restores and (without a ledger) the journal of changes to keys "
        "are kept (default: $XDG_STATE_HOME/openrouter-credits, else ~/.local/state/openrouter-credits)",
    )
    serve.add_argument(
        "--below",
        type=dollars,
        dest="alert_below",
        metavar="DOLLARS",
        help="alert when spendable is below DOLLARS (the key without --config)",
    )
    serve.add_argument(
        "--days-below",
        type=day_count,
        dest="alert_days_below",
        metavar="DAYS",
        help="alert when days left is below DAYS (the key without --config)",
    )
    serve.add_argument(
        "--spike",
        type=multiple,
        dest="alert_spike",
        metavar="N",
        help="alert when today's spend so far is above N times the 7-day average, prorated by the hour (UTC) "
        "(the key without --config; a management key's needs --config with discover = true)",
    )
    serve.add_argument(
        "--spike-min-dollars",
        type=dollars,
        dest="alert_spike_min_dollars",
        metavar="DOLLARS",
        help=f"... and at least DOLLARS (default: {_defaults.DEFAULT_SPIKE_MIN_DOLLARS:g})",
    )
    serve.add_argument(
        "--ledger",
        metavar="FILE|URL",
        help='write each poll\'s answers to this ledger (a file or a postgresql:// URL; or ledger = "..." in '
        "--config; default: none)",
    )
    serve.set_defaults(run=run)


def config_of(args: argparse.Namespace) -> ConfigFile:
    """The keys (and channels) to use: those of --config, or the one key of --api-key-file or the
    environment."""
    from .._apps.config_file import ConfigFile, KeySpec, load_config

    if args.config:
        if args.api_key_file:
            raise ConfigurationError("--config names the keys: leave out --api-key-file.")
        given = [args.alert_below, args.alert_days_below, args.alert_spike, args.alert_spike_min_dollars]
        if any(value is not None for value in given):
            raise ConfigurationError(
                "--config gives each key its thresholds: set below, days_below, spike and spike_min_dollars in "
                "the file."
            )
        return load_config(args.config)
    if args.alert_spike_min_dollars is not None and args.alert_spike is None:
        raise ConfigurationError("--spike-min-dollars goes with --spike N: give both, or neither.")
    minimum = (
        _defaults.DEFAULT_SPIKE_MIN_DOLLARS if args.alert_spike_min_dollars is None else args.alert_spike_min_dollars
    )
    spec = KeySpec(
        "default",
        the_key(args),
        args.alert_below,
        args.alert_days_below,
        spike=args.alert_spike,
        spike_min_dollars=minimum,
    )
    return ConfigFile((spec,))


def _ledger_writer(args: argparse.Namespace, config: ConfigFile) -> Any:
    """The ledger serve writes to, opened (and migrated) before it serves; None when none is named."""
    from ..ledger._location import configured

    if not configured(args.ledger, config.ledger):
        return None
    from ..exporter._ledger_hook import LedgerWriter
    from ..ledger import open_ledger, resolve

    origin = f"ledger in {config.path}" if config.path else "ledger in the config file"
    return LedgerWriter(open_ledger(resolve(args.ledger, config.ledger, origin)))


def _journal(args: argparse.Namespace, config: ConfigFile, state_dir: Path) -> tuple[Any, Any]:
    """Where the guards journal their changes: the ledger when one is named (a connection of its own:
    the poll writes go on apart), else the state directory; and what closes it."""
    from .._apps.journal import FileJournal, LedgerJournal
    from ..ledger._location import configured

    if not configured(args.ledger, config.ledger):
        return FileJournal(state_dir), lambda: None
    from ..ledger import open_ledger, resolve

    origin = f"ledger in {config.path}" if config.path else "ledger in the config file"
    ledger = open_ledger(resolve(args.ledger, config.ledger, origin))
    return LedgerJournal(ledger), ledger.close


def run(args: argparse.Namespace) -> int:
    """Run the exporter until SIGTERM or SIGINT (exit 0); SIGHUP reloads --config."""
    import asyncio
    import os
    import signal

    from .._logging import EXPORTER_LOGGER, configure
    from ..exporter import NOTIFY_URL_ENV, Exporter, check_notify_url, default_state_dir
    from ..exporter._http import Limits, raise_open_files_limit
    from ..exporter._notify_tables import channel_from_table
    from ..exporter._statedir import StateDir

    config = config_of(args)
    keys = config.keys
    if args.notify_url:
        notify: str | None = check_notify_url(args.notify_url)
    elif os.environ.get(NOTIFY_URL_ENV):
        notify = check_notify_url(os.environ[NOTIFY_URL_ENV], NOTIFY_URL_ENV)
    else:
        notify = None

    def channels_of(config: ConfigFile) -> dict[str, Channel]:
        """The channels of the file's [notify.NAME] tables (their secrets read now)."""
        if notify is not None and "notify-url" in config.notify:
            raise ConfigurationError(
                f"--config {config.path}: [notify.notify-url] is the name of --notify-url's channel: rename the table."
            )
        return {
            name: channel_from_table(
                name, table, f"--config {config.path}: [notify.{name}]", config.base_dir, os.environ
            )
            for name, table in config.notify.items()
        }

    channels = channels_of(config)
    ledger_writer = _ledger_writer(args, config)  # the ledger's errors: exit status 7 or 8 (_main)
    if not args.debug:
        configure(logging.INFO)
    host, port = args.listen
    state = StateDir(Path(args.state_dir) if args.state_dir else default_state_dir())
    try:
        journal, close_journal = _journal(args, config, state.path)  # the ledger's errors: 7 or 8 (_main)
    except BaseException:
        state.close()
        raise
    exporter = Exporter(
        keys,
        interval=args.interval,
        base_url=args.base_url,
        timeout=args.timeout,
        deadline=args.deadline,
        max_retries=args.max_retries,
        notify_url=notify,
        channels=channels,
        default_notify=config.default_notify,
        state=state,
        terms=terms(args),
        ledger=ledger_writer,
        teams=config.teams,
        guards=config.guards,
        journal=journal,
    )
    log = logging.getLogger(EXPORTER_LOGGER)
    soft, hard = raise_open_files_limit()
    log.debug("Open files limit: %d (hard %d)", soft, hard)

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        log.info(
            "Serving http://%s:%d/metrics, /healthz and the status page at /; polling %d key(s) (%s) every %s s%s",
            shown,
            bound_port,
            len(keys),
            ", ".join(spec.name for spec in keys),
            format(args.interval, ".15g"),
            f"; alerts to {', '.join(f'{n} ({c.kind})' for n, c in exporter.channels.items())}"
            if exporter.channels
            else "",
        )
        try:
            print(f"listening on http://{shown}:{bound_port}", flush=True)
        except (OSError, ValueError):  # a closed or broken stdout: the log line above says it all
            log.warning("Standard output cannot be written; serving on")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, exporter.stop)
        if args.config:  # one reload at a time, the file read off the loop (exporter/_reload.py)
            from .._apps.config_file import load_config
            from ..exporter._reload import Reloader

            reloader = Reloader(exporter, args.config, load=load_config, channels_of=channels_of, started=config)
            loop.add_signal_handler(signal.SIGHUP, reloader.request)
        else:
            loop.add_signal_handler(
                signal.SIGHUP, lambda: log.info("SIGHUP: nothing to reload (no --config); polling the same key")
            )
        await exporter.run(host, port, ready, limits=Limits(max_connections=args.max_connections))

    try:
        asyncio.run(main())
    finally:
        state.close()
        close_journal()
        if ledger_writer is not None:
            ledger_writer.close()
    log.info("Stopped")
    return 0
