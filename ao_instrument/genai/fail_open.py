"""Fail open: an internal error of ao is logged once per place and never reaches the user's program."""

from __future__ import annotations

import logging

logger = logging.getLogger("ao_instrument")
_reported: set[str] = set()


def report_internal_error(where: str) -> None:
    """Log the exception being handled, once per `where`; call it from an `except` block."""
    if where in _reported:
        return
    _reported.add(where)
    logger.warning("ao: internal error in %s; falling back to the uninstrumented path", where, exc_info=True)
