"""A framework's own spans (issue 13.3): under pydantic-ai's instrumentation, ao records each model
request into pydantic-ai's `chat` span (no second LLM span beside it), with its attributes and dataflow
links; an LLM call made inside a tool nests under the framework's `execute_tool` span. Run as a real
`ao-instrument` process, spans read from the exported OTLP."""

from __future__ import annotations

from pathlib import Path

from tests.dataflow import harness

PROGRAMS = Path(__file__).resolve().parent / "framework_spans"


def test_ao_records_into_the_frameworks_inference_spans_and_nests_under_its_agent_and_tool_spans() -> None:
    (outcome,) = harness.run_isolated(harness.programs(directory=PROGRAMS))
    assert outcome.exact, harness.report([outcome]) + outcome.error
    spans = {s.span_id: s for s in outcome.spans}
    calls = [s for s in outcome.spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    by_model = sorted((s.attributes["gen_ai.request.model"], s.scope, s.name) for s in calls)
    assert by_model == [
        ("A", "pydantic-ai", "chat A"), ("A", "pydantic-ai", "chat A"),
        ("B", "ao_instrument.openai_sdk", "chat B"), ("C", "ao_instrument.openai_sdk", "chat C"),
    ]  # fmt: skip
    for call in calls:  # every call carries ao's own attributes, in whichever span records it
        assert call.attributes["ao.call.key"] and call.attributes["ao.run.id"]
    agent = next(s for s in outcome.spans if s.name == "invoke_agent weather")
    tool = next(s for s in outcome.spans if s.name == "execute_tool lookup")
    first, second = sorted((s for s in calls if s.attributes["gen_ai.request.model"] == "A"), key=lambda s: s.span.start_time_unix_nano)
    assert first.parent_span_id == second.parent_span_id == agent.span_id and tool.parent_span_id == agent.span_id
    b = next(s for s in calls if s.attributes["gen_ai.request.model"] == "B")
    assert spans[b.parent_span_id].name == "execute_tool lookup"
    assert [(spans[span_id].name, attrs["ao.dataflow.via"]) for span_id, attrs in second.links if attrs.get("ao.link.type") == "dataflow"] == [("chat A", "taint")]
    assert [span_id for span_id, _ in second.links] == [first.span_id]
