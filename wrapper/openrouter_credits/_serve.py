"""``openrouter-credits serve``: the command-line side of the exporter (options, logging, signals)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from ._exceptions import ConfigurationError
from ._exporter import DEFAULT_LISTEN, Exporter, default_state_dir, redact_url
from ._keys import KeySpec
from ._settings import is_loopback

__all__ = ["listen_address", "serve"]

MIN_INTERVAL = 1.0


def listen_address(text: str) -> tuple[str, int]:
    """An argparse type: ``HOST:PORT`` (``[::1]:PORT`` for IPv6; ``:PORT`` for 127.0.0.1)."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not sep or not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (such as {DEFAULT_LISTEN}; port 0 to 65535)")
    return host, port


def check_notify_url(url: str) -> str:
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError("--notify-url is not a valid URL.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"--notify-url must be an http(s) URL, not {redact_url(url)}.")
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise ConfigurationError(
            f"--notify-url {redact_url(url)} uses plain http, which would send its token unencrypted: use https "
            "(plain http is allowed only to loopback addresses)."
        )
    return url


def serve(args: argparse.Namespace, keys: list[KeySpec]) -> int:
    """Run the exporter until SIGTERM or SIGINT; 0 then."""
    if args.interval < MIN_INTERVAL:
        raise ConfigurationError(f"--interval must be at least {MIN_INTERVAL:g} second, not {args.interval:g}.")
    notify = check_notify_url(args.notify_url) if args.notify_url else None
    if not args.debug:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request is noise here
    host, port = args.listen
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    exporter = Exporter(
        keys,
        interval=args.interval,
        base_url=args.base_url,
        timeout=args.timeout,
        deadline=args.deadline,
        max_retries=args.max_retries,
        notify_url=notify,
        state_dir=state_dir,
    )
    log = logging.getLogger("openrouter_credits.exporter")

    def ready(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        log.info(
            "Serving http://%s:%d/metrics and /healthz; polling %d key(s) (%s) every %g s%s",
            shown,
            bound_port,
            len(keys),
            ", ".join(spec.name for spec in keys),
            args.interval,
            f"; alerts to {redact_url(notify)}" if notify else "",
        )
        print(f"listening on http://{shown}:{bound_port}", flush=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, exporter.stop)
        await exporter.run(host, port, ready)

    try:
        asyncio.run(main())
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): pick another with --listen HOST:PORT."
        ) from None
    log.info("Stopped")
    return 0
