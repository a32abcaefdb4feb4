"""SIGHUP: ``--config`` read again and applied, one reload at a time.

- The file is read, and the channels' secrets with it, in a thread (``asyncio.to_thread``): a slow
  disk or a file that is no file (a link to /dev/zero, a FIFO: refused by ``load_config``) never
  stalls /metrics or a poll.
- Requests coalesce: a SIGHUP while a reload runs makes one more reload after it, however many came
  (a hundred SIGHUPs in a second make two reloads, the last of them reading the file as it is now).
- The keys and the guards are reloaded (``Exporter.reload``); the channels too when the
  ``[notify.NAME]`` tables or ``[defaults] notify`` changed: delivery then starts afresh on them.
- A file with a mistake keeps everything as it was and logs one error line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._logging import EXPORTER_LOGGER

if TYPE_CHECKING:
    from .._apps.config_file import ConfigFile
    from ._channels import Channel
    from ._exporter import Exporter

__all__ = ["Reloader"]

_logger = logging.getLogger(EXPORTER_LOGGER)


class Reloader:
    """Reloads ``exporter`` from the file at ``path`` when asked (``request()``, from a signal
    handler): ``load`` reads the file (``load_config``), ``channels_of`` makes a file's channels
    (reading their secrets); both run in a thread and raise ``ConfigurationError`` for a mistake."""

    def __init__(
        self,
        exporter: Exporter,
        path: str,
        *,
        load: Callable[[str], ConfigFile],
        channels_of: Callable[[ConfigFile], Mapping[str, Channel]],
        started: ConfigFile,
        logger: logging.Logger = _logger,
    ) -> None:
        self.exporter = exporter
        self.path = path
        self.load = load
        self.channels_of = channels_of
        self.logger = logger
        self._channels_read = _channel_settings(started)
        self._task: asyncio.Task[None] | None = None
        self._again = False
        #: Reloads done (for tests and the log).
        self.done = 0

    def request(self) -> None:
        """Reload soon: now, or once more after the reload under way (however often asked meanwhile)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._reloads(), name="reload --config")

    async def idle(self) -> None:
        """Wait until no reload runs or waits."""
        while self._task is not None and not self._task.done():
            await asyncio.gather(self._task, return_exceptions=True)

    async def _reloads(self) -> None:
        while True:
            self._again = False
            try:
                await self.reload_once()
            except Exception:  # a bug: logged, and the next SIGHUP tries again
                self.logger.exception("SIGHUP: the reload failed unexpectedly; keeping what was running")
            if not self._again:
                return

    async def reload_once(self) -> None:
        """Read the file and apply it; a mistake keeps everything as it was (one error line)."""
        try:
            config = await asyncio.to_thread(self.load, self.path)
            read = _channel_settings(config)
            channels = None
            if read != self._channels_read:
                channels = await asyncio.to_thread(self.channels_of, config)
        except ConfigurationError as error:
            self.logger.error("SIGHUP: keeping the keys as they were: %s", error)
            return
        self.exporter.set_teams(config.teams)
        if channels is None:
            await self.exporter.reload(config.keys, guards=config.guards)
        else:
            await self.exporter.reload(
                config.keys, channels=channels, default_notify=config.default_notify, guards=config.guards
            )
            self._channels_read = read
        self.done += 1


def _channel_settings(config: ConfigFile) -> tuple[Any, ...]:
    """What of a file makes its channels: the tables, the defaults, the folder secrets' paths start from."""
    return (config.notify, config.default_notify, config.base_dir)
