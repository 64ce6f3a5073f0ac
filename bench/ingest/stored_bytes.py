"""Stored bytes per LLM call: ao's tables now (content once, in otel_traces) against the schema before
migration 0007 (content also in ao_llm_calls), filled with the same calls in one run.

Writes `--runs` runs of benchmark spans (`spans.RunTemplate`, content drawn anew for each run) through `Store.write` into database `ao`;
database `before` gets the schema up to 0006 and the same rows, its ao_llm_calls content columns filled
from otel_traces as the collector wrote them then. Every table is merged (OPTIMIZE FINAL) before its
parts are measured (compressed bytes on disk, from system.parts).

    .venv/bin/python bench/ingest/stored_bytes.py --runs 20 --calls 500
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from spans import RunTemplate  # noqa: E402

from ao_collector.schema import apply_migrations  # noqa: E402
from ao_collector.store import ChdbStore  # noqa: E402

CONTENT = {"InputMessages": "gen_ai.input.messages", "OutputMessages": "gen_ai.output.messages",
           "SystemInstructions": "gen_ai.system_instructions", "ToolDefinitions": "gen_ai.tool.definitions"}
TABLES = ("otel_traces", "ao_llm_calls", "ao_dataflow_edges", "ao_runs")


def fill_before(store: ChdbStore) -> None:
    """Database `before` (beside `ao` in the same data dir): the schema up to 0006, the same rows, content
    in ao_llm_calls too."""
    before = ChdbStore(store.data_dir, database="before")
    apply_migrations(before, up_to=6)
    before.close()
    store.command("INSERT INTO before.otel_traces SELECT * FROM ao.otel_traces")
    store.command("INSERT INTO before.ao_dataflow_edges SELECT * FROM ao.ao_dataflow_edges")
    store.command("INSERT INTO before.ao_runs SELECT * FROM ao.ao_runs")
    kept = [row["name"] for row in store.query(
        "SELECT name FROM system.columns WHERE database = 'ao' AND table = 'ao_llm_calls' "
        "AND default_kind != 'MATERIALIZED' AND name NOT IN ('InputPreview', 'OutputPreview') ORDER BY position")]
    content = ", ".join(f"t.SpanAttributes['{key}'] AS {column}" for column, key in CONTENT.items())
    store.command(
        f"INSERT INTO before.ao_llm_calls ({', '.join(kept)}, {', '.join(CONTENT)}) "
        f"SELECT {', '.join(f'c.{name}' for name in kept)}, {content} FROM ao.ao_llm_calls AS c "
        "JOIN ao.otel_traces AS t ON c.TraceId = t.TraceId AND c.SpanId = t.SpanId"
    )


def table_bytes(store: ChdbStore, database: str) -> dict[str, int]:
    for table in TABLES:
        store.command(f"OPTIMIZE TABLE {database}.{table} FINAL")
    rows = store.query(
        "SELECT table, sum(data_compressed_bytes) AS bytes FROM system.parts "
        "WHERE database = {db:String} AND active GROUP BY table", {"db": database})
    return {row["table"]: int(row["bytes"]) for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--calls", type=int, default=500, help="LLM calls per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = ChdbStore(data_dir)
        store.migrate()
        for run in range(args.runs):  # a template per run: content differs from run to run, as it would
            template = RunTemplate(calls=args.calls, per_request=512, seed=run)
            for number, body in enumerate(template.stamp()[1]):
                store.write([body], f"run{run}.{number}")
        calls = int(store.query("SELECT count() AS n FROM ao.ao_llm_calls FINAL")[0]["n"])
        fill_before(store)
        now, before = table_bytes(store, "ao"), table_bytes(store, "before")
        store.close()
    print(f"{calls} LLM calls; compressed bytes per call, after OPTIMIZE FINAL")
    print(f"  {'table':<20}{'before 0007':>14}{'now':>10}{'ratio':>8}")
    for table in (*TABLES, "all four"):
        old = sum(before.values()) if table == "all four" else before.get(table, 0)
        new = sum(now.values()) if table == "all four" else now.get(table, 0)
        print(f"  {table:<20}{old / calls:>14,.0f}{new / calls:>10,.0f}{new / old if old else 0:>8.2f}")


if __name__ == "__main__":
    main()
