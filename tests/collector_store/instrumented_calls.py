"""Makes LLM calls to the fake LLM server under real third-party instrumentations and writes the spans
(one OTLP export request, serialized) to the file named by argv[1].

Run in its own process: the instrumentations patch the SDKs for the whole process. In one trace:
1. OpenAI chat under OpenLLMetry (opentelemetry-instrumentation-openai),
2. OpenAI chat under OpenInference, its prompt quoting call 1's answer,
3. Anthropic messages traced by the Anthropic SDK itself (content mode), quoting call 2's answer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
os.environ["TRACELOOP_TRACE_CONTENT"] = "true"

import anthropic  # noqa: E402
import openai  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402
from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceInstrumentor  # noqa: E402
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans  # noqa: E402
from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetryInstrumentor  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

PROMPT = "Write one sentence about the history of the city of Lyon in France."


def main(out: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "third-party-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("agent")
    with FakeLLM() as fake, tracer.start_as_current_span("agent run"):
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0)
        openllmetry = OpenLLMetryInstrumentor()
        openllmetry.instrument(tracer_provider=provider)
        first = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
        openllmetry.uninstrument()
        openinference = OpenInferenceInstrumentor()
        openinference.instrument(tracer_provider=provider)
        second = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"Shorten this: {first.choices[0].message.content}"}]
        )
        openinference.uninstrument()
        claude = anthropic.Anthropic(
            base_url=fake.anthropic_base_url, api_key="sk-fake", max_retries=0,
            open_telemetry={"tracer_provider": provider, "traces": {"content_mode": "content"}},
        )
        claude.messages.create(
            model="claude-haiku-4-5", max_tokens=100,
            messages=[{"role": "user", "content": f"Translate: {second.choices[0].message.content}"}],
        )
    Path(out).write_bytes(encode_spans(exporter.get_finished_spans()).SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
