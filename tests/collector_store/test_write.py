"""Writing spans: every table's rows, from ao's spans and other instrumentations', on the real chDB engine."""

from __future__ import annotations

import json
import uuid

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
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

from ao_collector.model.stored_content import CallContent, CallRef, call_contents
from ao_collector.pipeline.content_matching import ContentMatching
from ao_collector.store import ChdbStore


def stored_content(store: ChdbStore, span_id_hex: str) -> CallContent:
    """A call's content, as the API reads it: from otel_traces (ao_llm_calls keeps previews only)."""
    row = one(store, "SELECT TraceId, toUnixTimestamp64Nano(Timestamp) AS start FROM ao.ao_llm_calls "
                     "WHERE SpanId = {s:String}", s=span_id_hex)
    return call_contents(store, [CallRef(row["TraceId"], span_id_hex, int(row["start"]))])[span_id_hex]


def new_run() -> str:
    return uuid.uuid4().hex


def token() -> str:
    return uuid.uuid4().hex


def one(store: ChdbStore, sql: str, **parameters: object) -> dict:
    rows = store.query(sql, parameters)
    assert len(rows) == 1, rows
    return rows[0]


def test_otel_traces_round_trip(store: ChdbStore) -> None:
    trace, sid, linked = trace_id(), span_id(), span_id()
    attributes = {
        "text": "hello", "empty": "", "flag": True, "off": False, "count": 42, "zero": 0, "ratio": 0.25,
        "blob": b"\x00\x01", "names": ["a", "b"], "numbers": [1, 2], "mapping": {"k": "v", "n": 3},
    }
    item = span(
        "custom op", trace, sid, parent=b"\x01" * 8, start=T0, duration_ms=7, kind=Span.SPAN_KIND_SERVER,
        status=Status.STATUS_CODE_ERROR, status_message="boom", attrs=attributes,
        events=[(T0 + 2 * MS, "exception", {"exception.type": "ValueError", "exception.message": "bad"})],
        links=[Link(trace, linked, attributes={"note": "x"})],
    )
    item.trace_state = "vendor=1"
    store.write([request([item], scope="my.scope", service="svc", resource={"host.name": "h1", "pid": 7})], token())
    assert one(store, "SELECT count() AS n FROM ao.otel_traces WHERE TraceId = {t:String}", t=trace.hex())["n"] == 1
    row = one(store, "SELECT * FROM ao.otel_traces WHERE SpanId = {s:String}", s=sid.hex())
    assert row["TraceId"] == trace.hex() and row["ParentSpanId"] == "01" * 8 and row["TraceState"] == "vendor=1"
    assert (row["SpanName"], row["SpanKind"], row["ServiceName"]) == ("custom op", "Server", "svc")
    assert (row["ScopeName"], row["ScopeVersion"]) == ("my.scope", "1.0")
    assert (row["StatusCode"], row["StatusMessage"], row["Duration"]) == ("Error", "boom", 7 * MS)
    assert row["ResourceAttributes"] == {"service.name": "svc", "host.name": "h1", "pid": "7"}
    assert row["SpanAttributes"] == {
        "text": "hello", "empty": "", "flag": "true", "off": "false", "count": "42", "zero": "0", "ratio": "0.25",
        "blob": "AAE=", "names": '["a","b"]', "numbers": "[1,2]", "mapping": '{"k":"v","n":3}',
    }
    assert row["Events.Name"] == ["exception"]
    assert [dict(a) for a in row["Events.Attributes"]] == [{"exception.type": "ValueError", "exception.message": "bad"}]
    assert row["Links.TraceId"] == [trace.hex()] and row["Links.SpanId"] == [linked.hex()]
    assert dict(row["Links.Attributes"][0]) == {"ao.link.type": "dataflow", "ao.dataflow.via": "taint", "note": "x"}
    times = one(store, "SELECT toUnixTimestamp64Nano(Timestamp) AS t, toUnixTimestamp64Nano(`Events.Timestamp`[1]) AS e "
                       "FROM ao.otel_traces WHERE SpanId = {s:String}", s=sid.hex())
    assert (times["t"], times["e"]) == (T0, T0 + 2 * MS)


