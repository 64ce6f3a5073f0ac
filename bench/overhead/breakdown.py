"""What ao's per-call overhead consists of: each part switched off in turn, in one process.

    .venv/bin/python bench/overhead/breakdown.py [--pairs N] [--batch-size K]

Same request, transport and providers as `worker.py` (in-memory exporter, content on). Each part is
measured as a paired difference: batches with everything on, alternating with batches with that part
replaced by a no-op (or, for "ao", with ao uninstrumented). Medians in microseconds of CPU per call.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["AO_CAPTURE_CONTENT"] = "true"

import httpx2  # noqa: E402
import openai  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from worker import _respond, request  # noqa: E402

from ao_instrument.genai import call_span  # noqa: E402
from ao_instrument.genai.capture import ContentPolicy  # noqa: E402
from ao_instrument.openai_sdk import OpenAIInstrumentor  # noqa: E402


@contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=8192, max_export_batch_size=512))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    client = openai.OpenAI(api_key="bench", base_url="https://api.openai.example/v1", max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(_respond)))  # fmt: skip
    body = request()

    def batch() -> float:
        start = time.process_time_ns()
        for _ in range(args.batch_size):
            client.chat.completions.create(**body)
        tracer_provider.force_flush()
        return (time.process_time_ns() - start) / args.batch_size / 1000

    @contextmanager
    def uninstrumented() -> Iterator[None]:
        instrumentor.uninstrument()
        try:
            yield
        finally:
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

    parts: dict[str, Callable[[], Any]] = {
        "ao (all of it)": uninstrumented,
        "metrics (queued, batched)": lambda: _replaced(call_span.LLMCall, "_record_metrics", lambda *a: None),
        "ao.call.key": lambda: _replaced(call_span, "call_key", lambda *a: "0" * 32),
        "content capture": lambda: _replaced(
            instrumentor._state.telemetry, "policy", ContentPolicy(enabled=False)  # type: ignore[union-attr]
        ),
    }
    for _ in range(5):
        batch()
    print(f"{args.pairs} pairs x {args.batch_size} calls; CPU us per call that each part adds (median, IQR)")
    for name, switch_off in parts.items():
        differences = []
        for pair in range(args.pairs):
            gc.collect()
            exporter.clear()
            on_first = pair % 2 == 0
            if on_first:
                full = batch()
            with switch_off():
                without = batch()
            if not on_first:
                full = batch()
            differences.append(full - without)
        quartiles = statistics.quantiles(differences, n=4)
        print(f"  {name:28} {statistics.median(differences):7.1f}  ({quartiles[0]:.0f}..{quartiles[2]:.0f})")


if __name__ == "__main__":
    main()
