"""pintu's own logging configuration, applied for one test and its output captured."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.logs import LogFormat, logging_config


@dataclass
class _Saved:
    level: int
    handlers: list[logging.Handler]
    filters: list[logging.Filter | logging.Filterer]
    propagate: bool
    disabled: bool


def _loggers() -> dict[str, logging.Logger]:
    found = {
        name: logger
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    return found | {"": logging.root}


@contextmanager
def pintu_logs(level: str = "DEBUG", log_format: LogFormat = "text") -> Iterator[io.StringIO]:
    """Everything pintu's configured handler writes while the block runs (as `pintu serve`
    logs); the logging set-up before it is restored afterwards."""
    saved = {
        name: _Saved(
            logger.level, logger.handlers[:], logger.filters[:], logger.propagate, logger.disabled
        )
        for name, logger in _loggers().items()
    }
    output = io.StringIO()
    logging.config.dictConfig(logging_config(log_format, level, output))
    try:
        yield output
    finally:
        for name, logger in _loggers().items():
            before = saved.get(name, _Saved(logging.NOTSET, [], [], True, False))
            logger.setLevel(before.level)
            logger.handlers[:] = before.handlers
            logger.filters[:] = before.filters
            logger.propagate = before.propagate
            logger.disabled = before.disabled
