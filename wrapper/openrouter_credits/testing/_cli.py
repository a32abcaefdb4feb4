"""openrouter-credits-mock: run the mock OpenRouter until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._app import DEFAULT_INFERENCE_KEY, DEFAULT_PROVISIONING_KEY, FAULT_KINDS, MockOpenRouter

EPILOG = f"""\
control endpoint (loopback clients only), e.g. with curl:
  GET  /_mock/state
  POST /_mock/balance  {{"total_credits": 30, "total_usage": 29.5}}   ("key" picks a key)
  POST /_mock/faults   {{"kind": "status", "status": 503, "count": 2, "retry_after": 1}}
  POST /_mock/latency  {{"seconds": 0.5}}
  POST /_mock/reset
fault kinds: {", ".join(FAULT_KINDS)}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="openrouter-credits-mock",
        description="Serve a mock OpenRouter credits endpoint at http://HOST:PORT/api/v1/credits.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback)")
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080; 0 picks a free one)")
    parser.add_argument("--credits", type=float, default=25.0, help="total credits of the provisioning key")
    parser.add_argument("--usage", type=float, default=7.5, help="total usage of the provisioning key")
    args = parser.parse_args(argv)

    from ._server import MockServer

    app = MockOpenRouter(provisioning_keys={DEFAULT_PROVISIONING_KEY: (args.credits, args.usage)})
    try:
        server = MockServer(app, host=args.host, port=args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with server:
        print(f"Mock OpenRouter at {server.base_url}", flush=True)
        print(f"  provisioning key: {DEFAULT_PROVISIONING_KEY}", flush=True)
        print(f"  inference key:    {DEFAULT_INFERENCE_KEY}", flush=True)
        print("Ctrl-C stops it.", flush=True)
        stop.wait()
    print("Mock OpenRouter stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
