"""One call, attempt by attempt: each attempt's timeout, what its outcome means, whether to retry.

Written once for the sync and async clients, which only send and sleep. The retry rule
(``retry_delay``) is a plain function, tested with a table of cases.
"""

from __future__ import annotations

import logging
import time
from typing import Generic, TypeVar

import httpx

from .. import _defaults
from .._exceptions import APIConnectionError, APIStatusError, APITimeoutError, OpenRouterCreditsError
from .._logging import LIBRARY_LOGGER
from .._settings import Settings
from .body import Received
from .operations import Detailed, InvalidAnswer, Operation
from .outcomes import status_error, transport_error, validation_error

__all__ = ["Call", "backoff", "retry_delay"]

logger = logging.getLogger(LIBRARY_LOGGER)

T = TypeVar("T")


def backoff(retries_done: int, jitter: float) -> float:
    """Exponential backoff: 0.5 s, 1 s, 2 s, ... up to 8 s, less ``jitter`` (0..1) times a quarter."""
    delay = min(_defaults.INITIAL_RETRY_DELAY * 2.0**retries_done, _defaults.MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * jitter)


def retry_delay(
    error: OpenRouterCreditsError, retries_done: int, max_retries: int, time_left: float, jitter: float
) -> float | None:
    """Seconds to wait before the next attempt, or None to raise ``error`` now."""
    if retries_done >= max_retries:
        return None
    if isinstance(error, APIStatusError):
        if error.status_code not in _defaults.RETRY_STATUSES:
            return None
        if error.retry_after is not None:
            if error.retry_after > _defaults.MAX_RETRY_AFTER:
                return None
            delay = error.retry_after
        else:
            delay = backoff(retries_done, jitter)
    elif isinstance(error, APIConnectionError):
        delay = backoff(retries_done, jitter)
    else:
        return None
    return delay if delay < time_left else None


def _never_sent(error: OpenRouterCreditsError) -> bool:
    """Whether the server surely did not act on the request: it refused it as rate limited (429). Only
    then is a request that is not idempotent sent again (a 5xx or a broken connection may come after
    the server acted on it)."""
    return isinstance(error, APIStatusError) and error.status_code == 429


class Call(Generic[T]):
    """The state of one call of ``operation``; the clients do the I/O it asks for."""

    __slots__ = ("attempt", "deadline_at", "operation", "settings", "url")

    def __init__(self, settings: Settings, operation: Operation[T]) -> None:
        self.settings = settings
        self.operation = operation
        self.url = settings.base_url + operation.path
        self.deadline_at = time.monotonic() + settings.deadline
        self.attempt = 0

    def next_timeout(self) -> httpx.Timeout:
        """The timeout for the next attempt: the configured one, cut to what is left of the deadline."""
        self.attempt += 1
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise APITimeoutError(
                f"The call to {self.url} ran out of its {self.settings.deadline:g} s deadline.", url=self.url
            )
        t = self.settings.timeout
        if left >= self.settings.longest_timeout:
            return t

        def cut(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(connect=cut(t.connect), read=cut(t.read), write=cut(t.write), pool=cut(t.pool))

    def settle(
        self, received: Received | None, response: Detailed | None, exc: BaseException | None, sent_at: float
    ) -> T | float:
        """The result, or the seconds to wait before retrying; raises the error when it is final.

        ``response`` is what the generated endpoint returned (None when it raised ``exc``).
        """
        error = self._error(received, response, exc, sent_at)
        if error is None:
            assert response is not None
            assert received is not None
            try:
                return self.operation.result(response.parsed)
            except InvalidAnswer as invalid:  # never retried: the same answer would come again
                error = validation_error(received, self, str(invalid))
        import random  # only a failed attempt needs it

        time_left = self.deadline_at - time.monotonic()
        retries = self.settings.max_retries if self.operation.idempotent or _never_sent(error) else 0
        delay = retry_delay(error, self.attempt - 1, retries, time_left, random.random())
        if delay is None:
            if self.attempt > 1:
                error.add_note_to_message(f"after {self.attempt} attempts")
            raise error from exc
        # DEBUG: a caller that retries for itself (the exporter) reports the call's outcome once, by key.
        logger.debug(
            "Retrying %s %s in %.2f s (attempt %d of %d failed: %s)",
            self.operation.method,
            self.url,
            delay,
            self.attempt,
            self.settings.max_retries + 1,
            error,
        )
        return delay

    def _error(
        self, received: Received | None, response: Detailed | None, exc: BaseException | None, sent_at: float
    ) -> OpenRouterCreditsError | None:
        """The error this attempt's outcome stands for, or None when it gave a parsed 2xx."""
        if isinstance(exc, httpx.HTTPError):
            self._log_attempt(type(exc).__name__, sent_at)
            return transport_error(exc, self)
        if received is None:  # neither an answer nor a network failure: a bug, not the server's doing
            raise exc or RuntimeError("the exchange recorded no response")
        self._log_attempt(str(received.status_code), sent_at)
        if not 200 <= received.status_code <= 299:
            return status_error(received, self)
        if received.truncated:
            return validation_error(received, self, f"its body is larger than {self.operation.max_bytes} bytes")
        if exc is not None:
            from openrouter_credits_client.errors import ResponseValidationError as InvalidBody

            if not isinstance(exc, InvalidBody):
                raise exc
            return validation_error(received, self, f"its body does not match the API document ({exc})")
        if response is None or response.parsed is None:  # a 2xx the document does not declare
            return status_error(received, self)
        return None

    def _log_attempt(self, outcome: str, sent_at: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s in %.1f ms (attempt %d of %d)",
                self.operation.method,
                self.url,
                outcome,
                (time.monotonic() - sent_at) * 1000,
                self.attempt,
                self.settings.max_retries + 1,
            )
