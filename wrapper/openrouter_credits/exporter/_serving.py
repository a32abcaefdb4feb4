"""What ``GET /metrics`` and ``GET /healthz`` answer, from what the polls left in the keys' states.

- /metrics is rendered once per poll (``render_metrics``) and served as is: a scrape only sends
  bytes, never calls OpenRouter. Each key is rendered on its own: a key whose series cannot be
  rendered (a bug, or text no rule foresaw) is logged once and exported as ``up`` 0 alone; the other
  keys are exported as ever.
- A failed poll: ``up`` 0, the balance series gone (never 0, never stale numbers), the last success
  time kept, ``poll_errors_total{key, kind}`` counted. A poll that read only part of what it needs
  keeps what it read, with ``up`` 0 and ``call_up{call}`` 0 for the call that failed.
- /healthz (``health``) is 200 when every key's last poll succeeded recently and every call of it
  answered, else 503 naming the failing keys (and a failed call, with what it leaves unknown), in
  words anyone may read: a key by its table, never a file's path.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence

from .._apps.metrics import (
    Family,
    account_key_metrics,
    balance_metrics,
    joined_exposition,
    model_spend_metrics,
    rendered_samples,
    team_spend_metrics,
)
from .._logging import EXPORTER_LOGGER
from ._poll import KeyState

__all__ = ["HTML", "METRICS_TYPE", "PLAIN", "health", "key_families", "render_metrics"]

logger = logging.getLogger(EXPORTER_LOGGER)

PLAIN = "text/plain; charset=utf-8"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HTML = "text/html; charset=utf-8"


def key_families(name: str, state: KeyState, now: dt.datetime) -> list[Family]:
    """One key's families: its gauges labelled ``key``, its listed keys and models (``discover``)
    and its poll error counters."""
    labels = {"key": name}
    last_success = None if state.last_success is None else round(state.last_success, 3)
    families = balance_metrics(state.balance, labels, up=state.up, last_success=last_success, calls=state.calls)
    if state.spec.discover and state.listed is not None:
        teams = None if state.teams is None else state.teams.by_hash
        families += account_key_metrics(state.listed, now, labels, max_keys=state.spec.max_keys, teams=teams)
        if state.teams is not None:
            families.append(team_spend_metrics(state.team_spends, labels))
    if state.spec.discover and state.activity is not None:
        families.append(model_spend_metrics(state.activity.by_model(), labels, top=state.spec.top_models))
    errors = [({**labels, "kind": kind}, float(count)) for kind, count in state.errors.items()]
    return [*families, _errors_family(errors)]


def render_metrics(
    states: Mapping[str, KeyState], now: dt.datetime, unrendered: set[str], others: Iterable[Sequence[Family]]
) -> bytes:
    """/metrics: each key's families rendered on its own, then ``others`` (delivery's, the guards').
    A key whose series raise is logged once and shown failing; ``unrendered`` holds those keys (kept
    between renders: the log says when one renders again)."""
    parts = []
    for name, state in states.items():
        try:
            parts.append(rendered_samples(key_families(name, state, now)))
        except Exception:  # a bug, or text no rule foresaw: this key alone pays for it
            if name not in unrendered:
                logger.exception("Key %s: its metrics could not be rendered; it shows as failing", name)
            unrendered.add(name)
            failed = balance_metrics(None, {"key": name}, up=False, last_success=None, calls={})
            parts.append(rendered_samples(failed))
        else:
            if name in unrendered:
                logger.info("Key %s: its metrics are rendered again", name)
            unrendered.discard(name)
    parts.extend(rendered_samples(families) for families in others)
    return joined_exposition(parts)


def health(states: Mapping[str, KeyState], now: float, limit: float, unrendered: set[str]) -> tuple[int, str]:
    """/healthz's status and text: a key is fresh when its last success is at most ``limit`` seconds
    old at ``now`` (seconds since the epoch)."""
    failing = []
    for name, state in states.items():
        fresh = state.up and state.last_success is not None and now - state.last_success <= limit
        if not fresh:
            why = state.problem or ("not polled yet" if not state.polled else "no success in three intervals")
            if state.last_success is not None and now - state.last_success > limit:
                why = f"last success {now - state.last_success:.0f} s ago; {why}"
            failing.append(f"{name}: {why}")
        elif state.incomplete is not None:
            failing.append(f"{name}: {state.incomplete}")
        elif name in unrendered:
            failing.append(f"{name}: its metrics could not be rendered (see the log)")
    if failing:
        return 503, "failing: " + "; ".join(failing) + "\n"
    ages = [now - state.last_success for state in states.values() if state.last_success is not None]
    age = f"{max(ages):.0f} s ago" if ages else "never"
    return 200, f"ok: {len(states)} key(s), the oldest last polled {age} (stale after {limit:g} s)\n"


def _errors_family(samples: Sequence[tuple[Mapping[str, str], float]]) -> Family:
    return Family(
        "openrouter_credits_poll_errors_total",
        "Failed calls to OpenRouter while polling, by key and kind of failure.",
        "counter",
        samples,
    )
