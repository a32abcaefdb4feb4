"""The threads the sync client makes its calls in leave Ctrl-C and SIGTERM to the main thread.

A process-directed signal goes to any thread that does not block it. Had a call's worker taken a
Ctrl-C, the main thread, waiting for the calls, would have learnt of it only when a call ended: the
command waited for a slow server's answer (10 s) before it exited 130, one run in a few under load."""

from __future__ import annotations

import signal
import threading

import pytest

from openrouter_credits._plan import WORKER_THREAD_PREFIX, Plan, Request, drive, worker_pool

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")


def blocked() -> set[signal.Signals]:
    """The signals the calling thread blocks, and its name checked."""
    assert threading.current_thread().name.startswith(WORKER_THREAD_PREFIX)
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_a_worker_pool_blocks_ctrl_c_and_sigterm() -> None:
    pool = worker_pool(2)
    try:
        masks = [pool.submit(blocked).result(), pool.submit(blocked).result()]
    finally:
        pool.shutdown()
    assert all({signal.SIGINT, signal.SIGTERM} <= mask for mask in masks)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the main thread's untouched


def test_the_calls_made_at_once_run_in_such_threads() -> None:
    """drive(), which carries out get_balance()'s and list_keys()'s plans, makes a batch's calls in
    such threads."""

    def plan() -> Plan[list[object]]:
        outcomes = yield [Request("credits"), Request("key"), Request("activity")]
        return outcomes

    found = drive(plan(), lambda request: blocked, deadline=5)
    assert len(found) == 3
    assert all(isinstance(mask, set) and {signal.SIGINT, signal.SIGTERM} <= mask for mask in found)
