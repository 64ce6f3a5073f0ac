"""One benchmark process: CPU time per `client.chat.completions.create` call under one instrumentation.

    python bench/overhead/worker.py VARIANT [--batches N] [--batch-size K] [--exporter memory|otlp URL]

Prints one JSON line: per-call CPU microseconds of each batch (process CPU time, all threads, with the
span processor flushed inside the measured window).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import types
from typing import Any

import httpx2
import openai
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

# variant -> (instrumentation, content captured)
VARIANTS: dict[str, tuple[str | None, bool]] = {
    "sdk": (None, False),
    "ao": ("ao", True),
    "ao-no-content": ("ao", False),
    "openllmetry": ("openllmetry", True),
    "openllmetry-no-content": ("openllmetry", False),
    "openinference": ("openinference", True),
    "openinference-no-content": ("openinference", False),
    # Floors: what any span-per-call instrumentation pays the OpenTelemetry SDK, before doing anything.
    "floor-span": ("floor-span", False),
    "floor-span-metrics": ("floor-span-metrics", False),
}

_WORDS = "the quick brown fox jumps over the lazy dog while the agent plans its next careful step".split()


def request() -> dict[str, Any]:
    """A 10-message chat request: a system prompt and nine alternating user/assistant turns."""
    history = [{"role": "system", "content": "You are a careful assistant. " + " ".join(_WORDS)}]
    for turn in range(9):
        role = "user" if turn % 2 == 0 else "assistant"
        history.append({"role": role, "content": f"turn {turn}: " + " ".join(_WORDS[turn:] + _WORDS[:turn])})
    return {"model": "gpt-4o-mini", "messages": history, "temperature": 0.2, "max_tokens": 256}


_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Next step: " + " ".join(_WORDS), "refusal": None},
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 180, "completion_tokens": 20, "total_tokens": 200},
    }
).encode()


def _respond(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, content=_COMPLETION, headers={"content-type": "application/json"})


def _exporter(kind: str, endpoint: str | None) -> SpanExporter:
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, timeout=2)
    return InMemorySpanExporter()


def _floor(tracer_provider: TracerProvider, meter_provider: MeterProvider | None) -> None:
    """One empty CLIENT span per call (and, with a meter provider, the three GenAI metric records)."""
    from opentelemetry.trace import SpanKind
    from wrapt import wrap_function_wrapper

    from ao_instrument.genai.metrics import GenAIMetrics

    tracer = tracer_provider.get_tracer("floor")
    histograms = GenAIMetrics.create(meter_provider.get_meter("floor")) if meter_provider else None
    common = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
              "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "server.address": "api.openai.example",
              "server.port": 443}  # fmt: skip
    input_tokens = {**common, "gen_ai.token.type": "input"}
    output_tokens = {**common, "gen_ai.token.type": "output"}

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        span = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT)
        try:
            return wrapped(*args, **kwargs)
        finally:
            span.end()
            if histograms is not None:
                histograms.duration.record(0.001, common)
                histograms.token_usage.record(180, input_tokens)
                histograms.token_usage.record(20, output_tokens)

    wrap_function_wrapper("openai.resources.chat.completions.completions", "Completions.create", wrapper)


def _instrument(
    name: str | None, content: bool, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> None:
    flag = "true" if content else "false"
    if name == "floor-span":
        _floor(tracer_provider, None)
    elif name == "floor-span-metrics":
        _floor(tracer_provider, meter_provider)
    elif name == "ao":
        os.environ["AO_CAPTURE_CONTENT"] = flag
        from ao_instrument.openai_sdk import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    elif name == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = flag
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetry

        OpenLLMetry().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    elif name == "openinference":
        hide = "false" if content else "true"
        os.environ["OPENINFERENCE_HIDE_INPUTS"] = hide
        os.environ["OPENINFERENCE_HIDE_OUTPUTS"] = hide
        from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInference

        OpenInference().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


class Patches:
    """The attributes an instrumentor changed in the `openai` package, to switch it off and on again.

    OpenLLMetry's `uninstrument` leaves wrappers behind, so each process toggles the patched
    attributes itself: batches with and without instrumentation alternate in one process, and the
    paired differences cancel the drift of a shared machine.
    """

    def __init__(self) -> None:
        self.changes: list[tuple[Any, str, Any, Any]] = []
        self.on = True

    @staticmethod
    def _scan() -> dict[tuple[int, str], tuple[Any, Any]]:
        found: dict[tuple[int, str], tuple[Any, Any]] = {}
        for module_name, module in list(sys.modules.items()):
            if module is None or not (module_name == "openai" or module_name.startswith("openai.")):
                continue
            owners = [module] + [v for v in vars(module).values() if isinstance(v, type)]
            for owner in owners:
                for name, value in list(vars(owner).items()):
                    found[(id(owner), name)] = (owner, value)
        return found

    def record(self, instrument: Any) -> None:
        before = self._scan()
        owners = {id(owner) for owner, _ in before.values()}
        instrument()
        for key, (owner, value) in self._scan().items():
            old = before.get(key)
            if key[1].startswith("__") or key[0] not in owners or (old is not None and old[1] is value):
                continue
            if isinstance(value, types.ModuleType) or (old is None and not isinstance(owner, type)):
                continue  # submodules imported meanwhile, not patches
            self.changes.append((owner, key[1], old[1] if old else _MISSING, value))

    def switch(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        for owner, name, off_value, on_value in self.changes:
            value = on_value if on else off_value
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


_MISSING = object()


def _batch(create: Any, body: dict[str, Any], size: int, provider: TracerProvider) -> float:
    start = time.process_time_ns()
    for _ in range(size):
        create(**body)
    provider.force_flush()
    return (time.process_time_ns() - start) / size / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--exporter", choices=("memory", "otlp"), default="memory")
    parser.add_argument("--endpoint", default="http://127.0.0.1:4318/v1/traces")
    args = parser.parse_args()

    exporter = _exporter(args.exporter, args.endpoint)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=8192, max_export_batch_size=512))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    client = openai.OpenAI(
        api_key="bench",
        base_url="https://api.openai.example/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(_respond)),
    )
    for resource in (client.chat.completions, client.responses, client.embeddings, client.completions):
        assert resource  # import the resource modules, so that their patching is seen
    name, content = VARIANTS[args.variant]
    patches = Patches()
    patches.record(lambda: _instrument(name, content, tracer_provider, meter_provider))

    body = request()
    for on in (False, True):
        patches.switch(on)
        for _ in range(args.warmup // 2):
            client.chat.completions.create(**body)
    tracer_provider.force_flush()

    baseline: list[float] = []
    instrumented: list[float] = []
    spans = 0
    for pair in range(args.pairs):
        gc.collect()
        for on in ((False, True) if pair % 2 == 0 else (True, False)):
            patches.switch(on)
            create = client.chat.completions.create
            (instrumented if on else baseline).append(_batch(create, body, args.batch_size, tracer_provider))
        if isinstance(exporter, InMemorySpanExporter):
            spans += len(exporter.get_finished_spans())
            exporter.clear()
    result = {"variant": args.variant, "patched": len(patches.changes), "spans": spans,
              "baseline_us": baseline, "instrumented_us": instrumented}  # fmt: skip
    json.dump(result, sys.stdout)
    print()
    tracer_provider.shutdown()


if __name__ == "__main__":
    main()
