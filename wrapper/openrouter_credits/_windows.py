"""The windows of a key's limit: a limit that resets daily, weekly or monthly starts afresh at 00:00
UTC each day, each Monday, or on the 1st of each month (``limit_remaining`` is the rest of the current
window). Pure functions of the time they are given."""

from __future__ import annotations

import datetime as dt
import functools

__all__ = ["next_reset", "utc", "window", "window_start"]


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC time (a naive one is taken to be UTC already)."""
    if moment.tzinfo is dt.UTC:
        return moment  # the common case, on every key's path
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@functools.lru_cache(maxsize=64)  # a listing's keys share a few periods and one "now"
def window(period: str | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The current window of a limit that resets each ``period`` (``limit_reset``: ``"daily"``,
    ``"weekly"`` or ``"monthly"``) at ``now``: when it began (00:00 UTC today, this Monday, the 1st of
    this month) and when it next starts afresh, aware UTC times; None for a limit that does not reset
    (null), or a period this version does not know."""
    if period is None:
        return None
    now = utc(now)
    midnight = dt.datetime.combine(now.date(), dt.time(), dt.UTC)
    kind = period.strip().lower()
    if kind == "daily":
        return midnight, midnight + dt.timedelta(days=1)
    if kind == "weekly":
        monday = midnight - dt.timedelta(days=now.weekday())  # Monday is 0
        return monday, monday + dt.timedelta(days=7)
    if kind == "monthly":
        year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
        return midnight.replace(day=1), midnight.replace(year=year, month=month, day=1)
    return None


def window_start(period: str | None, now: dt.datetime) -> dt.datetime | None:
    """When the current window began; None without one (see ``window``)."""
    span = window(period, now)
    return None if span is None else span[0]


def next_reset(period: str | None, now: dt.datetime) -> dt.datetime | None:
    """When the limit next starts afresh after ``now``; None without a window (see ``window``)."""
    span = window(period, now)
    return None if span is None else span[1]
