"""Where ao keeps its files for a run: `$AO_HOME` (else `~/.ao`), its log and its span outbox."""

from __future__ import annotations

import logging
import os
from pathlib import Path

LOG_NAME = "ao-instrument.log"
OUTBOX_NAME = "outbox"
# The loggers whose records ao routes to its log file under ao-instrument, away from the user's terminal.
QUIET_LOGGERS = ("ao_instrument", "opentelemetry")
AO_LOGGERS = ("ao_instrument",)  # under plain opentelemetry-instrument, OpenTelemetry's records stay the user's


def ao_home() -> Path:
    return Path(os.environ.get("AO_HOME") or Path.home() / ".ao").expanduser()


def log_path() -> Path:
    return ao_home() / LOG_NAME


def outbox_dir() -> Path:
    return ao_home() / OUTBOX_NAME


def route_logs_to_file(loggers: tuple[str, ...] = QUIET_LOGGERS) -> None:
    """ao's and OpenTelemetry's log records (`loggers`) go to `$AO_HOME/ao-instrument.log`, never to stdout
    or stderr.

    When the file cannot be opened (a read-only home), the records are dropped rather than printed.
    """
    handler: logging.Handler
    try:
        log_path().parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path(), encoding="utf-8")
        handler.setFormatter(logging.Formatter(f"%(asctime)s {os.getpid()} %(name)s %(levelname)s %(message)s"))
    except OSError:
        handler = logging.NullHandler()
    for name in loggers:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
