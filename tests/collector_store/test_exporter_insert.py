"""Spans written by the OpenTelemetry Collector's ClickHouse exporter fill ao's tables exactly as spans sent
through ao-collector: the same requests, once through `Store.write` and once as the exporter's insert
(`exporter_insert`, pinned), each into a fresh store of its own process, give the same rows in every table."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

from exporter_insert import PINNED_COMMIT
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from own_process import run_store_script
from span_builders import (
    MS,
    T0,
    Link,
    ao_call,
    anthropic_sdk_call,
    openinference_call,
    openllmetry_call,
    request,
    run_root,
    span,
    span_id,
    trace_id,
)

HERE = Path(__file__).parent

# Prints every table's rows, ids and times as text, in a stable order; argv: data dir, requests file, path.
STORE_SCRIPT = """
import base64, json, sys
sys.path.insert(0, {here!r})
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from exporter_insert import insert_statement
from ao_collector.pipeline.content_matching import ContentMatching
from ao_collector.store import open_store

store = open_store(data_dir=sys.argv[1])
store.migrate()
payloads = [base64.b64decode(p) for p in json.load(open({requests!r}))]
if {path!r} == "collector":
    store.write(payloads, "batch")
else:
    requests = [ExportTraceServiceRequest.FromString(p) for p in payloads]
    store.command(insert_statement("ao", "otel_traces", requests))
edges = ContentMatching(store).run()
queries = {{
    "otel_traces": "SELECT * FROM ao.otel_traces ORDER BY SpanId",
    "ao_llm_calls": "SELECT * FROM ao.ao_llm_calls FINAL ORDER BY SpanId",
    "ao_dataflow_edges": "SELECT * FROM ao.ao_dataflow_edges FINAL ORDER BY TargetSpanId, SourceSpanId, Via, Path",
    "ao_runs": "SELECT * FROM ao.ao_runs FINAL ORDER BY RunId",
    "ao_content_pending": "SELECT * EXCEPT IngestTime FROM ao.ao_content_pending ORDER BY SpanId",
}}
print(json.dumps({{"content_edges": edges, **{{t: json.loads(store.query_json(q)) for t, q in queries.items()}}}}))
store.close()
"""


def _requests(third_party: Path) -> list[ExportTraceServiceRequest]:
    """ao runs in every shape the views must handle, and real spans of other instrumentations."""
    run, replay, trace, root, a, b, c, failed = (uuid.uuid4().hex, uuid.uuid4().hex, trace_id(), span_id(), span_id(),
                                                 span_id(), span_id(), span_id())
    foreign, plan, write, review = trace_id(), span_id(), span_id(), span_id()
    answer = "Step 1: gather the quarterly revenue figures for Europe."
    ao_spans = [
        run_root(trace, root, run, "plan"),
        ao_call(trace, a, run, parent=root, cache_read=30),
        ao_call(trace, b, run, parent=root, start=T0 + 50 * MS, links=[Link(trace, a, path="messages[1]")]),
        ao_call(trace, c, run, parent=root, start=T0 + 80 * MS, model="my-local-model", input_tokens=None, cached=True,
                links=[Link(trace, a), Link(trace, b, via="content"), Link(trace, b, attributes={"ao.link.type": "other"})]),
        span("chat gpt-4o", trace, failed, parent=root, start=T0 + 90 * MS, status=Status.STATUS_CODE_ERROR,
             attrs={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "ao.run.id": run, "ao.call.key": "f"},
             events=[(T0 + 95 * MS, "exception", {"exception.type": "APITimeoutError"})]),
        span("execute_tool search", trace, span_id(), parent=root, attrs={"gen_ai.operation.name": "execute_tool",
                                                                           "ao.run.id": run}),
    ]
    replayed = [run_root(trace_id(), span_id(), replay, "plan", replay_of=run, parent_run=run)]
    foreign_spans = [
        openllmetry_call(foreign, plan, start=T0, prompt="Make a plan.", answer=answer),
        openinference_call(foreign, write, start=T0 + 100 * MS, prompt=f"Follow this plan:\n{answer}", answer="done"),
        anthropic_sdk_call(foreign, review, start=T0 + 200 * MS),
    ]
    resource = {"process.command_args": ["python", "agent.py", "--n", 3], "process.cwd": "/work"}
    return [
        request(ao_spans, resource=resource), request(replayed, service="agent-replay"),
        request(foreign_spans, scope="opentelemetry.instrumentation.openai"),
        ExportTraceServiceRequest.FromString(third_party.read_bytes()),
    ]


def test_the_exporters_insert_fills_ao_tables_as_ao_collector_does(tmp_path: Path) -> None:
    third_party = tmp_path / "third-party.otlp"
    done = subprocess.run([sys.executable, str(HERE / "instrumented_calls.py"), str(third_party)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    requests_file = tmp_path / "requests.json"
    requests_file.write_text(json.dumps([base64.b64encode(r.SerializeToString()).decode()
                                         for r in _requests(third_party)]))
    results = {
        path: run_store_script(STORE_SCRIPT.format(here=str(HERE), requests=str(requests_file), path=path),
                               tmp_path / path)
        for path in ("collector", "exporter")
    }
    collector, exporter = results["collector"], results["exporter"]
    assert PINNED_COMMIT.startswith("61540ced")
    for table in ("otel_traces", "ao_llm_calls", "ao_dataflow_edges", "ao_runs", "ao_content_pending"):
        assert exporter[table] == collector[table], table
    # What the comparison covers: every kind of row is there.
    assert len(collector["otel_traces"]) >= 13
    sources = {call["Source"] for call in collector["ao_llm_calls"]}
    assert {"ao", "openllmetry", "openinference", "anthropic-sdk"} <= sources
    assert {edge["Via"] for edge in collector["ao_dataflow_edges"]} == {"taint", "content"}
    assert collector["content_edges"] == exporter["content_edges"] >= 2
    original = next(run for run in collector["ao_runs"] if run["Name"] == "plan" and not run["ReplayOf"])
    assert (original["CommandArgs"], original["Cwd"]) == (["python", "agent.py", "--n", "3"], "/work")
    assert (original["SpanCount"], original["CallCount"], original["UnpricedCount"], original["UnknownUsageCount"]) == (6, 4, 1, 2)
    replayed = next(run for run in collector["ao_runs"] if run["ReplayOf"])
    assert replayed["ReplayOf"] == replayed["ParentRunId"] == original["RunId"]
    errors = [call for call in collector["ao_llm_calls"] if call["ErrorType"]]
    assert [call["ErrorType"] for call in errors] == ["APITimeoutError"]
