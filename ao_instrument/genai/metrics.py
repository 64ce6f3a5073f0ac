"""The GenAI client metrics, with the bucket boundaries the semantic conventions advise."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from opentelemetry.context import Context, get_current
from opentelemetry.metrics import CallbackOptions, Histogram, Meter, Observation
from opentelemetry.util.types import AttributeValue

DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip


# Measurements wait here until this many are pending, or until a metric reader collects.
FLUSH_AT = 64


@dataclass(frozen=True)
class GenAIMetrics:
    """`gen_ai.client.operation.duration` (s) and `gen_ai.client.token.usage` ({token}).

    Measurements are queued and recorded in batches: one SDK `record` run between two LLM calls
    finds the CPU caches cold (after several milliseconds of SDK code) and costs several times what
    it costs in a loop. Every collection by a metric reader (periodic export, shutdown, an in-memory
    reader's `get_metrics_data`) first records what is queued, through an observable instrument's
    callback that reports nothing itself. Each measurement keeps its context, for exemplars.
    """

    duration: Histogram
    token_usage: Histogram
    pending: deque[tuple[Histogram, float, Mapping[str, AttributeValue], Context]] = field(default_factory=deque)

    @classmethod
    def create(cls, meter: Meter) -> "GenAIMetrics":
        metrics = cls(
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
        )
        meter.create_observable_gauge(
            "ao.genai.pending_measurements", callbacks=[metrics._flush_on_collect],
            description="Internal: records queued GenAI measurements before each collection; never reports",
        )  # fmt: skip
        return metrics

    def record(self, histogram: Histogram, value: float, attributes: Mapping[str, AttributeValue]) -> None:
        """Queue one measurement of `histogram` (in the current context)."""
        pending = self.pending
        pending.append((histogram, value, attributes, get_current()))
        if len(pending) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Record the queued measurements (safe from several threads at once)."""
        pending = self.pending
        while pending:
            try:
                histogram, value, attributes, context = pending.popleft()
            except IndexError:
                return
            histogram.record(value, attributes, context)

    def _flush_on_collect(self, options: CallbackOptions) -> Iterable[Observation]:
        self.flush()
        return ()