def test_trace_id_ts_lookup(store: ChdbStore) -> None:
    trace = trace_id()
    store.write([request([span("a", trace, span_id(), start=T0), span("b", trace, span_id(), start=T0 + 5_000 * MS)])], token())
    store.write([request([span("c", trace, span_id(), start=T0 + 9_000 * MS)])], token())
    row = one(store, "SELECT toUnixTimestamp(min(Start)) AS s, toUnixTimestamp(max(End)) AS e "
                     "FROM ao.otel_traces_trace_id_ts WHERE TraceId = {t:String}", t=trace.hex())
    assert (row["s"], row["e"]) == (T0 // 10**9, (T0 + 9_000 * MS) // 10**9)


def test_ao_call_row(store: ChdbStore) -> None:
    run, trace, sid = new_run(), trace_id(), span_id()
    store.write([request([ao_call(trace, sid, run, prompt="What is 2+2?", answer="Four.", input_tokens=1000,
                                  output_tokens=100, cache_read=400, call_key="abc")])], token())
    row = one(store, "SELECT * FROM ao.ao_llm_calls WHERE SpanId = {s:String}", s=sid.hex())
    assert (row["RunId"], row["TraceId"], row["Source"], row["Provider"], row["Operation"]) == (run, trace.hex(), "ao", "openai", "chat")
    assert (row["RequestModel"], row["ResponseModel"], row["SpanName"]) == ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "chat gpt-4o-2024-08-06")
    assert (row["InputTokens"], row["OutputTokens"], row["CacheReadInputTokens"]) == (1000, 100, 400)
    # gpt-4o: 600 uncached * 2.50 + 400 cached * 1.25 + 100 out * 10.00 per 1M tokens
    assert row["CostUsd"] == pytest.approx((600 * 2.5 + 400 * 1.25 + 100 * 10.0) / 1e6)
    assert (row["CallKey"], row["Cached"], row["StatusCode"], row["ErrorType"]) == ("abc", False, "Unset", "")
    content = stored_content(store, sid.hex())
    assert json.loads(content.input_messages)[1]["parts"][0]["content"] == "What is 2+2?"
    assert json.loads(content.output_messages)[0]["parts"][0]["content"] == "Four."
    assert not {"InputMessages", "OutputMessages", "SystemInstructions", "ToolDefinitions"} & set(row)  # stored once
    assert row["FinishReasons"] == ["stop"] and row["TaintOrigins"] == []
    previews = one(store, "SELECT InputPreview, OutputPreview FROM ao.ao_llm_calls WHERE SpanId = {s:String}", s=sid.hex())
    assert previews == {"InputPreview": "What is 2+2?", "OutputPreview": "Four."}


def test_cost_unknown_model_is_null_and_cached_call_is_free(store: ChdbStore) -> None:
    run, trace = new_run(), trace_id()
    unknown, cached, claude = span_id(), span_id(), span_id()
    store.write([request([
        ao_call(trace, unknown, run, model="my-local-llama"),
        ao_call(trace, cached, run, cached=True),
        ao_call(trace, claude, run, model="claude-sonnet-4-5-20250929", provider="anthropic", input_tokens=2000, output_tokens=500),
    ])], token())
    costs = {r["SpanId"]: r["CostUsd"] for r in store.query("SELECT SpanId, CostUsd FROM ao.ao_llm_calls WHERE RunId = {r:String}", {"r": run})}
    assert costs[unknown.hex()] is None
    assert costs[cached.hex()] == 0.0
    assert costs[claude.hex()] == pytest.approx((2000 * 3.0 + 500 * 15.0) / 1e6)
    runs = one(store, "SELECT sum(CostUsd) AS cost, sum(UnpricedCount) AS unpriced, sum(CachedCount) AS cached "
                      "FROM ao.ao_runs WHERE RunId = {r:String}", r=run)
    assert runs == {"cost": pytest.approx((2000 * 3.0 + 500 * 15.0) / 1e6), "unpriced": 1, "cached": 1}


