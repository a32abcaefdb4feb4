"""The exporter's tests: a webhook receiver on loopback that records each post."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

#: The token a webhook URL carries in its path: it must never reach a log.
TOKEN = "T0KEN-SECRET-8b7a"


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook: records each JSON post; answers ``status``."""

    posts: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.status == 200:
            Receiver.posts.append(json.loads(body))
        self.send_response(Receiver.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    """The URL of a fresh receiver (its posts in ``Receiver.posts``), with a token in its path."""
    Receiver.posts = []
    Receiver.status = 200
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hooks/{TOKEN}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
