"""Calls decided once for both clients, carried out by each its own way: decide once, do I/O twice.

A plan is a generator that does no I/O. It yields the calls to make at once (a batch of
``Request``s) and is sent back their outcomes, in the same order: each call's result, or the
exception it raised. It returns what the calls come to (a ``KeyListing``, a ``Balance``) or raises.
Everything is decided there: which calls, what an answer or a failure means, when to stop.

A driver only sends and waits: ``drive`` makes a batch's calls in threads (``CreditsClient``),
``adrive`` in tasks (``AsyncCreditsClient``, under its semaphore). Given a deadline, both bound the
whole plan by it the same way: the time left is taken when the plan starts, each batch is waited for
no longer than what remains of it, and when it runs out the driver throws ``TimeoutError`` into the
plan, which says what ran out. The calls still in flight are let go: a thread ends at its call's own
deadline, a task is cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypeVar

from . import _defaults

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["WORKER_THREAD_PREFIX", "Plan", "Request", "adrive", "drive", "together", "worker_pool"]

T = TypeVar("T")

#: The names of the threads ``CreditsClient`` makes its calls in (the command line looks for them).
WORKER_THREAD_PREFIX = "openrouter-credits-call"

_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


class Request(NamedTuple):
    """One call a plan asks for: what to call (an API operation by name, such as ``"keys"``, one page
    of ``GET /keys``; ``"list_keys"``, a whole listing), with its keyword arguments."""

    operation: str
    params: Mapping[str, Any] = _NO_PARAMS


def worker_pool(workers: int) -> ThreadPoolExecutor:
    """Threads for calls made at once (named ``WORKER_THREAD_PREFIX``...), in which Ctrl-C and SIGTERM
    are blocked: the kernel then hands them to the main thread, whose wait they interrupt at once. A
    signal a worker took instead would wake no one until a call ended: Ctrl-C during a slow call
    would wait for the server's answer."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix=WORKER_THREAD_PREFIX, initializer=_signals_to_the_main_thread
    )


def _signals_to_the_main_thread() -> None:
    import signal

    block = getattr(signal, "pthread_sigmask", None)  # POSIX; elsewhere signals go to the main thread
    if block is not None:
        block(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


#: A plan: yields batches of requests, is sent their outcomes, returns its result.
Plan: TypeAlias = Generator[list[Request], list[object], T]


def together(plans: Sequence[Plan[Any]]) -> Plan[list[Any]]:
    """The plans at once, breadth first: each batch holds the next batch of every plan still going,
    so that one round trip serves them all. Returns their results in order; the first plan (in
    order) that raises on a batch's outcomes ends them all, its error raised."""
    results: list[Any] = [None] * len(plans)
    going: dict[int, list[Request]] = {}
    try:
        for index, plan in enumerate(plans):
            _advance(plan, None, index, going, results)
        while going:
            outcomes = yield [request for batch in going.values() for request in batch]
            start = 0
            for index, batch in list(going.items()):
                _advance(plans[index], outcomes[start : start + len(batch)], index, going, results)
                start += len(batch)
    finally:
        for plan in plans:
            plan.close()
    return results


def _advance(
    plan: Plan[Any], outcomes: list[object] | None, index: int, going: dict[int, list[Request]], results: list[Any]
) -> None:
    """Start ``plan`` (``outcomes`` None) or send it its outcomes: its next batch, or its result."""
    try:
        going[index] = next(plan) if outcomes is None else plan.send(outcomes)
    except StopIteration as finished:
        going.pop(index, None)
        results[index] = finished.value


def drive(
    plan: Plan[T],
    start: Callable[[Request], Callable[[], object]],
    *,
    deadline: float | None = None,
    workers: int = _defaults.MAX_CONNECTIONS,
) -> T:
    """Carry ``plan`` out in threads: each batch's calls at once, in at most ``workers`` threads (a
    lone call without a deadline in this thread). ``start(request)`` runs in this thread, where it may
    load what the call needs, and returns the call; an error it raises is that request's outcome."""
    from concurrent.futures import Future, wait

    until = None if deadline is None else time.monotonic() + deadline
    pool: ThreadPoolExecutor | None = None
    try:
        batch = next(plan)
        while True:
            calls = [_started(start, request) for request in batch]
            if until is None and len(calls) == 1:
                outcomes = [_outcome(calls[0])]
            else:
                if pool is None:
                    pool = worker_pool(workers)
                running = [call if isinstance(call, BaseException) else pool.submit(call) for call in calls]
                futures = [future for future in running if isinstance(future, Future)]
                left = None if until is None else max(until - time.monotonic(), 0.0)
                if wait(futures, timeout=left).not_done:
                    batch = plan.throw(TimeoutError())
                    continue
                outcomes = [
                    (future.exception() or future.result()) if isinstance(future, Future) else future
                    for future in running
                ]
            batch = plan.send(outcomes)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    finally:
        plan.close()
        if pool is not None:
            # Ctrl-C while waiting, or the deadline passed: return at once, not when the calls end.
            pool.shutdown(wait=False, cancel_futures=True)


def _started(start: Callable[[Request], Callable[[], object]], request: Request) -> Callable[[], object] | Exception:
    try:
        return start(request)
    except Exception as error:
        return error


def _outcome(call: Callable[[], object] | Exception) -> object:
    if isinstance(call, Exception):
        return call
    try:
        return call()
    except Exception as error:
        return error


async def adrive(plan: Plan[T], send: Callable[[Request], Awaitable[object]], *, deadline: float | None = None) -> T:
    """Carry ``plan`` out in tasks: each batch's calls at once (``send(request)`` makes one)."""
    import asyncio

    until = None if deadline is None else asyncio.get_running_loop().time() + deadline
    try:
        batch = next(plan)
        while True:
            try:
                async with asyncio.timeout_at(until):
                    outcomes = await asyncio.gather(*(send(request) for request in batch), return_exceptions=True)
            except TimeoutError:
                batch = plan.throw(TimeoutError())
                continue
            batch = plan.send(list(outcomes))
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    finally:
        plan.close()
