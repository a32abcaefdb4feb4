"""MockServer: MockOpenRouter served live by uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from types import TracebackType
from typing import Self

try:
    import uvicorn
except ImportError:  # depends on what is installed
    raise ImportError(
        "the mock server needs uvicorn: pip install 'openrouter-credits[mock]'"
    ) from None  # the message is the whole story: no chained traceback

from ._app import MockOpenRouter

__all__ = ["MockServer"]

START_TIMEOUT = 10.0


def _not_a_deliberate_drop(record: logging.LogRecord) -> bool:
    """uvicorn logs an app exception with its traceback; the 'drop' fault's is on purpose. It also
    warns of each malformed request, which a test sends on purpose too; the client gets its 400."""
    exc = record.exc_info[1] if record.exc_info else None
    return type(exc).__name__ != "_Dropped" and record.getMessage() != "Invalid HTTP request received."


logging.getLogger("uvicorn.error").addFilter(_not_a_deliberate_drop)


class MockServer:
    """Serve a MockOpenRouter on ``host`` (loopback) and ``port`` (0: a free one) until stopped.

    with MockServer() as server:
        client = CreditsClient(server.provisioning_key, base_url=server.base_url)
    """

    def __init__(self, app: MockOpenRouter | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app if app is not None else MockOpenRouter()
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say so, and without
        # it every response waits ~40 ms for a delayed ACK (Nagle).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level=logging.WARNING,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def connect_host(self) -> str:
        """An address a client on this machine connects to: the bound one, or loopback for 0.0.0.0 and ::."""
        return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url``: ``http://127.0.0.1:PORT/api/v1``."""
        host = self.connect_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/api/v1"

    @property
    def provisioning_key(self) -> str:
        return self.app.provisioning_key

    @property
    def inference_key(self) -> str:
        return self.app.inference_key

    @property
    def open_connections(self) -> int:
        """Client connections the server holds open right now."""
        return len(self._server.server_state.connections)

    def start(self) -> Self:
        """Start serving; return once the server accepts connections (or raise after 10 s)."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="openrouter-mock", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the mock server did not start on {self.host}:{self.port}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; waits up to a few seconds for open connections."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with contextlib.suppress(OSError):
            self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
