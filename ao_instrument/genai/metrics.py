"""The GenAI client metrics, with the bucket boundaries the semantic conventions advise."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from opentelemetry.context import Context, get_current
from opentelemetry.metrics import CallbackOptions, Histogram, Meter, Observation
from opentelemetry.util.types import AttributeValue

DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip


# Measurements of every GenAIMetrics wait here until this many are pending, or a metric reader collects.
FLUSH_AT = 64
_pending: deque[tuple[Histogram, float, Mapping[str, AttributeValue], Context]] = deque()


@dataclass(frozen=True)
class GenAIMetrics:
    """`gen_ai.client.operation.duration` (s), `gen_ai.client.token.usage` ({token}) and, for streamed
    calls, `gen_ai.client.operation.time_to_first_chunk` (s).

    Measurements are queued and recorded in batches: one SDK `record` run between two LLM calls
    finds the CPU caches cold (after milliseconds of SDK code) and costs several times what it costs
    in a loop. Every collection by a metric reader (periodic export, shutdown, an in-memory reader's
    `get_metrics_data`) first records what is queued, through an observable instrument's callback
    that reports nothing itself. The queue is shared, so a callback that the SDK dropped as a
    duplicate (same meter instrumented twice) loses nothing. Measurements keep their context.
    """

    duration: Histogram
    token_usage: Histogram
    time_to_first_chunk: Histogram

    @classmethod
    def create(cls, meter: Meter) -> "GenAIMetrics":
        meter.create_observable_gauge(
            "ao.genai.pending_measurements", callbacks=[_flush_on_collect],
            description="Internal: records queued GenAI measurements before each collection; never reports",
        )  # fmt: skip
        return cls(
            duration=meter.create_histogram(
                "gen_ai.client.operation.duration",
                unit="s",
                description="GenAI operation duration",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            ),
            token_usage=meter.create_histogram(
                "gen_ai.client.token.usage",
                unit="{token}",
                description="Measures number of input and output tokens used",
                explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
            ),
            time_to_first_chunk=meter.create_histogram(
                "gen_ai.client.operation.time_to_first_chunk",
                unit="s",
                description="Time to receive the first chunk in a streaming response",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            ),
        )

    @staticmethod
    def record(histogram: Histogram, value: float, attributes: Mapping[str, AttributeValue]) -> None:
        """Queue one measurement of `histogram` (in the current context)."""
        _pending.append((histogram, value, attributes, get_current()))
        if len(_pending) >= FLUSH_AT:
            flush()


def flush() -> None:
    """Record the queued measurements (safe from several threads at once)."""
    while _pending:
        try:
            histogram, value, attributes, context = _pending.popleft()
        except IndexError:
            return
        histogram.record(value, attributes, context)


def _flush_on_collect(options: CallbackOptions) -> Iterable[Observation]:
    flush()
    return ()
