"""The `ao_runs` rows of a batch: one partial row per run, folded by the table's engine with earlier ones.

A run's root span is `ao.run {name}` with `ao.run.name` (for spans of other instrumentation, outside any ao
run, the trace's root span); it gives the name, parent run, replay origin, status, command and directory.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from ao_collector.model import tables

RUN_SPAN_PREFIX = "ao.run "
RUN_ATTRIBUTES = (
    "ao.run.id", "ao.run.name", "ao.run.parent_id", "ao.run.replay_of",
    "process.command_args", "process.command_line", "process.cwd", "process.working_directory",
)


def run_table(spans: pa.RecordBatch, attrs: dict[str, pa.Array], run_ids: pa.Array, calls: pa.Table) -> pa.Table:
    """One row per run touched by `spans` (with `attrs`, `run_ids`), summing `calls` (ao_llm_calls rows)."""
    ao_run = pc.is_valid(attrs["ao.run.id"])
    root = pc.if_else(
        ao_run,
        pc.or_(pc.is_valid(attrs["ao.run.name"]), pc.starts_with(spans["SpanName"], RUN_SPAN_PREFIX)),
        pc.equal(spans["ParentSpanId"], ""),
    )
    service = pc.if_else(pc.starts_with(spans["ServiceName"], "unknown_service"), "", spans["ServiceName"])
    per_span = pa.table({"RunId": run_ids, "Start": spans["Timestamp"], "End": spans["EndTime"],
                         "AoRun": ao_run.cast(pa.uint8()), "Service": service})
    runs = {
        row["RunId"]: row
        for row in per_span.group_by("RunId")
        .aggregate([("Start", "min"), ("End", "max"), ("AoRun", "max"), ("Service", "max"), ("RunId", "count")])
        .to_pylist()
    }
    roots = {}
    for index in pc.indices_nonzero(root).to_pylist():
        span_attrs = dict(spans["SpanAttributes"][index].as_py())
        resource = dict(spans["ResourceAttributes"][index].as_py())
        span_name = spans["SpanName"][index].as_py()
        if "ao.run.id" in span_attrs:
            name = span_attrs.get("ao.run.name") or span_name.removeprefix(RUN_SPAN_PREFIX)
        else:
            name = span_name
        roots[run_ids[index].as_py()] = (
            name,
            span_attrs.get("ao.run.parent_id", ""),
            span_attrs.get("ao.run.replay_of", ""),
            spans["TraceId"][index].as_py(),
            spans["SpanId"][index].as_py(),
            _command(span_attrs) or _command(resource),
            _cwd(span_attrs) or _cwd(resource),
            spans["StatusCode"][index].as_py(),
        )
    sums = {row["RunId"]: row for row in _call_sums(calls).to_pylist()}
    rows = []
    for run_id, run in runs.items():
        name, parent, replay_of, trace_id, root_span, command, cwd, status = roots.get(run_id, ("", "", "", "", "", [], "", ""))
        called = sums.get(run_id, {})
        rows.append((
            run_id, name, parent, replay_of, trace_id, root_span, run["Service_max"], command, cwd,
            run["Start_min"], run["End_max"], status, run["AoRun_max"], run["RunId_count"],
            called.get("CallCount", 0), called.get("ErrorCount", 0), called.get("CachedCount", 0),
            called.get("InputTokens", 0), called.get("OutputTokens", 0), called.get("CostUsd", 0.0) or 0.0,
            called.get("UnpricedCount", 0),
        ))
    columns = list(zip(*rows))
    return pa.Table.from_arrays([pa.array(column, f.type) for column, f in zip(columns, tables.AO_RUNS)], schema=tables.AO_RUNS)


def _call_sums(calls: pa.Table) -> pa.Table:
    """Per run: calls, errors, cached calls, tokens, known cost and calls without a price."""
    summary = pa.table({
        "RunId": calls["RunId"],
        "Error": pc.not_equal(calls["ErrorType"], "").cast(pa.uint64()),
        "Cached": calls["Cached"].cast(pa.uint64()),
        "InputTokens": calls["InputTokens"],
        "OutputTokens": calls["OutputTokens"],
        "CostUsd": calls["CostUsd"],
        "Unpriced": pc.is_null(calls["CostUsd"]).cast(pa.uint64()),
    })
    aggregated = summary.group_by("RunId").aggregate([
        ("RunId", "count"), ("Error", "sum"), ("Cached", "sum"), ("InputTokens", "sum"),
        ("OutputTokens", "sum"), ("CostUsd", "sum"), ("Unpriced", "sum"),
    ])
    return aggregated.rename_columns({
        "RunId_count": "CallCount", "Error_sum": "ErrorCount", "Cached_sum": "CachedCount", "InputTokens_sum": "InputTokens",
        "OutputTokens_sum": "OutputTokens", "CostUsd_sum": "CostUsd", "Unpriced_sum": "UnpricedCount",
    })


def _command(attributes: dict[str, str]) -> list[str]:
    """`process.command_args` (JSON array text), else `process.command_line` as one item."""
    args = attributes.get("process.command_args", "")
    if args.startswith("["):
        try:
            items = json.loads(args)
        except ValueError:
            items = [args]
        return [item if isinstance(item, str) else json.dumps(item) for item in items]
    line = args or attributes.get("process.command_line", "")
    return [line] if line else []


def _cwd(attributes: dict[str, str]) -> str:
    return attributes.get("process.cwd") or attributes.get("process.working_directory", "")
