"""The seam between LLM call spans and origin tracking (contract C3).

Instrumentors ask the tracker for the dataflow links of a request before the span starts (the
OpenTelemetry API takes links at span start), and hand it every output so that values derived from
it carry the call's origin. Without origin tracking (`AO_TAINT=off`, or not loaded) both are no-ops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from opentelemetry.trace import Link, SpanContext

T = TypeVar("T")


class OriginTracker(Protocol):
    def request_links(self, request: Mapping[str, Any]) -> Sequence[Link]:
        """Span links (with `ao.link.type = "dataflow"` attributes) to the calls whose outputs reached `request`."""

    def label_output(self, value: T, origin: SpanContext) -> T:
        """Label an SDK output (response object, stream chunk or event) with `origin`; return what the user gets."""


class _NoTracking:
    def request_links(self, request: Mapping[str, Any]) -> Sequence[Link]:
        return ()

    def label_output(self, value: T, origin: SpanContext) -> T:
        return value


_NO_TRACKING = _NoTracking()
_tracker: OriginTracker = _NO_TRACKING


def tracker() -> OriginTracker:
    """The active tracker."""
    return _tracker


def set_tracker(new: OriginTracker | None) -> None:
    """Install `new` as the active tracker; `None` switches tracking off."""
    global _tracker
    _tracker = new if new is not None else _NO_TRACKING
