"""Content once (migration 0007): a call's content stays in otel_traces only; ao_llm_calls keeps previews."""

from __future__ import annotations

from pathlib import Path

from own_process import run_store_script

from ao_collector.schema import load

MIGRATE_FROM_0006 = """
import json, sys
from ao_collector.queries import get_call
from ao_collector.schema import apply_migrations
from ao_collector.store import open_store

store = open_store(data_dir=sys.argv[1])
apply_migrations(store, up_to=6)
inputs = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "What is 2+2?"}]}])
outputs = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "Four."}]}])
# a call as the collector wrote it before: content in both tables
store.command("INSERT INTO ao.ao_llm_calls (RunId, TraceId, SpanId, Timestamp, InputMessages, OutputMessages) "
              "VALUES ('r', 't', 's', '2026-12-01 10:00:00', {i:String}, {o:String})", {"i": inputs, "o": outputs})
store.command("INSERT INTO ao.otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanAttributes) VALUES "
              "('2026-12-01 10:00:00', 't', 's', 'chat m', map('gen_ai.input.messages', {i:String}, "
              "'gen_ai.output.messages', {o:String}))", {"i": inputs, "o": outputs})
applied = apply_migrations(store)
call = get_call(store, "s")
print(json.dumps({
    "applied": applied,
    "previews": store.query("SELECT InputPreview, OutputPreview FROM ao.ao_llm_calls"),
    "columns": [r["name"] for r in store.query("SELECT name FROM system.columns WHERE database = 'ao' "
                                               "AND table = 'ao_llm_calls' AND name LIKE '%Messages'")],
    "content": [call["input_messages"], call["output_messages"]],
}))
store.close()
"""


def test_the_migration_keeps_previews_and_content_of_rows_written_before(tmp_path: Path) -> None:
    """A store at schema 0006 with a call, migrated."""
    result = run_store_script(MIGRATE_FROM_0006, tmp_path / "old")
    assert 7 in result["applied"]
    assert result["previews"] == [{"InputPreview": "What is 2+2?", "OutputPreview": "Four."}]
    assert result["columns"] == []
    assert result["content"] == [[{"role": "user", "parts": [{"type": "text", "content": "What is 2+2?"}]}],
                                 [{"role": "assistant", "parts": [{"type": "text", "content": "Four."}]}]]  # fmt: skip


def test_on_a_cluster_the_distributed_table_follows() -> None:
    statements = [s for m in load("ao", "prod")[1] if m.name == "content_once" for s in m.statements]
    assert [s.split(" ON CLUSTER")[0] for s in statements] == [
        "ALTER TABLE ao.ao_llm_calls_local", "ALTER TABLE ao.ao_llm_calls",
        "ALTER TABLE ao.ao_llm_calls_local", "ALTER TABLE ao.ao_llm_calls",
    ]
    assert len([s for m in load("ao")[1] if m.name == "content_once" for s in m.statements]) == 2
