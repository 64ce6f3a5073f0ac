"""The read side on a small stored run: runs list, one run, its graph, a call, edits."""

from __future__ import annotations

import json
import uuid

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from span_builders import MS, T0, Link, ao_call, openllmetry_call, request, run_root, span_id, trace_id

from ao_collector.queries import EMPTY_GRAPH, delete_edits, get_call, get_edits, get_run, list_runs, put_edit, run_graph, run_graph_json
from ao_collector.store import ChdbStore


@pytest.fixture(scope="module")
def stored(store: ChdbStore) -> dict[str, str]:
    """A run `main` with three calls (a → b, a → c, b → c), a subrun whose call feeds c, and a foreign trace."""
    ids = {"main": uuid.uuid4().hex, "sub": uuid.uuid4().hex}
    trace, sub_trace, root, sub_root = trace_id(), trace_id(), span_id(), span_id()
    a, b, c, s = span_id(), span_id(), span_id(), span_id()
    ids.update(trace=trace.hex(), a=a.hex(), b=b.hex(), c=c.hex(), s=s.hex())
    store.write([
        request([
            ao_call(trace, a, ids["main"], parent=root, start=T0 + 10 * MS, prompt="plan it", answer="the plan"),
            ao_call(trace, b, ids["main"], parent=root, start=T0 + 50 * MS, model="unknown-model", links=[Link(trace, a, "taint", "messages[1].content")]),
        ]),
        request([run_root(sub_trace, sub_root, ids["sub"], "research", start=T0 + 60 * MS, duration_ms=40, parent_run=ids["main"]),
                 ao_call(sub_trace, s, ids["sub"], parent=sub_root, start=T0 + 70 * MS, answer="facts")]),
    ], "batch-1")
    store.write([request([
        ao_call(trace, c, ids["main"], parent=root, start=T0 + 120 * MS, cached=True, status=Status.STATUS_CODE_ERROR,
                extra={"error.type": "timeout"},
                links=[Link(trace, a, "taint", "messages[1].content"), Link(trace, a, "content", ""), Link(trace, b, "taint", "messages[2].content"),
                       Link(sub_trace, s, "taint", "messages[3].content")]),
        run_root(trace, root, ids["main"], "main", start=T0, duration_ms=500),
    ], resource={"process.command_args": ["python", "agent.py"], "process.cwd": "/app"})], "batch-2")
    foreign = trace_id()
    ids["foreign"] = foreign.hex()
    store.write([request([openllmetry_call(foreign, span_id(), start=T0 + 1000 * MS, prompt="hi", answer="hello")], scope="other")], "batch-3")
    return ids


def test_list_runs(store: ChdbStore, stored: dict[str, str]) -> None:
    runs = {run["run_id"]: run for run in list_runs(store)}
    assert {stored["main"], stored["sub"], stored["foreign"]} <= set(runs)
    main = runs[stored["main"]]
    assert main["name"] == "main" and main["status"] == "ok" and main["ao_run"] is True
    assert main["command"] == ["python", "agent.py"] and main["cwd"] == "/app"
    assert (main["call_count"], main["error_count"], main["cached_count"], main["span_count"]) == (3, 1, 1, 4)
    assert main["unpriced_calls"] == 1 and main["cost_usd"] == pytest.approx((100 * 2.5 + 20 * 10.0) / 1e6)
    assert main["start_time"] == "2025-10-09T08:53:20.000000Z" and main["duration_ms"] == 500.0
    assert runs[stored["sub"]]["parent_run_id"] == stored["main"]
    assert runs[stored["foreign"]]["ao_run"] is False and runs[stored["foreign"]]["name"] == "openai.chat"
    order = [run["run_id"] for run in list_runs(store)]
    assert order.index(stored["foreign"]) < order.index(stored["main"])  # newest first
    assert len(list_runs(store, limit=1)) == 1


def test_get_run(store: ChdbStore, stored: dict[str, str]) -> None:
    run = get_run(store, stored["main"])
    assert run is not None
    assert [call["id"] for call in run["calls"]] == [stored["a"], stored["b"], stored["c"]]
    assert [sub["run_id"] for sub in run["subruns"]] == [stored["sub"]]
    assert get_run(store, "no-such-run") is None


