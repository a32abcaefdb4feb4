"""openrouter-credits-mock: run the mock OpenRouter until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from types import FrameType

from ._app import MockOpenRouter
from ._records import ACTIVITY_DATE_FORMATS, FAULT_KINDS
from ._scenario import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY

EPILOG = f"""\
keys it accepts:
  {DEFAULT_PROVISIONING_KEY}   a management (provisioning) key: /credits, /activity, /keys, analytics
  {DEFAULT_INFERENCE_KEY}      an ordinary (inference) key: its own /key; listed by GET /keys
  (the control endpoint names a key by the key or by its label in GET /_mock/state)

control endpoint (loopback clients only), e.g. with curl:
  GET  /_mock/state
  POST /_mock/balance  {{"total_credits": 30, "total_usage": 29.5}}   ("key" picks a key)
  POST /_mock/faults   {{"kind": "status", "status": 503, "count": 2, "retry_after": 1, "endpoint": "credits"}}
                       {{"kind": "rate-limit", "rate_limit_reset": 30}}   (429 with X-RateLimit-Reset)
  POST /_mock/key      {{"key": "sk-or-v1-mock-inference", "limit": 10, "usage": 9.5}}
  POST /_mock/budgets  {{"key": "sk-or-v1-mock-inference", "guardrail": {{"limit": 5, "spend": 2}}}}
                       ("workspace" too; a number is a limit, null none; "reset_interval": "daily")
  POST /_mock/keys     {{"keys": [{{"name": "ci", "limit": 20, "limit_reset": "daily", "usage_daily": 9}}]}}
                       {{"add": 1000}}   (GET /keys: scripted keys, or generated ones added)
  POST /_mock/activity {{"daily": {{"2026-11-24": 1.25}}}}   (or "rows": [...]; neither: the default month)
  POST /_mock/history  {{"daily": {{"2026-02-10": 4.0}}}}   (all analytics reads; neither: the default year)
  POST /_mock/workspaces {{"add": {{"name": "Research", "keys": 40}}}}   (or "workspaces": [...])
  POST /_mock/options  {{"zero_credits_for_ordinary_keys": true, "activity_date_format": "datetime"}}
                       {{"refuse_workspaces": 403, "analytics_date_format": "date", "analytics_rate_limit": null}}
  POST /_mock/latency  {{"seconds": 0.5}}
  POST /_mock/reset
fault kinds: {", ".join(FAULT_KINDS)}
activity date formats: {", ".join(ACTIVITY_DATE_FORMATS)}
"""


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (a free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 0 (a free one) to 65535")
    return port


def amount(text: str) -> float:
    """An argparse type: a finite number of dollars, 0 or more (an account in debt has usage above
    its credits, never credits or usage below 0)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of dollars")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is below 0: give 0 or more dollars")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="openrouter-credits-mock",
        description="Serve a mock OpenRouter at http://HOST:PORT/api/v1: GET /credits, /key, /activity, /keys, "
        "/workspaces and /analytics/meta, and POST /analytics/query.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback)")
    parser.add_argument("--port", type=port_number, default=8080, help="port (default: 8080; 0 picks a free one)")
    parser.add_argument(
        "--credits", type=amount, default=25.0, help="total credits of the provisioning key (default: 25)"
    )
    parser.add_argument(
        "--usage",
        type=amount,
        default=7.5,
        help="total usage of the provisioning key (default: 7.5; above the credits: in debt)",
    )
    parser.add_argument(
        "--activity-date-format",
        choices=list(ACTIVITY_DATE_FORMATS),
        default="date",
        help="how /activity writes dates: YYYY-MM-DD (date, the default), YYYY-MM-DD HH:MM:SS (datetime, as "
        "the live API does) or RFC 3339 (rfc3339)",
    )
    args = parser.parse_args(argv)

    try:
        from ._server import MockServer
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    app = MockOpenRouter(
        provisioning_keys={DEFAULT_PROVISIONING_KEY: (args.credits, args.usage)},
        activity_date_format=args.activity_date_format,
    )
    try:
        server = MockServer(app, host=args.host, port=args.port)
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port} ({exc.strerror or exc}): pick another port with "
            "--port PORT (make mock PORT=...), or 0 for a free one.",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with server:
        print(f"Mock OpenRouter at {server.base_url}", flush=True)
        if server.host != server.connect_host:
            print(f"  listening on {args.host}, every interface of this machine", flush=True)
        print(f"  provisioning key: {DEFAULT_PROVISIONING_KEY}", flush=True)
        print(f"  inference key:    {DEFAULT_INFERENCE_KEY}", flush=True)
        print("Ctrl-C stops it.", flush=True)
        stop.wait()
    print("Mock OpenRouter stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
