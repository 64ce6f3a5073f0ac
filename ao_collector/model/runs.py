"""The `ao_runs` rows of a batch: one partial row per run, folded by the table's engine with earlier ones.

A run's root span is `ao.run {name}` with `ao.run.name` (for spans of other instrumentation, outside any ao
run, the trace's root span); it gives the name, parent run, replay origin, status, command and directory.
"""

from __future__ import annotations

import json

import pyarrow as pa

from ao_collector.model import tables

RUN_SPAN_PREFIX = "ao.run "


def runs_query(spans: str, calls: str, cost: str) -> str:
    """Per run of the decoded spans of table `spans`: span and call aggregates (`calls`: the calls stage,
    `cost` its CostUsd expression) and the run's root span, if the batch has it (`RootCount` > 0)."""
    root = f"if(AoRun, mapContains(SpanAttributes, 'ao.run.name') OR startsWith(SpanName, '{RUN_SPAN_PREFIX}'), ParentSpanId = '')"
    return f"""
SELECT s.*, c.* EXCEPT (RunId) FROM (
    SELECT RunId, min(Timestamp) AS Start, max(EndTime) AS End, toUInt8(max(AoRun)) AS AnyAoRun,
        max(if(startsWith(ServiceName, 'unknown_service'), '', ServiceName)) AS Service, count() AS SpanCount,
        countIf({root}) AS RootCount, anyIf(SpanName, {root}) AS RootName, anyIf(TraceId, {root}) AS RootTraceId,
        anyIf(SpanId, {root}) AS RootSpanId, anyIf(StatusCode, {root}) AS RootStatus,
        anyIf(SpanAttributes, {root}) AS RootAttributes, anyIf(ResourceAttributes, {root}) AS RootResource
    FROM {spans} GROUP BY RunId
) AS s LEFT JOIN (
    SELECT RunId, count() AS CallCount, countIf(ErrorType != '') AS ErrorCount, countIf(Cached) AS CachedCount,
        ifNull(sum(InputTokens), 0) AS CallInputTokens, ifNull(sum(OutputTokens), 0) AS CallOutputTokens,
        countIf(InputTokens IS NULL OR OutputTokens IS NULL) AS UnknownUsageCount,
        ifNull(sum({cost}), 0) AS CostUsd, countIf(({cost}) IS NULL) AS UnpricedCount
    FROM {calls} GROUP BY RunId
) AS c ON s.RunId = c.RunId"""


def run_table(runs: pa.Table) -> pa.Table:
    """ao_runs rows (one partial row per run) from the rows of `runs_query`."""
    root_fields: dict[str, list] = {name: [] for name in ("Name", "ParentRunId", "ReplayOf", "CommandArgs", "Cwd")}
    for count, span_name, span_attrs, resource in zip(runs["RootCount"].to_pylist(), runs["RootName"].to_pylist(),
                                                      runs["RootAttributes"].to_pylist(), runs["RootResource"].to_pylist()):
        span_attrs, resource = (dict(span_attrs or ()), dict(resource or ())) if count else ({}, {})
        if not count:
            name = ""
        elif "ao.run.id" in span_attrs:
            name = span_attrs.get("ao.run.name") or span_name.removeprefix(RUN_SPAN_PREFIX)
        else:
            name = span_name
        root_fields["Name"].append(name)
        root_fields["ParentRunId"].append(span_attrs.get("ao.run.parent_id", ""))
        root_fields["ReplayOf"].append(span_attrs.get("ao.run.replay_of", ""))
        root_fields["CommandArgs"].append(_command(span_attrs) or _command(resource))
        root_fields["Cwd"].append(_cwd(span_attrs) or _cwd(resource))
    from_query = {"TraceId": "RootTraceId", "RootSpanId": "RootSpanId", "ServiceName": "Service", "StartTime": "Start",
                  "EndTime": "End", "RootStatus": "RootStatus", "AoRun": "AnyAoRun", "InputTokens": "CallInputTokens",
                  "OutputTokens": "CallOutputTokens"}
    columns = []
    for field in tables.AO_RUNS:
        if field.name in root_fields:
            column = pa.array(root_fields[field.name], field.type)
        else:
            column = runs[from_query.get(field.name, field.name)]
            if field.type != column.type:
                column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=tables.AO_RUNS)


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
