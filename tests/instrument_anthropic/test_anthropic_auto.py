"""`opentelemetry-instrument python prog.py` loads the instrumentor through its entry point."""

from __future__ import annotations

from pathlib import Path

from fake_llm import FakeLLM

from tests.instrument_anthropic.helpers import MODEL, SDK_SCOPE
from tests.support.instrumentation import run_auto_instrumented
from tests.support.otlp_sink import OTLPSink

PROGRAM = f"""
import asyncio
import anthropic

client = anthropic.Anthropic(max_retries=0)
client.messages.create(model="{MODEL}", max_tokens=32, messages=[{{"role": "user", "content": "hi"}}])
with client.messages.stream(model="{MODEL}", max_tokens=32, messages=[{{"role": "user", "content": "hi"}}]) as s:
    s.until_done()

async def main():
    stream = await anthropic.AsyncAnthropic(max_retries=0).messages.create(
        model="{MODEL}", max_tokens=32, messages=[{{"role": "user", "content": "hi"}}], stream=True)
    async for _ in stream:
        pass

asyncio.run(main())
"""


def test_opentelemetry_instrument(tmp_path: Path, fake: FakeLLM, sink: OTLPSink) -> None:
    env = {
        **fake.env(),
        "OTEL_SERVICE_NAME": "anthropic-auto",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.grpc_endpoint,
        # Only this instrumentor: others for other libraries are installed in the test environment.
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai,ao_openai,ao_dataflow",
    }  # fmt: skip
    run_auto_instrumented(PROGRAM, tmp_path, env, drop=("ANTHROPIC_",))
    received = sink.wait_for(lambda spans: len(spans) >= 4)
    (root,) = [s for s in received if s.name == "ao.run prog.py"]  # the process is one run
    spans = [s for s in received if s is not root]
    assert [s.scope for s in spans] == ["ao_instrument.anthropic_sdk"] * 3
    assert {s.attributes["ao.run.id"] for s in spans} == {root.attributes["ao.run.id"]}
    assert not [s for s in spans if s.scope == SDK_SCOPE]
    for span in spans:
        attrs = span.attributes
        assert span.name == f"chat {MODEL}"
        assert span.resource["service.name"] == "anthropic-auto"
        assert attrs["gen_ai.response.id"].startswith("msg_fake")
        assert "anthropic.request.id" in attrs  # the SDK's own tracing, merged
        assert "gen_ai.input.messages" not in attrs  # content is off under plain opentelemetry-instrument