def test_run_graph(store: ChdbStore, stored: dict[str, str]) -> None:
    graph = run_graph(store, stored["main"])
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert list(nodes) == [stored["a"], stored["b"], stored["c"], stored["s"]]
    a = nodes[stored["a"]]
    assert {"id", "name", "model", "provider", "operation", "input", "output", "cached", "input_tokens", "output_tokens",
            "cost_usd", "duration_ms", "status", "error_type", "start_time", "run_id"} <= set(a)
    assert (a["model"], a["provider"], a["operation"], a["input"], a["output"], a["cached"]) == ("gpt-4o-2024-08-06", "openai", "chat", "plan it", "the plan", False)
    assert (a["input_tokens"], a["output_tokens"], a["duration_ms"], a["status"], a["error_type"], a["external"]) == (100, 20, 10.0, "Unset", "", False)
    assert a["start_time"] == "2025-10-09T08:53:20.010000Z" and a["name"] == "chat gpt-4o-2024-08-06"
    assert nodes[stored["b"]]["cost_usd"] is None
    assert (nodes[stored["c"]]["cached"], nodes[stored["c"]]["error_type"], nodes[stored["c"]]["cost_usd"]) == (True, "timeout", 0.0)
    assert nodes[stored["s"]]["external"] is True and nodes[stored["s"]]["run_id"] == stored["sub"]
    edges = {(e["source"], e["target"]): e for e in graph["edges"]}
    assert set(edges) == {(stored["a"], stored["b"]), (stored["a"], stored["c"]), (stored["b"], stored["c"]), (stored["s"], stored["c"])}
    both = edges[(stored["a"], stored["c"])]
    assert (both["via"], both["path"], both["paths"]) == ("taint", "messages[1].content", ["messages[1].content"])
    assert both["id"] == f"{stored['a']}-{stored['c']}"
    assert run_graph(store, "no-such-run") == {"nodes": [], "edges": []}


def test_run_graph_json_is_encoded_by_clickhouse_with_one_node_per_call(store: ChdbStore) -> None:
    """The API's bytes: valid JSON equal to `run_graph`, a span stored twice (a retried export under another
    batch token, before any merge) is one node, and text is escaped as JSON requires."""
    run, trace, a, b = uuid.uuid4().hex, trace_id(), span_id(), span_id()
    calls = [
        ao_call(trace, a, run, start=T0 + 10 * MS, prompt='say "hi"\n\\ / é', answer="ok"),
        ao_call(trace, b, run, start=T0 + 20 * MS, links=[Link(trace, a, "taint", "messages[1].content")]),
    ]
    store.write([request(calls)], "json-1")
    store.write([request(calls)], "json-2")
    body = run_graph_json(store, run)
    graph = json.loads(body)
    assert graph == run_graph(store, run)
    assert [node["id"] for node in graph["nodes"]] == [a.hex(), b.hex()]
    assert graph["nodes"][0]["input"] == 'say "hi"\n\\ / é' and graph["nodes"][0]["input_tokens"] == 100
    assert [(e["source"], e["target"], e["via"]) for e in graph["edges"]] == [(a.hex(), b.hex(), "taint")]
    assert run_graph_json(store, "no-such-run") == EMPTY_GRAPH


def test_get_call(store: ChdbStore, stored: dict[str, str]) -> None:
    call = get_call(store, stored["c"])
    assert call is not None
    assert call["input_messages"][1] == {"role": "user", "parts": [{"type": "text", "content": "hello"}]}
    assert call["output_messages"][0]["finish_reason"] == "stop"
    assert call["finish_reasons"] == ["stop"] and call["system_instructions"] is None
    assert sorted(call["taint_origins"]) == sorted([stored["a"], stored["a"], stored["b"], stored["s"]])
    assert {(s["span_id"], s["via"]) for s in call["sources"]} == {(stored["a"], "taint"), (stored["a"], "content"), (stored["b"], "taint"), (stored["s"], "taint")}
    assert call["targets"] == [] and call["edits"] == {}
    assert {t["span_id"] for t in get_call(store, stored["a"])["targets"]} == {stored["b"], stored["c"]}
    assert get_call(store, "0000000000000000") is None


def test_edits(store: ChdbStore, stored: dict[str, str]) -> None:
    put_edit(store, stored["main"], stored["b"], "input", {"text": "first"})
    put_edit(store, stored["main"], stored["b"], "input", {"text": "second"})
    put_edit(store, stored["main"], stored["c"], "output", {"response": {"content": "x"}})
    edits = get_edits(store, stored["main"])
    assert [(e["span_id"], e["kind"], e["body"]) for e in edits] == sorted(
        [(stored["b"], "input", {"text": "second"}), (stored["c"], "output", {"response": {"content": "x"}})]
    )
    assert get_call(store, stored["b"])["edits"] == {"input": {"text": "second"}}
    assert delete_edits(store, stored["main"]) == 2
    assert get_edits(store, stored["main"]) == []
    with pytest.raises(ValueError):
        put_edit(store, stored["main"], stored["b"], "both", {})
