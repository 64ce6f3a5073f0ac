"""OTLP metric export requests → rows of the exporter's metric tables, one row per data point.

Metrics arrive in small numbers (a few points per instrument and export interval), so the rows are built
in Python and inserted as Arrow, rather than decoded by ClickHouse as spans are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import Exemplar

from ao_collector.model.otlp_text import attribute_map, service_name
from ao_collector.model.tables import ATTRIBUTES, TIMESTAMP

# table -> the columns of its own (after the common ones)
TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "otel_metrics_gauge": [("Value", pa.float64()), ("Flags", pa.uint32())],
    "otel_metrics_sum": [("Value", pa.float64()), ("Flags", pa.uint32()), ("AggregationTemporality", pa.int32()),
                         ("IsMonotonic", pa.bool_())],
    "otel_metrics_histogram": [("Count", pa.uint64()), ("Sum", pa.float64()), ("BucketCounts", pa.list_(pa.uint64())),
                               ("ExplicitBounds", pa.list_(pa.float64())), ("Flags", pa.uint32()), ("Min", pa.float64()),
                               ("Max", pa.float64()), ("AggregationTemporality", pa.int32())],
    "otel_metrics_exponential_histogram": [
        ("Count", pa.uint64()), ("Sum", pa.float64()), ("Scale", pa.int32()), ("ZeroCount", pa.uint64()),
        ("PositiveOffset", pa.int32()), ("PositiveBucketCounts", pa.list_(pa.uint64())),
        ("NegativeOffset", pa.int32()), ("NegativeBucketCounts", pa.list_(pa.uint64())), ("Flags", pa.uint32()),
        ("Min", pa.float64()), ("Max", pa.float64()), ("AggregationTemporality", pa.int32())],
    "otel_metrics_summary": [("Count", pa.uint64()), ("Sum", pa.float64()), ("ValueAtQuantiles.Quantile", pa.list_(pa.float64())),
                             ("ValueAtQuantiles.Value", pa.list_(pa.float64())), ("Flags", pa.uint32())],
}  # fmt: skip
_COMMON = [
    ("ResourceAttributes", ATTRIBUTES), ("ResourceSchemaUrl", pa.string()), ("ScopeName", pa.string()),
    ("ScopeVersion", pa.string()), ("ScopeAttributes", ATTRIBUTES), ("ScopeDroppedAttrCount", pa.uint32()),
    ("ScopeSchemaUrl", pa.string()), ("ServiceName", pa.string()), ("MetricName", pa.string()),
    ("MetricDescription", pa.string()), ("MetricUnit", pa.string()), ("Attributes", ATTRIBUTES),
    ("StartTimeUnix", TIMESTAMP), ("TimeUnix", TIMESTAMP),
]  # fmt: skip
_EXEMPLARS = [
    ("Exemplars.FilteredAttributes", pa.list_(ATTRIBUTES)), ("Exemplars.TimeUnix", pa.list_(TIMESTAMP)),
    ("Exemplars.Value", pa.list_(pa.float64())), ("Exemplars.SpanId", pa.list_(pa.string())),
    ("Exemplars.TraceId", pa.list_(pa.string())),
]  # fmt: skip
# data field of a Metric -> its table
_KINDS = {"gauge": "otel_metrics_gauge", "sum": "otel_metrics_sum", "histogram": "otel_metrics_histogram",
          "exponential_histogram": "otel_metrics_exponential_histogram", "summary": "otel_metrics_summary"}  # fmt: skip


def schema(table: str) -> pa.Schema:
    exemplars = _EXEMPLARS if table != "otel_metrics_summary" else []
    return pa.schema(_COMMON + TABLES[table] + exemplars)


def data_points(request: ExportMetricsServiceRequest) -> int:
    """The number of data points of a request."""
    return sum(
        len(getattr(metric, kind).data_points)
        for rm in request.resource_metrics for sm in rm.scope_metrics for metric in sm.metrics
        if (kind := metric.WhichOneof("data")) in _KINDS
    )  # fmt: skip


def _exemplars(exemplars: Sequence[Exemplar]) -> dict[str, list[Any]]:
    return {
        "Exemplars.FilteredAttributes": [attribute_map(e.filtered_attributes) for e in exemplars],
        "Exemplars.TimeUnix": [e.time_unix_nano for e in exemplars],
        "Exemplars.Value": [e.as_double if e.WhichOneof("value") == "as_double" else float(e.as_int) for e in exemplars],
        "Exemplars.SpanId": [e.span_id.hex() for e in exemplars],
        "Exemplars.TraceId": [e.trace_id.hex() for e in exemplars],
    }


def _own(kind: str, metric: Any, point: Any) -> dict[str, Any]:
    """The columns of one data point that its table has beyond the common ones."""
    if kind in ("gauge", "sum"):
        value = point.as_double if point.WhichOneof("value") == "as_double" else float(point.as_int)
        row = {"Value": value, "Flags": point.flags}
        if kind == "sum":
            row.update(AggregationTemporality=metric.sum.aggregation_temporality, IsMonotonic=metric.sum.is_monotonic)
        return row
    if kind == "summary":
        return {"Count": point.count, "Sum": point.sum, "Flags": point.flags,
                "ValueAtQuantiles.Quantile": [q.quantile for q in point.quantile_values],
                "ValueAtQuantiles.Value": [q.value for q in point.quantile_values]}  # fmt: skip
    row = {"Count": point.count, "Sum": point.sum, "Flags": point.flags, "Min": point.min, "Max": point.max,
           "AggregationTemporality": getattr(metric, kind).aggregation_temporality}  # fmt: skip
    if kind == "histogram":
        row.update(BucketCounts=list(point.bucket_counts), ExplicitBounds=list(point.explicit_bounds))
    else:
        row.update(Scale=point.scale, ZeroCount=point.zero_count, PositiveOffset=point.positive.offset,
                   PositiveBucketCounts=list(point.positive.bucket_counts), NegativeOffset=point.negative.offset,
                   NegativeBucketCounts=list(point.negative.bucket_counts))  # fmt: skip
    return row


def metric_rows(payloads: Sequence[bytes]) -> dict[str, pa.Table]:
    """Rows per metric table of the serialized requests `payloads` (tables without rows left out)."""
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    for payload in payloads:
        request = ExportMetricsServiceRequest.FromString(payload)
        for rm in request.resource_metrics:
            resource = attribute_map(rm.resource.attributes)
            service = service_name(resource)
            for sm in rm.scope_metrics:
                scope = {"ResourceAttributes": resource, "ResourceSchemaUrl": rm.schema_url, "ServiceName": service,
                         "ScopeName": sm.scope.name, "ScopeVersion": sm.scope.version,
                         "ScopeAttributes": attribute_map(sm.scope.attributes),
                         "ScopeDroppedAttrCount": sm.scope.dropped_attributes_count, "ScopeSchemaUrl": sm.schema_url}  # fmt: skip
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    if kind not in _KINDS:
                        continue
                    for point in getattr(metric, kind).data_points:
                        row = {**scope, "MetricName": metric.name, "MetricDescription": metric.description,
                               "MetricUnit": metric.unit, "Attributes": attribute_map(point.attributes),
                               "StartTimeUnix": point.start_time_unix_nano, "TimeUnix": point.time_unix_nano,
                               **_own(kind, metric, point)}  # fmt: skip
                        if kind != "summary":
                            row.update(_exemplars(point.exemplars))
                        rows[_KINDS[kind]].append(row)
    return {table: pa.Table.from_pylist(items, schema=schema(table)) for table, items in rows.items() if items}
