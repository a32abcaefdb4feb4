"""Where alerts go: the channels (``[notify.NAME]`` tables, ``--notify-url``'s) and, for each key, its
``notify`` among them, else ``[defaults] notify``, else every channel.

- ``check_notify_url``: ``--notify-url`` (or ``$OPENROUTER_CREDITS_NOTIFY_URL``) checked before any
  I/O: absolute https, plain http only to loopback; the URL is a secret from then on.
- ``route_problems``: a ``notify`` naming a channel that does not exist is an error (its alerts would
  wait for ever); a key with thresholds whose alerts go to no channel is a warning.
- ``AlertRoutes``: the exporter's channels as they are now; a reload replaces the file's channels and
  keeps ``--notify-url``'s, which the file does not name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import httpx

from .._apps.config_file import NOTIFY_URL_CHANNEL
from .._exceptions import ConfigurationError
from .._logging import register_secret
from .._settings import require_private
from ._channels import redact_url

if TYPE_CHECKING:
    from .._apps.config_file import KeySpec
    from ._channels import Channel

__all__ = ["NOTIFY_URL_CHANNEL", "NOTIFY_URL_ENV", "AlertRoutes", "check_notify_url", "route_problems", "routes_of"]

#: Where a webhook URL can come from without showing in the process list.
NOTIFY_URL_ENV = "OPENROUTER_CREDITS_NOTIFY_URL"


def check_notify_url(url: str, name: str = "--notify-url") -> str:
    """The webhook URL, checked: absolute https (plain http only to loopback); ``name`` is its source."""
    register_secret(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError(f"{name} is not a valid URL: it must start with https://.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"{name} must start with https:// (such as https://hooks.slack.com/services/...).")
    require_private(parsed, f"{name} {redact_url(url)}", "its token")
    return url


def routes_of(spec: KeySpec, channels: Collection[str], default_notify: Sequence[str]) -> tuple[str, ...]:
    """The channels a key's alerts go to: its ``notify``, else the defaults; only those that exist."""
    names = spec.notify if spec.notify is not None else default_notify
    return tuple(name for name in names if name in channels)


def _thresholds(spec: KeySpec) -> list[str]:
    listed = [("key_below_fraction", spec.key_below_fraction is not None), ("key_will_exhaust", spec.key_will_exhaust)]
    own = [("below", spec.below is not None), ("days_below", spec.days_below is not None)]
    own.append(("spike", spec.spike is not None))
    return [name for name, given in own + listed if given]


def route_problems(
    specs: Iterable[KeySpec], channels: Collection[str], default_notify: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """(errors, warnings) about where alerts go: a ``notify`` naming a channel that does not exist, such
    as --notify-url's when it is not given (an error: its alerts would wait for ever); a key with
    thresholds whose alerts go to no channel (a warning: it may be watched on /metrics alone). Each
    names the key (or ``[defaults]``) and the setting."""
    errors: list[str] = []
    warnings: list[str] = []
    defaults = tuple(channels) if default_notify is None else tuple(default_notify)
    given = [(f"[keys.{spec.name}]", spec.notify) for spec in specs] + [("[defaults]", default_notify)]
    for where, names in given:
        for name in names or ():
            if name == NOTIFY_URL_CHANNEL and name not in channels:
                errors.append(
                    f"{where}: notify names {name!r}, which is not given: give --notify-url (or "
                    "$OPENROUTER_CREDITS_NOTIFY_URL), or take it out of notify."
                )
            elif name not in channels:
                known = ", ".join(channels) or "none"
                errors.append(
                    f"{where}: notify names {name!r}, which is not a configured channel (the channels: {known})."
                )
    for spec in specs:
        thresholds = _thresholds(spec)
        if thresholds and not routes_of(spec, channels, defaults):
            where = "notify = [] sends them nowhere" if spec.notify == () else "no channel is configured"
            warnings.append(
                f"Key {spec.name}: {', '.join(thresholds)} set, but its alerts go to no channel ({where}): add a "
                "[notify.NAME] table, or give --notify-url (or $OPENROUTER_CREDITS_NOTIFY_URL)"
            )
    return errors, warnings


class AlertRoutes:
    """The channels alerts go to now (``channels``: ``--notify-url``'s under ``notify-url``) and the
    defaults (``default_notify`` None: every channel)."""

    def __init__(self, channels: Mapping[str, Channel], default_notify: Sequence[str] | None) -> None:
        self.channels: dict[str, Channel] = dict(channels)
        self.given = default_notify
        self.default_notify = tuple(self.channels) if default_notify is None else tuple(default_notify)

    def of(self, spec: KeySpec) -> tuple[str, ...]:
        """The channels ``spec``'s alerts go to."""
        return routes_of(spec, self.channels, self.default_notify)

    def problems(
        self,
        specs: Iterable[KeySpec],
        channels: Mapping[str, Channel] | None = None,
        default_notify: Sequence[str] | None = None,
    ) -> tuple[list[str], list[str]]:
        """``route_problems`` of ``specs`` with the channels as they are, or as a reload's ``channels`` and
        ``default_notify`` would make them."""
        if channels is None:
            return route_problems(specs, self.channels, self.given)
        return route_problems(specs, {**channels, **self._kept()}, default_notify)

    def replace(self, channels: Mapping[str, Channel], default_notify: Sequence[str] | None) -> None:
        """The file's channels are ``channels`` from now on (``--notify-url``'s stays)."""
        self.channels = {**channels, **self._kept()}
        self.given = default_notify
        self.default_notify = tuple(self.channels) if default_notify is None else tuple(default_notify)

    def _kept(self) -> dict[str, Channel]:
        """The channels a reload keeps: ``--notify-url``'s, which the file does not name."""
        return {NOTIFY_URL_CHANNEL: self.channels[NOTIFY_URL_CHANNEL]} if NOTIFY_URL_CHANNEL in self.channels else {}
