"""OTLP metrics and logs (issue 10.4): the OpenTelemetry SDK's own OTLP exporters, over HTTP and gRPC, and
hand-made OTLP/JSON, land in the ClickHouse exporter's tables with the values sent; bad requests get 400 or
INVALID_ARGUMENT; the collector's own metrics count them."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
import requests
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult, MetricsData
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

from tests.collector_service.conftest import TOKEN, Running
from tests.collector_service.helpers import wait_for
from tests.support.otlp_values import kv

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
METRICS_EXPORT = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
LOGS_EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


def recorded_metrics(service: str) -> MetricsData:
    """One of each instrument the SDK has, recorded by a real MeterProvider."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create({"service.name": service}),
        views=[View(instrument_name="latency.exp", aggregation=ExponentialBucketHistogramAggregation())],
    )  # fmt: skip
    meter = provider.get_meter("signal-tests", "1.2")
    meter.create_counter("calls", unit="{call}", description="calls made").add(3, {"model": "m1"})
    meter.create_up_down_counter("queue").add(-2)
    histogram = meter.create_histogram("latency", unit="s")
    for seconds in (0.2, 0.4, 7.0):
        histogram.record(seconds, {"model": "m1"})
    meter.create_histogram("latency.exp").record(1.5)
    meter.create_gauge("temperature").set(21.5)
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    return data


def rows(collector: Running, table: str, service: str, order: str = "TimeUnix") -> list[dict[str, Any]]:
    return collector.store.query(
        f"SELECT * FROM {collector.store.database}.{table} WHERE ServiceName = {{s:String}} ORDER BY {order}",
        {"s": service},
    )


def logs(collector: Running, service: str) -> list[dict[str, Any]]:
    return rows(collector, "otel_logs", service, order="Timestamp")


def wait_rows(collector: Running, table: str, service: str, count: int) -> list[dict[str, Any]]:
    return wait_for(lambda: len(found := rows(collector, table, service)) >= count and found, what=f"{count} rows in {table}")


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_sdk_metrics_land_in_the_exporter_tables(collector: Running, protocol: str) -> None:
    service = f"metrics-{protocol}-{uuid.uuid4().hex[:8]}"
    if protocol == "http":
        exporter: Any = HttpMetricExporter(endpoint=collector.http + "/v1/metrics", timeout=10)
    else:
        exporter = GrpcMetricExporter(endpoint=collector.grpc, insecure=True, timeout=10)
    assert exporter.export(recorded_metrics(service)) == MetricExportResult.SUCCESS
    exporter.shutdown()

    (calls,) = [r for r in wait_rows(collector, "otel_metrics_sum", service, 2) if r["MetricName"] == "calls"]
    assert calls["Value"] == 3.0 and calls["IsMonotonic"] and calls["AggregationTemporality"] == 2  # cumulative
    assert calls["Attributes"] == {"model": "m1"} and calls["MetricUnit"] == "{call}"
    assert calls["MetricDescription"] == "calls made"
    assert (calls["ScopeName"], calls["ScopeVersion"]) == ("signal-tests", "1.2")
    assert calls["ResourceAttributes"]["service.name"] == service
    (queue,) = [r for r in rows(collector, "otel_metrics_sum", service) if r["MetricName"] == "queue"]
    assert queue["Value"] == -2.0 and not queue["IsMonotonic"]

    (latency,) = wait_rows(collector, "otel_metrics_histogram", service, 1)
    assert (latency["MetricName"], latency["Count"], latency["Min"], latency["Max"]) == ("latency", 3, 0.2, 7.0)
    assert latency["Sum"] == pytest.approx(7.6)
    assert sum(latency["BucketCounts"]) == 3 and len(latency["BucketCounts"]) == len(latency["ExplicitBounds"]) + 1
    assert latency["TimeUnix"] >= latency["StartTimeUnix"]

    (exponential,) = wait_rows(collector, "otel_metrics_exponential_histogram", service, 1)
    assert (exponential["Count"], exponential["Sum"], exponential["Max"]) == (1, 1.5, 1.5)
    assert sum(exponential["PositiveBucketCounts"]) == 1 and exponential["ZeroCount"] == 0

    (gauge,) = wait_rows(collector, "otel_metrics_gauge", service, 1)
    assert (gauge["MetricName"], gauge["Value"]) == ("temperature", 21.5)


