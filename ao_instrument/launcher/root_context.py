"""The trace context of a run's root span, drawn before the OpenTelemetry SDK is loaded.

The launcher starts the command at once with this `TRACEPARENT`, then loads the SDK and records the
span under these ids while the command starts (`run_span`): the launcher's own start-up runs beside the
command's instead of before it. Where the configured sampler could drop the root span, the sampling
decision is the SDK's, taken before the command starts (`sampled_upfront` is None).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

# Samplers that sample a root span whatever its ids (the SDK's default is parentbased_always_on).
_ALWAYS_ON = ("", "always_on", "parentbased_always_on")


@dataclass(frozen=True)
class RootContext:
    """Ids and start time of the run's root span."""

    trace_id: int
    span_id: int
    start_ns: int

    @classmethod
    def new(cls) -> RootContext:
        return cls(_nonzero(128), _nonzero(64), time.time_ns())

    def traceparent(self, sampled: bool) -> str:
        """The W3C `traceparent` header of the span."""
        return f"00-{self.trace_id:032x}-{self.span_id:016x}-{'01' if sampled else '00'}"


def sampled_upfront(env: Mapping[str, str]) -> bool | None:
    """True when the configured sampler samples every root span; None when only the SDK can tell."""
    return True if env.get("OTEL_TRACES_SAMPLER", "").strip().lower() in _ALWAYS_ON else None


def _nonzero(bits: int) -> int:
    value = 0
    while value == 0:
        value = secrets.randbits(bits)
    return value
