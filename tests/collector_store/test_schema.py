"""The DDL source: rendering for one server and for a cluster, migrations on chDB, exporter compatibility."""

from __future__ import annotations

import pytest

from ao_collector.schema import apply_migrations, load, render
from ao_collector.store import ChdbStore

TABLES = ("otel_traces", "otel_traces_trace_id_ts", "ao_llm_calls", "ao_dataflow_edges", "ao_runs", "ao_edits")


def test_migrations_are_recorded_and_idempotent(store: ChdbStore) -> None:
    applied = store.query("SELECT Version, Name FROM ao.schema_migrations FINAL ORDER BY Version")
    _, migrations = load("ao")
    assert [row["Version"] for row in applied] == [m.version for m in migrations]
    assert apply_migrations(store) == []
    store.migrate()
    assert store.query("SELECT count() AS n FROM ao.schema_migrations")[0]["n"] == len(migrations)


def test_every_table_and_the_view_exist(store: ChdbStore) -> None:
    rows = store.query("SELECT name, engine FROM system.tables WHERE database = 'ao'")
    engines = {row["name"]: row["engine"] for row in rows}
    assert engines["otel_traces"] == "MergeTree"
    assert engines["otel_traces_trace_id_ts"] == "AggregatingMergeTree"
    assert engines["otel_traces_trace_id_ts_mv"] == "MaterializedView"
    assert engines["ao_llm_calls"] == "ReplacingMergeTree"
    assert engines["ao_dataflow_edges"] == "ReplacingMergeTree"
    assert engines["ao_runs"] == "AggregatingMergeTree"
    assert engines["ao_edits"] == "ReplacingMergeTree"


def test_otel_traces_has_the_exporter_layout(store: ChdbStore) -> None:
    columns = {
        row["name"]: (row["type"], row["compression_codec"])
        for row in store.query("SELECT name, type, compression_codec FROM system.columns WHERE database = 'ao' AND table = 'otel_traces'")
    }
    assert columns["Timestamp"] == ("DateTime64(9)", "CODEC(Delta(8), ZSTD(1))")
    assert columns["ServiceName"] == ("LowCardinality(String)", "CODEC(ZSTD(1))")
    assert columns["SpanAttributes"][0] == "Map(LowCardinality(String), String)"
    assert columns["Duration"] == ("UInt64", "CODEC(T64, ZSTD(1))")
    assert columns["Events.Timestamp"][0] == "Array(DateTime64(9))"
    assert columns["Links.Attributes"][0] == "Array(Map(LowCardinality(String), String))"
    for name in ("TraceId", "SpanId", "ParentSpanId", "TraceState", "ScopeName", "ScopeVersion", "StatusMessage"):
        assert columns[name][0] == "String"
    table = store.query("SELECT partition_key, sorting_key, primary_key FROM system.tables WHERE database = 'ao' AND name = 'otel_traces'")[0]
    assert table["partition_key"] == "toDate(Timestamp)"
    assert table["sorting_key"] == "ServiceName, SpanName, toDateTime(Timestamp), Timestamp"
    assert table["primary_key"] == "ServiceName, SpanName, toDateTime(Timestamp)"
    indexes = {
        row["name"]: row["type_full"]
        for row in store.query("SELECT name, type_full FROM system.data_skipping_indices WHERE database = 'ao' AND table = 'otel_traces'")
    }
    assert indexes["idx_trace_id"] == "bloom_filter(0.001)"
    assert {"idx_res_attr_key", "idx_res_attr_value", "idx_span_attr_key", "idx_span_attr_value", "idx_duration"} <= set(indexes)


def test_ao_tables_are_keyed_by_run(store: ChdbStore) -> None:
    keys = {
        row["name"]: row["sorting_key"]
        for row in store.query("SELECT name, sorting_key FROM system.tables WHERE database = 'ao' AND name LIKE 'ao_%'")
    }
    assert keys["ao_llm_calls"].startswith("RunId")
    assert keys["ao_dataflow_edges"].startswith("RunId")
    assert keys["ao_runs"] == "RunId"
    assert keys["ao_edits"].startswith("RunId")


def test_cluster_ddl_is_replicated_on_cluster_with_distributed_tables() -> None:
    bootstrap, migrations = load("ao", "prod")
    statements = [s for m in (bootstrap, *migrations) for s in m.statements]
    creates = [s for s in statements if s.startswith("CREATE")]
    assert all("ON CLUSTER 'prod'" in s for s in creates)
    local = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS ao.otel_traces_local "))
    assert "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')" in local
    distributed = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS ao.otel_traces ON CLUSTER"))
    assert distributed.endswith("AS ao.otel_traces_local ENGINE = Distributed('prod', 'ao', 'otel_traces_local', cityHash64(TraceId))")
    calls = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS ao.ao_llm_calls_local "))
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')" in calls
    edits = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS ao.ao_edits_local "))
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', CreatedAt, Deleted)" in edits
    runs = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS ao.ao_runs_local "))
    assert "ReplicatedAggregatingMergeTree(" in runs
    for table in ("ao_llm_calls", "ao_dataflow_edges", "ao_runs", "ao_edits"):
        assert any(s.endswith(f"Distributed('prod', 'ao', '{table}_local', cityHash64(RunId))") for s in statements)
    view = next(s for s in statements if "MATERIALIZED VIEW" in s)
    assert view.startswith("CREATE MATERIALIZED VIEW IF NOT EXISTS ao.otel_traces_trace_id_ts_mv ON CLUSTER 'prod' TO ao.otel_traces_trace_id_ts_local")
    assert "FROM ao.otel_traces_local" in view
    for table, key in [("otel_logs", "cityHash64(TraceId)"), ("otel_metrics_gauge", "cityHash64(ServiceName, MetricName)"),
                       ("otel_metrics_summary", "cityHash64(ServiceName, MetricName)")]:  # fmt: skip
        local = next(s for s in statements if s.startswith(f"CREATE TABLE IF NOT EXISTS ao.{table}_local "))
        assert "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')" in local
        assert any(s.endswith(f"Distributed('prod', 'ao', '{table}_local', {key})") for s in statements)
    ledger = next(s for s in statements if "schema_migrations" in s)
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', AppliedAt)" in ledger


def test_single_server_ddl_has_no_cluster_parts() -> None:
    bootstrap, migrations = load("ao")
    statements = [s for m in (bootstrap, *migrations) for s in m.statements]
    assert not any("ON CLUSTER" in s or "Replicated" in s or "Distributed" in s or "_local" in s for s in statements)
    # with ao_edits_history (0004), the exporter's five metric tables and otel_logs (0006), and ao_prices,
    # ao_content_pending and ao_content_progress (0008)
    assert len([s for s in statements if s.startswith("CREATE TABLE")]) == 17


def test_bad_names_fail_loudly() -> None:
    with pytest.raises(ValueError, match="database"):
        render("SELECT 1", "ao; DROP")
    with pytest.raises(ValueError, match="cluster"):
        render("SELECT 1", "ao", "bad name'")
    with pytest.raises(ValueError, match="placeholder"):
        render("{{nonsense x}}", "ao")