def test_error_type_from_attribute_or_exception_event(store: ChdbStore) -> None:
    run, trace, named, unnamed = new_run(), trace_id(), span_id(), span_id()
    failing = ao_call(trace, unnamed, run, status=Status.STATUS_CODE_ERROR)
    failing.events.add(time_unix_nano=T0, name="exception").attributes.add(key="exception.type").value.string_value = "RateLimitError"
    store.write([request([ao_call(trace, named, run, status=Status.STATUS_CODE_ERROR, extra={"error.type": "timeout"}), failing])], token())
    errors = {r["SpanId"]: r["ErrorType"] for r in store.query("SELECT SpanId, ErrorType FROM ao.ao_llm_calls WHERE RunId = {r:String}", {"r": run})}
    assert errors == {named.hex(): "timeout", unnamed.hex(): "RateLimitError"}
    assert one(store, "SELECT sum(ErrorCount) AS n FROM ao.ao_runs WHERE RunId = {r:String}", r=run)["n"] == 2


def test_dataflow_edges_from_links_also_across_batches(store: ChdbStore) -> None:
    run, trace = new_run(), trace_id()
    a, b, c = span_id(), span_id(), span_id()
    store.write([request([ao_call(trace, a, run, start=T0), ao_call(trace, b, run, start=T0 + 20 * MS, links=[Link(trace, a, "taint", "messages[1].content")])])], token())
    # c arrives in a later batch and depends on both a (earlier batch) and b.
    store.write([request([ao_call(trace, c, run, start=T0 + 40 * MS,
                                  links=[Link(trace, a, "taint", "messages[0].content"), Link(trace, b, "content", "")])])], token())
    edges = store.query("SELECT SourceSpanId, TargetSpanId, SourceTraceId, TargetTraceId, Via, Path FROM ao.ao_dataflow_edges "
                        "WHERE RunId = {r:String} ORDER BY TargetSpanId = {c:String}, SourceSpanId = {b:String}",
                        {"r": run, "c": c.hex(), "b": b.hex()})
    assert [(e["SourceSpanId"], e["TargetSpanId"], e["Via"], e["Path"]) for e in edges] == [
        (a.hex(), b.hex(), "taint", "messages[1].content"),
        (a.hex(), c.hex(), "taint", "messages[0].content"),
        (b.hex(), c.hex(), "content", ""),
    ]
    assert all(e["SourceTraceId"] == e["TargetTraceId"] == trace.hex() for e in edges)
    assert one(store, "SELECT TaintOrigins FROM ao.ao_llm_calls WHERE SpanId = {s:String}", s=c.hex())["TaintOrigins"] == [a.hex(), b.hex()]


def test_links_of_other_types_make_no_edge(store: ChdbStore) -> None:
    run, trace, a, b = new_run(), trace_id(), span_id(), span_id()
    other = ao_call(trace, b, run)
    other.links.add(trace_id=trace, span_id=a).attributes.add(key="ao.link.type").value.string_value = "follows"
    store.write([request([ao_call(trace, a, run), other])], token())
    assert store.query("SELECT * FROM ao.ao_dataflow_edges WHERE RunId = {r:String}", {"r": run}) == []


def test_same_token_writes_once(store: ChdbStore) -> None:
    run, trace = new_run(), trace_id()
    root, a, b = span_id(), span_id(), span_id()
    batch = [request([run_root(trace, root, run, "dedup"), ao_call(trace, a, run), ao_call(trace, b, run, links=[Link(trace, a)])])]
    same = token()
    store.write(batch, same)
    store.write(batch, same)
    counts = one(store, "SELECT (SELECT count() FROM ao.otel_traces WHERE TraceId = {t:String}) AS spans, "
                        "(SELECT count() FROM ao.ao_llm_calls WHERE RunId = {r:String}) AS calls, "
                        "(SELECT count() FROM ao.ao_dataflow_edges WHERE RunId = {r:String}) AS edges, "
                        "(SELECT sum(SpanCount) FROM ao.ao_runs WHERE RunId = {r:String}) AS run_spans",
                 t=trace.hex(), r=run)
    assert counts == {"spans": 3, "calls": 2, "edges": 1, "run_spans": 3}
    store.write(batch, token())  # another token is another batch
    assert one(store, "SELECT count() AS n FROM ao.otel_traces WHERE TraceId = {t:String}", t=trace.hex())["n"] == 6
    # ...but calls and edges are one per span under FINAL
    assert one(store, "SELECT count() AS n FROM ao.ao_llm_calls FINAL WHERE RunId = {r:String}", r=run)["n"] == 2


