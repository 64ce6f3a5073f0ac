"""The GenAI client metrics, with the bucket boundaries the semantic conventions advise."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.metrics import Histogram, Meter

DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip


@dataclass(frozen=True)
class GenAIMetrics:
    """`gen_ai.client.operation.duration` (s) and `gen_ai.client.token.usage` ({token})."""

    duration: Histogram
    token_usage: Histogram

    @classmethod
    def create(cls, meter: Meter) -> "GenAIMetrics":
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
        )
