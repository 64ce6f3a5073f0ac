"""The views that derive ao's tables from otel_traces: prices from ao_prices, the migration from the tables
ao-collector wrote itself, and their DDL on a cluster."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from own_process import run_store_script
from span_builders import ao_call, request, span_id, trace_id

from ao_collector.pricing import PriceTable, default_prices
from ao_collector.pricing.price_rows import load_prices
from ao_collector.schema import load
from ao_collector.store import ChdbStore

MODELS = [
    "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-05-13", "GPT-4.1", "openai/gpt-5-mini", "chatgpt-4o-latest",
    "gpt-5-chat-latest", "claude-sonnet-4-5-20250929", "claude-3-5-sonnet-latest", "claude-3-5-sonnet@20240620",
    "anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-sonnet-4-0",
    "gpt-4o-audio-preview", "my-local-model", "",
]


def _cost(store: ChdbStore, model: str, cache_read: int = 0) -> float | None:
    run, trace, sid = uuid.uuid4().hex, trace_id(), span_id()
    store.write([request([ao_call(trace, sid, run, model=model, input_tokens=1000, output_tokens=100,
                                  cache_read=cache_read)])], uuid.uuid4().hex)
    rows = store.query("SELECT CostUsd FROM ao.ao_llm_calls WHERE RunId = {r:String}", {"r": run})
    assert len(rows) == 1
    return rows[0]["CostUsd"]


@pytest.mark.parametrize("model", MODELS)
def test_the_view_prices_each_name_as_the_price_table_does(store: ChdbStore, model: str) -> None:
    expected = default_prices().cost(model, 1000, 100, cache_read=200)
    cost = _cost(store, model, cache_read=200)
    assert (cost is None) == (expected is None)
    if expected is not None:
        assert cost == pytest.approx(expected)


def test_new_prices_are_a_new_version_and_earlier_calls_keep_their_cost(store: ChdbStore) -> None:
    assert load_prices(store) is None  # migrate loaded these already
    before = _cost(store, "gpt-4o")
    doubled = PriceTable.from_json({"models": {"gpt-4o": {"input": 5.0, "output": 20.0}, "my-local-model": {
        "input": 1.0, "output": 1.0}}})
    try:
        version = load_prices(store, default_prices().merged(doubled))
        assert version is not None and load_prices(store, default_prices().merged(doubled)) is None
        assert _cost(store, "gpt-4o") == pytest.approx(before * 2)
        assert _cost(store, "my-local-model") == pytest.approx((1000 + 100) / 1e6)
    finally:
        assert load_prices(store) is not None
    assert _cost(store, "gpt-4o") == pytest.approx(before)
    assert _cost(store, "my-local-model") is None


MIGRATE_FROM_0007 = """
import json, sys
from ao_collector.schema import apply_migrations
from ao_collector.store import open_store

store = open_store(data_dir=sys.argv[1])
apply_migrations(store, up_to=7)
# a call, an edge and a run as ao-collector wrote them itself before the views
store.command("INSERT INTO ao.ao_llm_calls (RunId, TraceId, SpanId, Timestamp, Source, InputPreview) "
              "VALUES ('old', 't', 's', '2026-12-01 10:00:00', 'ao', 'What is 2+2?')")
store.command("INSERT INTO ao.ao_dataflow_edges (RunId, SourceSpanId, TargetSpanId, Via, Timestamp) "
              "VALUES ('old', 'r', 's', 'taint', '2026-12-01 10:00:00')")
store.command("INSERT INTO ao.ao_runs (RunId, Name, SpanCount, CallCount, StartTime) "
              "VALUES ('old', 'before', 2, 1, '2026-12-01 10:00:00')")
store.migrate()
print(json.dumps({
    "calls": store.query("SELECT RunId, SpanId, InputPreview FROM ao.ao_llm_calls ORDER BY RunId"),
    "edges": store.query("SELECT RunId, TargetSpanId FROM ao.ao_dataflow_edges ORDER BY RunId"),
    "runs": store.query("SELECT RunId, max(Name) AS Name, sum(SpanCount) AS Spans, sum(CallCount) AS Calls "
                        "FROM ao.ao_runs GROUP BY RunId ORDER BY RunId"),
    "views": [r["name"] for r in store.query("SELECT name FROM system.tables WHERE database = 'ao' "
                                             "AND engine = 'MaterializedView' ORDER BY name")],
}))
"""


def test_the_migration_keeps_what_ao_collector_wrote_before(tmp_path: Path) -> None:
    result = run_store_script(MIGRATE_FROM_0007, tmp_path / "old")
    assert result["calls"] == [{"RunId": "old", "SpanId": "s", "InputPreview": "What is 2+2?"}]
    assert result["edges"] == [{"RunId": "old", "TargetSpanId": "s"}]
    assert result["runs"] == [{"RunId": "old", "Name": "before", "Spans": 2, "Calls": 1}]
    assert result["views"] == ["ao_content_pending_mv", "ao_dataflow_edges_mv", "ao_edits_history_mv", "ao_llm_calls_mv",
                               "ao_runs_calls_mv", "ao_runs_spans_mv", "otel_traces_trace_id_ts_mv"]


def test_on_a_cluster_the_views_run_on_each_shards_local_tables() -> None:
    statements = [s for m in load("ao", "prod")[1] if m.name == "views" for s in m.statements]
    views = {s.split()[6]: s for s in statements if s.startswith("CREATE MATERIALIZED VIEW")}
    assert set(views) == {"ao.ao_llm_calls_mv", "ao.ao_dataflow_edges_mv", "ao.ao_runs_spans_mv", "ao.ao_runs_calls_mv",
                          "ao.ao_content_pending_mv"}
    for name, statement in views.items():
        assert "ON CLUSTER 'prod'" in statement
        target = statement.split(" TO ")[1].split()[0]
        assert target.endswith("_local"), name
        sources = [word for word in statement.replace("(", " ").split() if word.startswith(("ao.otel_traces", "ao.ao_llm_calls"))]
        assert sources and all(source.endswith("_local") or source == "ao.ao_llm_calls_mv" for source in sources), name
    # The prices every shard's view joins: one table replicated to every node.
    prices = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS ao.ao_prices "))
    assert "ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')" in prices
    assert "FROM ao.ao_prices " in views["ao.ao_llm_calls_mv"]
    assert any(s.endswith("Distributed('prod', 'ao', 'ao_content_pending_local', cityHash64(TraceId))") for s in statements)