def test_run_row_is_updated_by_later_spans(store: ChdbStore) -> None:
    run, parent_run, trace, root = new_run(), new_run(), trace_id(), span_id()
    store.write([request([ao_call(trace, span_id(), run, parent=root, start=T0 + 10 * MS, input_tokens=10, output_tokens=1)],
                         resource={"process.command_args": ["python", "child.py"]})], token())
    early = one(store, "SELECT max(Name) AS name, max(RootSpanId) AS root, sum(CallCount) AS calls FROM ao.ao_runs WHERE RunId = {r:String}", r=run)
    assert early == {"name": "", "root": "", "calls": 1}
    store.write([request([ao_call(trace, span_id(), run, parent=root, start=T0 + 500 * MS, input_tokens=20, output_tokens=2)])], token())
    root_span = run_root(trace, root, run, "plan", start=T0, duration_ms=2000, parent_run=parent_run, replay_of="r0",
                         status=Status.STATUS_CODE_ERROR)
    root_span.attributes.add(key="process.working_directory").value.string_value = "/work/app"
    command = root_span.attributes.add(key="process.command_args")
    command.value.array_value.values.add().string_value = "python"
    command.value.array_value.values.add().string_value = "agent.py"
    store.write([request([root_span], service="unknown_service")], token())
    row = one(store, "SELECT RunId, Name, ParentRunId, ReplayOf, TraceId, RootSpanId, ServiceName, CommandArgs, Cwd, "
                     "toUnixTimestamp64Nano(StartTime) AS start, toUnixTimestamp64Nano(EndTime) AS end, RootStatus, AoRun, "
                     "SpanCount, CallCount, InputTokens, OutputTokens FROM ao.ao_runs FINAL WHERE RunId = {r:String}", r=run)
    assert row == {
        "RunId": run, "Name": "plan", "ParentRunId": parent_run, "ReplayOf": "r0", "TraceId": trace.hex(),
        "RootSpanId": root.hex(), "ServiceName": "agent", "CommandArgs": ["python", "agent.py"], "Cwd": "/work/app",
        "start": T0, "end": T0 + 2000 * MS, "RootStatus": "Error", "AoRun": 1, "SpanCount": 3, "CallCount": 2,
        "InputTokens": 30, "OutputTokens": 3,
    }


def test_openllmetry_span_is_normalised(store: ChdbStore) -> None:
    trace, sid = trace_id(), span_id()
    store.write([request([openllmetry_call(trace, sid, start=T0, prompt="Name a colour.", answer="Blue.")],
                         scope="opentelemetry.instrumentation.openai.v1")], token())
    row = one(store, "SELECT * FROM ao.ao_llm_calls WHERE SpanId = {s:String}", s=sid.hex())
    assert (row["RunId"], row["Source"], row["Provider"], row["Operation"]) == (trace.hex(), "openllmetry", "openai", "chat")
    assert (row["RequestModel"], row["ResponseModel"], row["InputTokens"], row["OutputTokens"]) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 50, 10)
    content = stored_content(store, sid.hex())
    assert (row["InputPreview"], row["OutputPreview"]) == ("Name a colour.", "Blue.")  # built in Python
    assert json.loads(content.input_messages) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Name a colour."}]},
    ]
    assert json.loads(content.output_messages) == [{"role": "assistant", "parts": [{"type": "text", "content": "Blue."}], "finish_reason": "stop"}]
    assert json.loads(content.tool_definitions) == [{"type": "function", "name": "lookup", "description": "", "parameters": {"type": "object"}}]
    assert row["FinishReasons"] == ["stop"]
    assert row["CostUsd"] == pytest.approx((50 * 0.15 + 10 * 0.6) / 1e6)