def summary_request(service: str, trace_id: bytes, span_id: bytes) -> ExportMetricsServiceRequest:
    """A summary (which the Python SDK does not make) and a gauge with an exemplar, built by hand."""
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.attributes.append(kv("service.name", service))
    metrics = resource_metrics.scope_metrics.add().metrics
    summary = metrics.add(name="rpc.duration", unit="ms")
    point = summary.summary.data_points.add(count=4, sum=10.0, time_unix_nano=1_700_000_000_000_000_000)
    point.quantile_values.add(quantile=0.5, value=2.0)
    point.quantile_values.add(quantile=0.99, value=5.0)
    gauge = metrics.add(name="tokens.left")
    gauge_point = gauge.gauge.data_points.add(as_int=42, time_unix_nano=1_700_000_000_000_000_001)
    gauge_point.attributes.append(kv("flag", True))
    exemplar = gauge_point.exemplars.add(as_double=41.5, trace_id=trace_id, span_id=span_id, time_unix_nano=5)
    exemplar.filtered_attributes.append(kv("user", "u1"))
    return request


def otlp_json(request: Any) -> bytes:
    """The OTLP/JSON encoding of a request: protobuf's JSON mapping with ids in hex."""
    document = json_format.MessageToDict(request)

    def hex_ids(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId"):
                    node[key] = base64.b64decode(value).hex()
                else:
                    hex_ids(value)
        elif isinstance(node, list):
            for item in node:
                hex_ids(item)

    hex_ids(document)
    return json.dumps(document).encode()


def test_json_summary_and_exemplar(collector: Running) -> None:
    service = f"metrics-json-{uuid.uuid4().hex[:8]}"
    trace_id, span_id = os.urandom(16), os.urandom(8)
    answer = requests.post(collector.http + "/v1/metrics", data=otlp_json(summary_request(service, trace_id, span_id)),
                           headers=JSON, timeout=10)  # fmt: skip
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == {}
    (summary,) = wait_rows(collector, "otel_metrics_summary", service, 1)
    assert (summary["Count"], summary["Sum"]) == (4, 10.0)
    assert summary["ValueAtQuantiles.Quantile"] == [0.5, 0.99] and summary["ValueAtQuantiles.Value"] == [2.0, 5.0]
    assert summary["TimeUnix"].year == 2023
    (gauge,) = wait_rows(collector, "otel_metrics_gauge", service, 1)
    assert gauge["Value"] == 42.0 and gauge["Attributes"] == {"flag": "true"}
    assert gauge["Exemplars.TraceId"] == [trace_id.hex()] and gauge["Exemplars.SpanId"] == [span_id.hex()]
    assert gauge["Exemplars.Value"] == [41.5] and [dict(m) for m in gauge["Exemplars.FilteredAttributes"]] == [{"user": "u1"}]


def log_with_sdk(exporter: Any, service: str) -> None:
    """One warning through the SDK's LoggerProvider and its OTLP log exporter."""
    provider = LoggerProvider(resource=Resource.create({"service.name": service}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    provider.get_logger(f"tests.{service}").emit(
        severity_text="WARN", severity_number=SeverityNumber.WARN, body="disk sda is 91% full",
        attributes={"disk.name": "sda"}, timestamp=time.time_ns(),
    )  # fmt: skip
    provider.shutdown()


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_sdk_logs_land_in_otel_logs(collector: Running, protocol: str) -> None:
    service = f"logs-{protocol}-{uuid.uuid4().hex[:8]}"
    if protocol == "http":
        exporter: Any = HttpLogExporter(endpoint=collector.http + "/v1/logs", timeout=10)
    else:
        exporter = GrpcLogExporter(endpoint=collector.grpc, insecure=True, timeout=10)
    log_with_sdk(exporter, service)
    (row,) = wait_for(lambda: logs(collector, service), what="a log row")
    assert row["Body"] == "disk sda is 91% full"
    assert (row["SeverityText"], row["SeverityNumber"]) == ("WARN", 13)
    assert row["LogAttributes"]["disk.name"] == "sda" and row["ScopeName"] == f"tests.{service}"
    assert row["ResourceAttributes"]["service.name"] == service


def test_log_record_fields(collector: Running) -> None:
    """Ids, a structured body, the event name, and a record with only an observed time."""
    service = f"logs-fields-{uuid.uuid4().hex[:8]}"
    trace_id, span_id = os.urandom(16), os.urandom(8)
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.append(kv("service.name", service))
    records = resource_logs.scope_logs.add().log_records
    records.add(time_unix_nano=1_700_000_000_000_000_000, trace_id=trace_id, span_id=span_id, flags=1,
                event_name="gen_ai.choice", body=kv("b", {"index": 0, "finish_reason": "stop"}).value)  # fmt: skip
    records.add(observed_time_unix_nano=1_700_000_001_000_000_000, body=kv("b", "observed only").value)
    answer = requests.post(collector.http + "/v1/logs", data=request.SerializeToString(), headers=PROTOBUF, timeout=10)
    assert answer.status_code == 200
    event, observed = wait_for(lambda: len(found := logs(collector, service)) == 2 and found, what="two log rows")
    assert (event["TraceId"], event["SpanId"], event["TraceFlags"]) == (trace_id.hex(), span_id.hex(), 1)
    assert json.loads(event["Body"]) == {"index": 0, "finish_reason": "stop"} and event["EventName"] == "gen_ai.choice"
    assert observed["Body"] == "observed only" and observed["Timestamp"].timestamp() == 1_700_000_001
    assert observed["TraceId"] == ""


def _post(collector: Running, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(collector.http + path, data=body, headers=headers, timeout=10)


def _late_metric() -> bytes:
    request = ExportMetricsServiceRequest()
    gauge = request.resource_metrics.add().scope_metrics.add().metrics.add(name="late")
    gauge.gauge.data_points.add(as_double=1.0, time_unix_nano=(1 << 64) - 1)  # past what DateTime64(9) holds
    return request.SerializeToString()


@pytest.mark.parametrize(
    ("path", "body", "headers", "needle"),
    [
        ("/v1/metrics", b"\xff\xff\xff garbage", PROTOBUF, "malformed ExportMetricsServiceRequest"),
        ("/v1/logs", b"\xff\xff\xff garbage", PROTOBUF, "malformed ExportLogsServiceRequest"),
        ("/v1/logs", b'{"resourceLogs": 5}', JSON, "invalid OTLP/JSON ExportLogsServiceRequest"),
        ("/v1/metrics", b"[1]", JSON, "JSON object"),
        ("/v1/metrics", _late_metric(), PROTOBUF, "cannot take"),
    ],
)
def test_bad_requests_are_400(collector: Running, path: str, body: bytes, headers: dict[str, str], needle: str) -> None:
    answer = _post(collector, path, body, headers)
    assert answer.status_code == 400
    assert needle in (answer.json()["message"] if headers is JSON else answer.text)


def test_bad_grpc_requests_are_invalid_argument(collector: Running) -> None:
    with grpc.insecure_channel(collector.grpc) as channel:
        for method, body in ((METRICS_EXPORT, b"\xff\xff\xff garbage"), (LOGS_EXPORT, b"\xff\xff"),
                             (METRICS_EXPORT, _late_metric())):  # fmt: skip
            export = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
            with pytest.raises(grpc.RpcError) as caught:
                export(body, timeout=10)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method


def test_empty_requests_are_answered_and_counted(collector: Running) -> None:
    def sample(name: str, **labels: str) -> float:
        answer = requests.get(collector.api + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert answer.status_code == 200
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        line = next((ln for ln in answer.text.splitlines() if ln.startswith(f"{name}{{{wanted}}} ")), None)
        return float(line.split()[-1]) if line else 0.0

    before = sample("ao_collector_signal_export_requests_total", outcome="ok", protocol="http", signal="logs")
    bad_before = sample("ao_collector_signal_export_requests_total", outcome="bad_request", protocol="http", signal="logs")
    assert _post(collector, "/v1/logs", b"", PROTOBUF).status_code == 200
    assert _post(collector, "/v1/logs", b"\xff", PROTOBUF).status_code == 400
    assert sample("ao_collector_signal_export_requests_total", outcome="ok", protocol="http", signal="logs") == before + 1
    assert sample("ao_collector_signal_export_requests_total", outcome="bad_request", protocol="http",
                  signal="logs") == bad_before + 1  # fmt: skip
    written: Callable[[], float] = lambda: sample("ao_collector_signal_items_written_total", signal="metrics")
    start = written()
    assert _post(collector, "/v1/metrics", summary_request("count-test", os.urandom(16), os.urandom(8)).SerializeToString(),
                 PROTOBUF).status_code == 200  # fmt: skip
    wait_for(lambda: written() == start + 2, what="two data points written")
    signals = collector.service.health()["signals"]
    assert signals["metrics"]["pending"] == 0 and signals["metrics"]["written"] >= 2
