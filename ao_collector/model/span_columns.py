"""ao's columns derived from a row of `otel_traces` alone, as SQL.

They read only the columns of the OpenTelemetry Collector ClickHouse exporter's schema (attribute values as
its text: arrays as JSON), so they are the same for spans decoded by `ao-collector` and for rows written by
the exporter:

- `RunId`: the span's `ao.run.id`, else its TraceId (spans of other instrumentations belong to the "run"
  of their trace); `AoRun`: whether the span has `ao.run.id`.
- `EndTime`: start plus duration.
- `ResponseFinishReasons` (`gen_ai.response.finish_reasons`) and `TaintOrigins` (`ao.taint.origins`):
  array attributes as Array(String) (a single string as one item).
- `DataflowLinks`: the links with `ao.link.type = "dataflow"`, as (trace_id, span_id, via, path).
"""

from __future__ import annotations


def _string_array(key: str) -> str:
    value = f"SpanAttributes['{key}']"
    return f"multiIf(startsWith({value}, '['), JSONExtract({value}, 'Array(String)'), {value} = '', [], [{value}])"


DERIVED_COLUMNS = f"""
    if(SpanAttributes['ao.run.id'] != '', SpanAttributes['ao.run.id'], TraceId) AS RunId,
    mapContains(SpanAttributes, 'ao.run.id') AS AoRun,
    addNanoseconds(Timestamp, Duration) AS EndTime,
    {_string_array('gen_ai.response.finish_reasons')} AS ResponseFinishReasons,
    {_string_array('ao.taint.origins')} AS TaintOrigins,
    CAST(arrayMap(l -> (l.1, l.2, l.3['ao.dataflow.via'], l.3['ao.dataflow.path']),
            arrayFilter(l -> l.3['ao.link.type'] = 'dataflow', arrayZip(`Links.TraceId`, `Links.SpanId`, `Links.Attributes`))),
        'Array(Tuple(trace_id String, span_id String, via String, path String))') AS DataflowLinks"""


def with_derived(source: str) -> str:
    """A query of every column of `source` (a table or a parenthesised query with the otel_traces columns)
    plus the derived ones."""
    return f"SELECT *, {DERIVED_COLUMNS}\nFROM {source}"
