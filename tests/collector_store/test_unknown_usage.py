"""Usage a span does not report is unknown: NULL tokens and cost in ao_llm_calls, never 0; run sums of the
known calls with a count of the others (issue 10.6). On the real chDB engine."""

from __future__ import annotations

import uuid
from pathlib import Path

from own_process import run_store_script
from span_builders import ao_call, request, run_root, span, span_id, trace_id

from ao_collector.queries.runs import get_run, list_runs
from ao_collector.schema import load
from ao_collector.store import ChdbStore


def calls_of(store: ChdbStore, run: str) -> dict[str, dict]:
    rows = store.query(
        "SELECT SpanId, InputTokens, OutputTokens, CostUsd FROM ao.ao_llm_calls FINAL WHERE RunId = {r:String}", {"r": run}
    )
    return {row.pop("SpanId"): row for row in rows}


def test_tokens_and_cost_of_a_call_without_usage_are_null(store: ChdbStore) -> None:
    run, trace = uuid.uuid4().hex, trace_id()
    known, unknown, zero, partial, embedding = (span_id() for _ in range(5))
    store.write([request([
        run_root(trace, span_id(), run, "usage"),
        ao_call(trace, known, run, input_tokens=1000, output_tokens=100),
        ao_call(trace, unknown, run, input_tokens=None, output_tokens=None),
        ao_call(trace, zero, run, input_tokens=0, output_tokens=0),
        ao_call(trace, partial, run, input_tokens=50, output_tokens=None),
        span("embeddings text-embedding-3-small", trace, embedding, attrs={
            "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai", "ao.run.id": run,
            "gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 8, "ao.call.key": "e"}),
    ])], uuid.uuid4().hex)
    calls = calls_of(store, run)
    assert calls[unknown.hex()] == {"InputTokens": None, "OutputTokens": None, "CostUsd": None}
    assert calls[partial.hex()] == {"InputTokens": 50, "OutputTokens": None, "CostUsd": None}
    assert calls[zero.hex()] == {"InputTokens": 0, "OutputTokens": 0, "CostUsd": 0.0}
    assert calls[known.hex()]["InputTokens"] == 1000 and calls[known.hex()]["CostUsd"] > 0
    assert calls[embedding.hex()]["OutputTokens"] == 0 and calls[embedding.hex()]["CostUsd"] > 0  # priced: no output

    (listed,) = [row for row in list_runs(store) if row["run_id"] == run]
    assert listed["input_tokens"] == 1000 + 0 + 50 + 8 and listed["output_tokens"] == 100
    assert listed["unknown_usage_calls"] == 2 and listed["unpriced_calls"] == 2
    detail = get_run(store, run)
    assert detail is not None
    by_id = {call["id"]: call for call in detail["calls"]}
    assert by_id[unknown.hex()]["input_tokens"] is None and by_id[unknown.hex()]["cost_usd"] is None


def test_a_run_whose_calls_all_lack_usage_has_no_token_sums(store: ChdbStore) -> None:
    run, trace = uuid.uuid4().hex, trace_id()
    store.write([request([run_root(trace, span_id(), run, "no usage"),
                          ao_call(trace, span_id(), run, input_tokens=None, output_tokens=None)])], uuid.uuid4().hex)
    (listed,) = [row for row in list_runs(store) if row["run_id"] == run]
    assert listed["input_tokens"] is None and listed["output_tokens"] is None and listed["cost_usd"] is None
    assert listed["unknown_usage_calls"] == 1


MIGRATE_FROM_0004 = """
import json, sys
from ao_collector.schema import apply_migrations
from ao_collector.store import open_store

store = open_store(data_dir=sys.argv[1])
apply_migrations(store, up_to=4)
store.command("INSERT INTO ao.ao_llm_calls (RunId, SpanId, InputTokens, OutputTokens, CostUsd) VALUES ('r', 's', 12, 3, 0.5)")
store.command("INSERT INTO ao.ao_runs (RunId, CallCount, InputTokens, OutputTokens) VALUES ('r', 1, 12, 3)")
applied = apply_migrations(store)
print(json.dumps({
    "applied": applied,
    "calls": store.query("SELECT RunId, SpanId, InputTokens, OutputTokens, CostUsd FROM ao.ao_llm_calls"),
    "runs": store.query("SELECT RunId, CallCount, InputTokens, UnknownUsageCount FROM ao.ao_runs"),
    "types": store.query("SELECT name, type FROM system.columns WHERE database = 'ao' AND table = 'ao_llm_calls' "
                         "AND name IN ('InputTokens', 'OutputTokens') ORDER BY name"),
}))
store.close()
"""


def test_the_migration_keeps_the_rows_written_before(tmp_path: Path) -> None:
    """A store at schema 0004 with rows, migrated."""
    result = run_store_script(MIGRATE_FROM_0004, tmp_path / "old")
    assert result["applied"] == [m.version for m in load("ao")[1] if m.version > 4]
    assert result["calls"] == [{"RunId": "r", "SpanId": "s", "InputTokens": 12, "OutputTokens": 3, "CostUsd": 0.5}]
    assert result["runs"] == [{"RunId": "r", "CallCount": 1, "InputTokens": 12, "UnknownUsageCount": 0}]
    assert result["types"] == [{"name": "InputTokens", "type": "Nullable(UInt64)"},
                               {"name": "OutputTokens", "type": "Nullable(UInt64)"}]  # fmt: skip


def test_on_a_cluster_the_distributed_tables_follow_and_a_single_server_skips_them() -> None:
    cluster = [s for m in load("ao", "prod")[1] if m.name == "unknown_usage" for s in m.statements]
    assert [s.split(" ON CLUSTER")[0] for s in cluster] == [
        "ALTER TABLE ao.ao_llm_calls_local", "ALTER TABLE ao.ao_llm_calls",
        "ALTER TABLE ao.ao_runs_local", "ALTER TABLE ao.ao_runs",
    ]
    single = [s for m in load("ao")[1] if m.name == "unknown_usage" for s in m.statements]
    assert [s.split(" MODIFY")[0].split(" ADD")[0] for s in single] == ["ALTER TABLE ao.ao_llm_calls", "ALTER TABLE ao.ao_runs"]