def test_openinference_span_is_normalised(store: ChdbStore) -> None:
    trace, sid = trace_id(), span_id()
    store.write([request([openinference_call(trace, sid, start=T0, prompt="Find x.", answer="Searching.")],
                         scope="openinference.instrumentation.openai")], token())
    row = one(store, "SELECT * FROM ao.ao_llm_calls WHERE SpanId = {s:String}", s=sid.hex())
    assert (row["Source"], row["Provider"], row["Operation"]) == ("openinference", "anthropic", "chat")
    assert (row["RequestModel"], row["ResponseModel"]) == ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929")
    assert (row["InputTokens"], row["OutputTokens"], row["CacheReadInputTokens"]) == (1000, 200, 400)
    content = stored_content(store, sid.hex())
    assert (row["InputPreview"], row["OutputPreview"]) == ("Find x.", "Searching.")
    assert json.loads(content.input_messages) == [{"role": "user", "parts": [{"type": "text", "content": "Find x."}]}]
    assert json.loads(content.output_messages) == [{"role": "assistant", "parts": [
        {"type": "text", "content": "Searching."},
        {"type": "tool_call", "id": "call_1", "name": "search", "arguments": {"q": "x"}},
    ]}]
    assert json.loads(content.tool_definitions) == [{"type": "function", "name": "search", "description": "", "parameters": {}}]
    assert row["CostUsd"] == pytest.approx((600 * 3.0 + 400 * 0.3 + 200 * 15.0) / 1e6)


def test_anthropic_sdk_span_and_non_call_spans(store: ChdbStore) -> None:
    trace, sid, tool, agent = trace_id(), span_id(), span_id(), span_id()
    store.write([
        request([anthropic_sdk_call(trace, sid, start=T0)], scope="com.anthropic.sdk.python"),
        request([span("execute_tool search", trace, tool, attrs={"gen_ai.operation.name": "execute_tool"}),
                 span("invoke_agent", trace, agent, attrs={"gen_ai.operation.name": "invoke_agent"}),
                 span("GET /", trace, span_id(), attrs={"http.method": "GET"})]),
    ], token())
    rows = store.query("SELECT * FROM ao.ao_llm_calls WHERE TraceId = {t:String}", {"t": trace.hex()})
    assert len(rows) == 1
    row = rows[0]
    assert (row["Source"], row["Provider"], row["ResponseModel"]) == ("anthropic-sdk", "anthropic", "claude-haiku-4-5-20251001")
    assert (row["InputTokens"], row["CacheReadInputTokens"], row["CacheCreationInputTokens"]) == (1500, 1000, 200)
    assert row["FinishReasons"] == ["end_turn"]
    assert row["CostUsd"] == pytest.approx((300 * 1.0 + 1000 * 0.1 + 200 * 1.25 + 30 * 5.0) / 1e6)


def test_content_edges_for_foreign_spans_within_and_across_batches(store: ChdbStore) -> None:
    trace = trace_id()
    plan, write, review, unrelated, short = span_id(), span_id(), span_id(), span_id(), span_id()
    answer = "Step 1: gather the quarterly revenue figures for Europe."
    store.write([request([
        openllmetry_call(trace, plan, start=T0, prompt="Make a plan.", answer=answer),
        openllmetry_call(trace, write, start=T0 + 100 * MS, prompt=f"Follow this plan:\n{answer}\nThen write.", answer="yes"),
        openllmetry_call(trace, unrelated, start=T0 + 150 * MS, prompt="Something else entirely.", answer="no"),
    ])], token())
    matching = ContentMatching(store)
    assert matching.run() == 1
    # Later batch: the review quotes the plan (first batch) and the writer's short "yes" (no edge from that).
    store.write([request([
        openinference_call(trace, review, start=T0 + 300 * MS, prompt=f"Check: Step 1: gather the quarterly   revenue figures for Europe. Said: yes", answer="ok"),
        openllmetry_call(trace, short, start=T0 + 400 * MS, prompt="yes", answer="done"),
    ])], token())
    assert matching.run() == 1
    # Another collector's pass starts where this one stopped (the progress is in the store): nothing new.
    assert matching.run() == 0 and ContentMatching(store).run() == 0
    edges = {(e["SourceSpanId"], e["TargetSpanId"], e["Via"], e["Path"])
             for e in store.query("SELECT * FROM ao.ao_dataflow_edges WHERE RunId = {r:String}", {"r": trace.hex()})}
    assert edges == {
        (plan.hex(), write.hex(), "content", "messages[1].parts[0]"),
        (plan.hex(), review.hex(), "content", "messages[0].parts[0]"),
    }


