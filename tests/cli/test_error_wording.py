"""How errors read on the command line: one sentence or two, each said once, one pair of brackets at a
time. A table of answers (httpx.MockTransport handlers) and the messages they give in the command's
terms; then the view's Keys line against the live mock."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from openrouter_credits import CreditsClient, OpenRouterCreditsError
from openrouter_credits.cli import main
from openrouter_credits.cli._common import CLI_TERMS
from openrouter_credits.testing import MockOpenRouter, MockServer

KEY = "sk-or-v1-wording-SECRET-management-4b0d"
URL = "https://openrouter.test/api/v1/credits"
NGINX = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
CLOUDFLARE = (
    b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>openrouter.ai | 502: Bad gateway</title>"
    b"<style>body { font: 14px sans-serif; }</style></head><body>" + b"<div>Cloudflare Ray ID</div>" * 200 + b"</body>"
)


def answer(code: int, content: bytes, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, content=content, headers=headers)


def raising(error: type[httpx.TimeoutException], text: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error(text, request=request)

    return handler


@pytest.mark.parametrize(
    ("handler", "retries", "message"),
    [
        (
            answer(502, NGINX),
            0,
            "OpenRouter failed to answer (HTTP 502: Bad Gateway). Try again later.",
        ),
        (
            answer(502, CLOUDFLARE, **{"content-type": "text/html"}),
            0,
            "OpenRouter failed to answer (HTTP 502: openrouter.ai | 502: Bad gateway). Try again later.",
        ),
        (
            answer(503, b"<html><body><h1>Service &amp; more</h1>\n<p>unavailable</p></body></html>"),
            0,
            "OpenRouter failed to answer (HTTP 503: Service & more unavailable). Try again later.",
        ),
        (
            answer(401, b'{"error": {"code": 401, "message": "User not found."}}', **{"x-request-id": "req-1"}),
            0,
            "OpenRouter did not accept the API key (HTTP 401: User not found). Check that OPENROUTER_API_KEY or "
            "--api-key-file holds a current key. (request id req-1)",
        ),
        (
            answer(503, b'{"error": {"code": 503, "message": "Overloaded"}}', **{"x-request-id": "req-2"}),
            2,
            "OpenRouter failed to answer (HTTP 503: Overloaded). Try again later. (request id req-2; after 3 attempts)",
        ),
        (
            raising(httpx.ReadTimeout, "timed out"),
            0,
            f"Timed out waiting for the response from {URL}. Check the network, or raise --timeout or --deadline.",
        ),
        (
            raising(httpx.ConnectTimeout, "The handshake operation timed out"),
            0,
            f"Timed out connecting to {URL}. Check the network, or raise --timeout or --deadline.",
        ),
        (
            raising(httpx.WriteTimeout, "[Errno 32] Broken pipe"),
            0,
            f"Timed out sending the request to {URL} ([Errno 32] Broken pipe). Check the network, or raise "
            "--timeout or --deadline.",
        ),
    ],
)
def test_messages(handler: Callable[[httpx.Request], httpx.Response], retries: int, message: str) -> None:
    """An HTML page by its title (or the start of its text), a server's message without a second full
    stop, a timeout said once, the request id and the attempts in one pair of brackets."""
    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        CreditsClient(
            KEY, base_url="https://openrouter.test/api/v1", http_client=http, max_retries=retries, sleep=lambda _: None
        ) as client,
        pytest.raises(OpenRouterCreditsError) as raised,
    ):
        client.get_credits()
    assert raised.value.describe(CLI_TERMS) == message


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockOpenRouter(provisioning_keys={KEY: (25.0, 7.5)})) as running:
        yield running


def test_keys_line_keeps_one_level_of_brackets(
    mock: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing failing after retries: Keys says unknown and why, with no brackets inside brackets."""
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    mock.app.fail_next(2, status=500, endpoint="keys")
    assert main(["--base-url", mock.base_url, "--max-retries", "1"]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Keys:")]
    assert re.fullmatch(
        r"Keys: unknown, since listing them failed: OpenRouter failed to answer \(HTTP 500: Injected fault: HTTP "
        r"500\)\. Try again later\. \(request id mock-\d+; after 2 attempts\)",
        line,
    )
    depth = 0
    for char in line:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth in (0, 1)
