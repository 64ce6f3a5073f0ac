"""`opentelemetry-instrument python prog.py` loads the instrumentor through its entry point."""

from __future__ import annotations

from pathlib import Path

from fake_llm import FakeLLM

from tests.instrument_openai.helpers import MODEL
from tests.support.instrumentation import run_auto_instrumented
from tests.support.otlp_sink import OTLPSink

PROGRAM = f"""
import asyncio
import openai

client = openai.OpenAI(max_retries=0)
client.chat.completions.create(model="{MODEL}", messages=[{{"role": "user", "content": "hi"}}])
for _ in client.chat.completions.create(model="{MODEL}", messages=[{{"role": "user", "content": "hi"}}], stream=True):
    pass
with client.responses.stream(model="{MODEL}", input="hi") as stream:
    stream.until_done()

async def main():
    await openai.AsyncOpenAI(max_retries=0).embeddings.create(model="embed-test", input="hi")

asyncio.run(main())
"""


def test_opentelemetry_instrument(tmp_path: Path, fake: FakeLLM, sink: OTLPSink) -> None:
    env = {
        **fake.env(),
        "OTEL_SERVICE_NAME": "openai-auto",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http_endpoint,
        # Only this instrumentor: OpenLLMetry and OpenInference (both named "openai") are installed too.
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai,ao_anthropic,ao_dataflow",
    }  # fmt: skip
    run_auto_instrumented(PROGRAM, tmp_path, env, drop=("OPENAI_",))
    received = sink.wait_for(lambda spans: len(spans) >= 5)
    (root,) = [s for s in received if s.name == "ao.run prog.py"]  # the process is one run, not one per call
    assert root.parent_span_id == "" and root.attributes["ao.run.name"] == "prog.py"
    spans = [s for s in received if s is not root]
    assert {s.attributes["ao.run.id"] for s in spans} == {root.attributes["ao.run.id"]}
    assert sorted(s.name for s in spans) == [f"chat {MODEL}"] * 3 + ["embeddings embed-test"]
    assert {s.scope for s in spans} == {"ao_instrument.openai_sdk"}
    for span in spans:
        attrs = span.attributes
        assert span.resource["service.name"] == "openai-auto"
        assert attrs["gen_ai.provider.name"] == "openai"
        assert attrs["server.port"] == fake.port
        assert "gen_ai.input.messages" not in attrs  # content is off under plain opentelemetry-instrument