def test_ao_calls_get_no_content_edges(store: ChdbStore) -> None:
    run, trace, a, b = new_run(), trace_id(), span_id(), span_id()
    text = "A sufficiently long and distinctive answer sentence."
    store.write([request([ao_call(trace, a, run, answer=text), ao_call(trace, b, run, start=T0 + 50 * MS, prompt=text)])], token())
    ContentMatching(store).run()
    assert store.query("SELECT * FROM ao.ao_dataflow_edges WHERE RunId = {r:String}", {"r": run}) == []


def test_serialized_requests_and_empty_batches(store: ChdbStore) -> None:
    run, trace, sid = new_run(), trace_id(), span_id()
    payload = request([ao_call(trace, sid, run)]).SerializeToString()
    store.write([payload], token())
    assert one(store, "SELECT count() AS n FROM ao.ao_llm_calls WHERE RunId = {r:String}", r=run)["n"] == 1
    before = one(store, "SELECT count() AS n FROM ao.otel_traces")["n"]
    store.write([request([])], token())
    store.write([], token())
    assert one(store, "SELECT count() AS n FROM ao.otel_traces")["n"] == before


def test_many_spans_in_one_write(store: ChdbStore) -> None:
    run, trace = new_run(), trace_id()
    spans = [ao_call(trace, span_id(), run, start=T0 + i * MS, answer=f"answer {i}") for i in range(2000)]
    requests = [request(spans[i : i + 500]) for i in range(0, 2000, 500)]
    store.write(requests, token())
    assert one(store, "SELECT count() AS n FROM ao.otel_traces WHERE TraceId = {t:String}", t=trace.hex())["n"] == 2000
    row = one(store, "SELECT sum(CallCount) AS calls, sum(SpanCount) AS spans FROM ao.ao_runs WHERE RunId = {r:String}", r=run)
    assert row == {"calls": 2000, "spans": 2000}


def test_retry_after_a_failure_part_way_leaves_one_copy(store: ChdbStore) -> None:
    """A view whose table cannot be written fails the insert after otel_traces took the block; the retry with
    the same token fills that view's table and leaves one copy everywhere else."""
    run, trace, a, b = new_run(), trace_id(), span_id(), span_id()
    batch = [request([ao_call(trace, a, run), ao_call(trace, b, run, links=[Link(trace, a)])])]
    same = token()
    store.command("DETACH TABLE ao.ao_runs")
    try:
        with pytest.raises(Exception, match="ao_runs"):
            store.write(batch, same)
    finally:
        store.command("ATTACH TABLE ao.ao_runs")
    store.write(batch, same)
    counts = one(store, "SELECT (SELECT count() FROM ao.otel_traces WHERE TraceId = {t:String}) AS spans, "
                        "(SELECT count() FROM ao.ao_llm_calls WHERE RunId = {r:String}) AS calls, "
                        "(SELECT count() FROM ao.ao_dataflow_edges WHERE RunId = {r:String}) AS edges, "
                        "(SELECT sum(SpanCount) FROM ao.ao_runs WHERE RunId = {r:String}) AS run_spans, "
                        "(SELECT sum(CallCount) FROM ao.ao_runs WHERE RunId = {r:String}) AS run_calls",
                 t=trace.hex(), r=run)
    assert counts == {"spans": 2, "calls": 2, "edges": 1, "run_spans": 2, "run_calls": 2}
