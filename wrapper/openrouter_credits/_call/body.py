"""Reading a response body within the size cap and the call's deadline, for the sync and async paths."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from .._text import valid_json

__all__ = ["DeadlineReached", "Received", "aread_body", "read_body"]


class Received:
    """What came back for one attempt, its body decoded and read with the size cap.

    The generated endpoint function is handed this in place of an ``httpx.Response``: it reads
    ``status_code``, ``headers``, ``content`` and ``json()``, and a second Response object built
    just to carry the capped body would cost more than the rest of the wrapper's work per call.
    """

    __slots__ = ("_json", "content", "headers", "reason_phrase", "status_code", "truncated")
    _json: Any

    def __init__(
        self, status_code: int, reason_phrase: str, headers: httpx.Headers, content: bytes, truncated: bool
    ) -> None:
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.headers = headers
        self.content = content
        self.truncated = truncated

    def json(self) -> Any:
        """The body parsed as JSON, once (the generated validation and models read it), every string in
        it valid text: the one place upstream's text is read, so a lone surrogate escape in a name
        (``"bad\\ud800key"``) reaches the models, the metrics, the page and the terminal as U+FFFD."""
        try:
            return self._json
        except AttributeError:
            self._json = valid_json(json.loads(self.content), self.content)
            return self._json


class DeadlineReached(httpx.ReadTimeout):
    pass


class _BodyReader:
    """Collects a body chunk by chunk, within the size cap and the call's deadline."""

    __slots__ = ("chunks", "deadline_at", "response", "room", "truncated")

    def __init__(self, response: httpx.Response, deadline_at: float, max_bytes: int) -> None:
        self.response = response
        self.deadline_at = deadline_at
        self.chunks: list[bytes] = []
        self.room = max_bytes
        self.truncated = False

    def feed(self, chunk: bytes) -> bool:
        """Take one chunk; True when reading should stop (the cap is passed)."""
        self.chunks.append(chunk[: self.room])
        self.room -= len(chunk)
        if self.room < 0:
            self.truncated = True
            return True
        if time.monotonic() > self.deadline_at:
            raise DeadlineReached(
                "the call's deadline ran out while reading the response", request=self.response.request
            )
        return False

    def received(self) -> Received:
        response = self.response
        return Received(
            response.status_code, response.reason_phrase, response.headers, b"".join(self.chunks), self.truncated
        )


def read_body(response: httpx.Response, deadline_at: float, max_bytes: int) -> Received:
    reader = _BodyReader(response, deadline_at, max_bytes)
    try:
        chunks: Iterator[bytes] = response.iter_bytes()
        for chunk in chunks:
            if reader.feed(chunk):
                break
    finally:
        response.close()
    return reader.received()


async def aread_body(response: httpx.Response, deadline_at: float, max_bytes: int) -> Received:
    reader = _BodyReader(response, deadline_at, max_bytes)
    try:
        chunks: AsyncIterator[bytes] = response.aiter_bytes()
        async for chunk in chunks:
            if reader.feed(chunk):
                break
    finally:
        await response.aclose()
    return reader.received()
