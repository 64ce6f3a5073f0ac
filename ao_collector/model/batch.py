"""OTLP export requests → columnar rows of every table, built in one pass over the spans.

Run of a span: its `ao.run.id`; a span without one (another instrumentation, outside ao) belongs to the
"run" of its trace, keyed by its TraceId, so its LLM calls and edges are queryable the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import tables
from ao_collector.model.attributes import text_list, value_text
from ao_collector.model.content_edges import CallText, ContentEdge
from ao_collector.model.llm_calls import llm_call
from ao_collector.pricing import PriceTable, default_prices

SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODES = ("Unset", "Ok", "Error")
RUN_SPAN_PREFIX = "ao.run "

# Positions in a run accumulator list (see _run_row).
_NAME, _PARENT, _REPLAY, _TRACE, _ROOT, _SERVICE, _ARGS, _CWD, _START, _END, _STATUS, _AO = range(12)
_SPANS, _CALLS, _ERRORS, _CACHED, _IN, _OUT, _COST, _UNPRICED = range(12, 20)


@dataclass
class SpanBatch:
    """Rows of one write, per table, plus what content matching needs."""

    span_count: int
    traces: pa.Table
    calls: pa.Table
    runs: pa.Table
    # ao_dataflow_edges rows (see tables.AO_DATAFLOW_EDGES) from dataflow links.
    edges: list[tuple] = field(default_factory=list)
    # Calls of other instrumentations with content and no dataflow links: targets of content matching.
    content_targets: list[CallText] = field(default_factory=list)
    # Every call of the batch with content, candidate sources for content matching.
    content_sources: list[CallText] = field(default_factory=list)

    def add_content_edges(self, edges: list[ContentEdge]) -> None:
        """Adds inferred edges (`via = "content"`)."""
        self.edges.extend((e.run_id, e.source_trace_id, e.source_span_id, e.target_trace_id, e.target_span_id, "content", e.path, e.timestamp) for e in edges)

    def edges_table(self) -> pa.Table:
        """The edges as an `ao_dataflow_edges` Arrow table."""
        return _rows_table(self.edges, tables.AO_DATAFLOW_EDGES)


def build_batch(requests: Sequence[ExportTraceServiceRequest], prices: PriceTable | None = None) -> SpanBatch:
    """The rows of every table for all spans of `requests`."""
    prices = prices or default_prices()
    # otel_traces columns
    timestamps: list[int] = []
    trace_ids: list[str] = []
    span_ids: list[str] = []
    parent_ids: list[str] = []
    trace_states: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    services: list[str] = []
    resource_keys: list[str] = []
    resource_values: list[str] = []
    resource_offsets: list[int] = [0]
    scope_names: list[str] = []
    scope_versions: list[str] = []
    span_keys: list[str] = []
    span_values: list[str] = []
    span_offsets: list[int] = [0]
    durations: list[int] = []
    statuses: list[str] = []
    status_messages: list[str] = []
    event_times: list[int] = []
    event_names: list[str] = []
    event_keys: list[str] = []
    event_values: list[str] = []
    event_attr_offsets: list[int] = [0]
    event_offsets: list[int] = [0]
    link_trace_ids: list[str] = []
    link_span_ids: list[str] = []
    link_states: list[str] = []
    link_keys: list[str] = []
    link_values: list[str] = []
    link_attr_offsets: list[int] = [0]
    link_offsets: list[int] = [0]

    call_rows: list[tuple] = []
    runs: dict[str, list] = {}
    edges: list[tuple] = []
    content_targets: list[CallText] = []
    content_sources: list[CallText] = []

    for request in requests:
        for resource_spans in request.resource_spans:
            res_keys: list[str] = []
            res_values: list[str] = []
            for attribute in resource_spans.resource.attributes:
                res_keys.append(attribute.key)
                res_values.append(value_text(attribute.value))
            resource = dict(zip(res_keys, res_values))
            service = resource.get("service.name", "")
            command_args = text_list(resource.get("process.command_args", "")) or text_list(resource.get("process.command_line", ""))
            cwd = resource.get("process.cwd") or resource.get("process.working_directory", "")
            res_count = len(res_keys)
            for scope_spans in resource_spans.scope_spans:
                scope_name = scope_spans.scope.name
                scope_version = scope_spans.scope.version
                for span in scope_spans.spans:
                    start = span.start_time_unix_nano
                    end = span.end_time_unix_nano
                    duration = end - start if end > start else 0
                    trace_id = span.trace_id.hex()
                    span_id = span.span_id.hex()
                    parent_id = span.parent_span_id.hex()
                    status = STATUS_CODES[span.status.code] if span.status.code < 3 else "Unset"
                    keys: list[str] = []
                    values: list[str] = []
                    for attribute in span.attributes:
                        keys.append(attribute.key)
                        values.append(value_text(attribute.value))

                    timestamps.append(start)
                    trace_ids.append(trace_id)
                    span_ids.append(span_id)
                    parent_ids.append(parent_id)
                    trace_states.append(span.trace_state)
                    names.append(span.name)
                    kinds.append(SPAN_KINDS[span.kind] if span.kind < 6 else "Unspecified")
                    services.append(service)
                    resource_keys.extend(res_keys)
                    resource_values.extend(res_values)
                    resource_offsets.append(resource_offsets[-1] + res_count)
                    scope_names.append(scope_name)
                    scope_versions.append(scope_version)
                    span_keys.extend(keys)
                    span_values.extend(values)
                    span_offsets.append(len(span_keys))
                    durations.append(duration)
                    statuses.append(status)
                    status_messages.append(span.status.message)

                    attrs = dict(zip(keys, values))
                    run_id = attrs.get("ao.run.id") or trace_id

                    exception_type = ""
                    for event in span.events:
                        event_times.append(event.time_unix_nano)
                        event_names.append(event.name)
                        for attribute in event.attributes:
                            event_keys.append(attribute.key)
                            event_values.append(value_text(attribute.value))
                            if attribute.key == "exception.type" and not exception_type:
                                exception_type = event_values[-1]
                        event_attr_offsets.append(len(event_keys))
                    event_offsets.append(len(event_names))

                    has_dataflow_links = False
                    for link in span.links:
                        link_trace_id = link.trace_id.hex()
                        link_span_id = link.span_id.hex()
                        link_trace_ids.append(link_trace_id)
                        link_span_ids.append(link_span_id)
                        link_states.append(link.trace_state)
                        first = len(link_keys)
                        for attribute in link.attributes:
                            link_keys.append(attribute.key)
                            link_values.append(value_text(attribute.value))
                        link_attr_offsets.append(len(link_keys))
                        link_attrs = dict(zip(link_keys[first:], link_values[first:]))
                        if link_attrs.get("ao.link.type") == "dataflow":
                            has_dataflow_links = True
                            edges.append(
                                (run_id, link_trace_id, link_span_id, trace_id, span_id,
                                 link_attrs.get("ao.dataflow.via", ""), link_attrs.get("ao.dataflow.path", ""), start)
                            )
                    link_offsets.append(len(link_trace_ids))

                    run = runs.get(run_id)
                    if run is None:
                        run = runs[run_id] = ["", "", "", "", "", service, command_args, cwd, start, end, "", 0, 0, 0, 0, 0, 0, 0, 0.0, 0]
                    run[_SPANS] += 1
                    if start < run[_START]:
                        run[_START] = start
                    if end > run[_END]:
                        run[_END] = end
                    if "ao.run.id" in attrs:
                        run[_AO] = 1
                        if "ao.run.name" in attrs or span.name.startswith(RUN_SPAN_PREFIX):
                            run[_NAME] = attrs.get("ao.run.name") or span.name[len(RUN_SPAN_PREFIX) :]
                            run[_PARENT] = attrs.get("ao.run.parent_id", "")
                            run[_REPLAY] = attrs.get("ao.run.replay_of", "")
                            run[_TRACE], run[_ROOT], run[_STATUS] = trace_id, span_id, status
                    elif not parent_id:
                        run[_NAME] = span.name
                        run[_TRACE], run[_ROOT], run[_STATUS] = trace_id, span_id, status

                    call = llm_call(attrs, scope_name)
                    if call is None:
                        continue
                    model = call.response_model or call.request_model
                    cost = 0.0 if call.cached else prices.cost(model, call.input_tokens, call.output_tokens, call.cache_read_tokens, call.cache_creation_tokens)
                    error_type = call.error_type or ((exception_type or "error") if status == "Error" else "")
                    call_rows.append(
                        (run_id, trace_id, span_id, parent_id, start, duration, span.name, service, call.source,
                         call.provider, call.operation, call.request_model, call.response_model, call.input_tokens,
                         call.output_tokens, call.cache_read_tokens, call.cache_creation_tokens, cost, call.call_key,
                         call.cached, status, error_type, call.input_messages, call.output_messages,
                         call.system_instructions, call.tool_definitions, call.finish_reasons, call.taint_origins)
                    )
                    run[_CALLS] += 1
                    run[_IN] += call.input_tokens
                    run[_OUT] += call.output_tokens
                    if error_type:
                        run[_ERRORS] += 1
                    if call.cached:
                        run[_CACHED] += 1
                    if cost is None:
                        run[_UNPRICED] += 1
                    else:
                        run[_COST] += cost
                    if call.input_messages or call.output_messages:
                        text = CallText(run_id, trace_id, span_id, start, end, call.input_messages, call.output_messages)
                        content_sources.append(text)
                        if call.source != "ao" and not has_dataflow_links and call.input_messages:
                            content_targets.append(text)

    traces = pa.Table.from_arrays(
        [
            pa.array(timestamps, tables.TIMESTAMP),
            pa.array(trace_ids, pa.string()),
            pa.array(span_ids, pa.string()),
            pa.array(parent_ids, pa.string()),
            pa.array(trace_states, pa.string()),
            pa.array(names, pa.string()),
            pa.array(kinds, pa.string()),
            pa.array(services, pa.string()),
            _map(resource_offsets, resource_keys, resource_values),
            pa.array(scope_names, pa.string()),
            pa.array(scope_versions, pa.string()),
            _map(span_offsets, span_keys, span_values),
            pa.array(durations, pa.uint64()),
            pa.array(statuses, pa.string()),
            pa.array(status_messages, pa.string()),
            _list(event_offsets, pa.array(event_times, tables.TIMESTAMP)),
            _list(event_offsets, pa.array(event_names, pa.string())),
            _list(event_offsets, _map(event_attr_offsets, event_keys, event_values)),
            _list(link_offsets, pa.array(link_trace_ids, pa.string())),
            _list(link_offsets, pa.array(link_span_ids, pa.string())),
            _list(link_offsets, pa.array(link_states, pa.string())),
            _list(link_offsets, _map(link_attr_offsets, link_keys, link_values)),
        ],
        schema=tables.OTEL_TRACES,
    )
    return SpanBatch(
        span_count=len(timestamps),
        traces=traces,
        calls=_rows_table(call_rows, tables.AO_LLM_CALLS),
        runs=_rows_table([_run_row(run_id, run) for run_id, run in runs.items()], tables.AO_RUNS),
        edges=edges,
        content_targets=content_targets,
        content_sources=content_sources,
    )


def _run_row(run_id: str, run: list) -> tuple:
    """An `ao_runs` row (see tables.AO_RUNS) from a run accumulator."""
    return (run_id, *run[:_AO + 1], *run[_SPANS:])


def _map(offsets: list[int], keys: list[str], values: list[str]) -> pa.MapArray:
    return pa.MapArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(keys, pa.string()), pa.array(values, pa.string()))


def _list(offsets: list[int], values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _rows_table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(column, type=f.type) for column, f in zip(columns, schema)], schema=schema)
