"""Another GenAI instrumentation of an SDK that ao instruments (OpenLLMetry and OpenInference are installed
beside ao for the tests), under plain `opentelemetry-instrument`: named once in ao's log with how to
choose, and standing aside while ao records, so each call is recorded once; the program's terminal output
is its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_llm import FakeLLM

from tests.support.otlp_sink import OTLPSink

INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")


def run(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    home = tmp_path / "home"
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    full.update(AO_HOME=str(home), OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none",
                OTEL_LOGS_EXPORTER="none", **env)  # fmt: skip
    done = subprocess.run([str(INSTRUMENT), sys.executable, "-c", "print('hi')"], env=full, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    log = home / "ao-instrument.log"
    return done, log.read_text() if log.exists() else ""


def test_other_openai_instrumentations_are_named_in_the_log(tmp_path: Path) -> None:
    done, log = run(tmp_path)  # OpenLLMetry and OpenInference are installed beside ao for the tests
    assert done.returncode == 0 and done.stdout == "hi\n" and done.stderr == ""
    (line,) = [line for line in log.splitlines() if "also instrumented by" in line]
    assert "openai calls" in line
    assert "openinference.instrumentation.openai.OpenAIInstrumentor" in line
    assert "opentelemetry.instrumentation.openai.OpenAIInstrumentor" in line
    assert "stand aside" in line and "AO_PEER_INSTRUMENTATIONS=record" in line
    assert "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in line and "ao_openai" in line


def test_nothing_is_said_once_the_user_has_chosen(tmp_path: Path) -> None:
    done, log = run(tmp_path, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai")
    assert done.returncode == 0 and done.stdout == "hi\n"
    assert "also instrumented by" not in log


CALLS = """
    import asyncio, json, openai
    client = openai.OpenAI(max_retries=0)
    messages = [{"role": "user", "content": "Name a colour"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message.content
    chunks = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"Describe {first}"}],
                                            stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    async def main():
        reply = await openai.AsyncOpenAI(max_retries=0).chat.completions.create(model="gpt-4o-mini", messages=messages)
        return reply.choices[0].message.content

    print(json.dumps([first, streamed, asyncio.run(main())]))
"""


@pytest.mark.parametrize("mode", ["aside", "record"])
def test_each_call_is_recorded_once(tmp_path: Path, sink: OTLPSink, fake: FakeLLM, mode: str) -> None:
    (tmp_path / "calls.py").write_text(textwrap.dedent(CALLS))
    env = sink.child_env("peers", **fake.env(), AO_HOME=str(tmp_path / "home"))
    del env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"]
    if mode == "record":
        env["AO_PEER_INSTRUMENTATIONS"] = "record"
    done = subprocess.run([str(INSTRUMENT), sys.executable, "calls.py"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert len(json.loads(done.stdout)) == 3
    llm_spans = lambda spans: [s for s in spans if s.scope != "opentelemetry.instrumentation.httpx"  # noqa: E731
                               and ("gen_ai.request.model" in s.attributes or "llm.model_name" in s.attributes
                                    or s.attributes.get("openinference.span.kind") == "LLM")]  # fmt: skip
    expected = 3 if mode == "aside" else 9  # ao's, OpenLLMetry's and OpenInference's of each call
    spans = llm_spans(sink.wait_for(lambda got: len(llm_spans(got)) >= expected))
    scopes = sorted({s.scope for s in spans})
    if mode == "aside":
        assert scopes == ["ao_instrument.openai_sdk"], scopes
        assert len(spans) == 3 and any(s.span.links for s in spans)  # the streamed call is fed by the first
    else:
        assert len(scopes) == 3 and len(spans) == 9, scopes


LIFTED = """
    import json, openai
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetry
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from ao_instrument.genai.provider import settle_peers
    from ao_instrument.openai_sdk import OpenAIInstrumentor as Ao

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    Ao().instrument(tracer_provider=provider)  # openai is imported: patched at once
    OpenLLMetry().instrument(tracer_provider=provider)  # wraps above ao's wrapper
    settle_peers()  # as the post-instrument hook does: ao goes above it again
    client = openai.OpenAI(max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    scopes = sorted(s.instrumentation_scope.name for s in exporter.get_finished_spans())
    exporter.clear()
    Ao().uninstrument()  # its inner layer stays under OpenLLMetry's, passing through; OpenLLMetry records alone
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    after = sorted(s.instrumentation_scope.name for s in exporter.get_finished_spans())
    print(json.dumps({"scopes": scopes, "after": after}))
"""


def test_ao_goes_above_an_instrumentation_wrapped_after_it(tmp_path: Path, fake: FakeLLM) -> None:
    (tmp_path / "lifted.py").write_text(textwrap.dedent(LIFTED))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_", "OPENAI_"))}
    env.update(fake.env(), AO_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "lifted.py"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["scopes"] == ["ao_instrument.openai_sdk"]
    assert len(out["after"]) == 1 and out["after"][0].startswith("opentelemetry.instrumentation.openai")
