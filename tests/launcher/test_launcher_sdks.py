"""`ao-instrument` with the real SDKs against the fake LLM server: one span per call, inside the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fake_llm import FakeLLM

from tests.support.otlp_sink import OTLPSink

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")

PROGRAM = """
    import asyncio
    import anthropic, openai

    oai = openai.OpenAI(max_retries=0)
    claude = anthropic.Anthropic(max_retries=0)
    first = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "first question"}])
    text = first.choices[0].message.content
    chunks = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "stream please"}], stream=True,
        stream_options={"include_usage": True},
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    msg = claude.messages.create(
        model="claude-sonnet-4-5", max_tokens=100, system="be brief",
        messages=[{"role": "user", "content": "third question"}],
    )

    async def more():
        client = openai.AsyncOpenAI(max_retries=0)
        return await client.embeddings.create(model="text-embedding-3-small", input="embed me")

    asyncio.run(more())
    print("done", bool(text), bool(streamed), msg.stop_reason)
"""


def run_program(tmp_path: Path, sink: OTLPSink, fake: FakeLLM, **env: str) -> subprocess.CompletedProcess:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(PROGRAM))
    full_env = {
        **os.environ, **fake.env(),
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", **env,
    }  # fmt: skip
    return subprocess.run(
        [LAUNCHER, sys.executable, str(script)], env=full_env, cwd=tmp_path, capture_output=True, text=True,
        timeout=90,
    )  # fmt: skip


def llm_spans(spans: list) -> list:
    return [s for s in spans if "gen_ai.operation.name" in s.attributes]


def test_every_sdk_call_is_one_span_of_the_run(tmp_path: Path, sink: OTLPSink, fake: FakeLLM) -> None:
    result = run_program(tmp_path, sink, fake)
    assert result.returncode == 0, result.stderr
    assert "done True True end_turn" in result.stdout
    spans = sink.wait_for(lambda s: len(llm_spans(s)) >= 4 and any(x.name.startswith("ao.run") for x in s))
    root = next(s for s in spans if s.name == "ao.run prog.py")
    calls = llm_spans(spans)
    assert sorted(s.name for s in calls) == [
        "chat claude-sonnet-4-5", "chat gpt-4o", "chat gpt-4o-mini", "embeddings text-embedding-3-small",
    ]  # fmt: skip
    for span in calls:
        attrs = span.attributes
        assert span.span.kind == 3  # CLIENT
        assert attrs["ao.run.id"] == root.attributes["ao.run.id"]
        assert span.trace_id == root.trace_id
        assert len(attrs["ao.call.key"]) == 32 and attrs["ao.call.cached"] is False
        assert attrs["server.address"] == "127.0.0.1"
    by_name = {s.name: s.attributes for s in calls}
    # Content is captured by default under ao-instrument.
    first_input = json.loads(by_name["chat gpt-4o-mini"]["gen_ai.input.messages"])
    assert first_input[0]["parts"][0]["content"] == "first question"
    assert json.loads(by_name["chat gpt-4o"]["gen_ai.output.messages"])[0]["parts"][0]["content"]
    assert json.loads(by_name["chat claude-sonnet-4-5"]["gen_ai.system_instructions"])[0]["content"] == "be brief"
    assert by_name["chat gpt-4o"]["gen_ai.usage.output_tokens"] > 0


def test_content_capture_can_be_switched_off(tmp_path: Path, sink: OTLPSink, fake: FakeLLM) -> None:
    result = run_program(tmp_path, sink, fake, AO_CAPTURE_CONTENT="false")
    assert result.returncode == 0, result.stderr
    calls = llm_spans(sink.wait_for(lambda s: len(llm_spans(s)) >= 4))
    for span in calls:
        assert not {"gen_ai.input.messages", "gen_ai.output.messages"} & set(span.attributes)
