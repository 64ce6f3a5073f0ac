"""OTLP metrics and logs: what the receivers need to know of each signal beside traces, and how a request of
one is taken in.

Metrics and logs go to the OpenTelemetry Collector ClickHouse exporter's tables (`otel_metrics_*`,
`otel_logs`, schema migration 0006) through a spool and pipeline of their own, so a burst of one signal
never delays another. Their rows are built in Python (`model.metric_rows`, `model.log_rows`); a request is
acknowledged only once its rows were built, so what the store would refuse is answered 400 at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from ao_collector.model.log_rows import log_records, log_rows
from ao_collector.model.metric_rows import data_points, metric_rows
from ao_collector.receiver.otlp import BadRequest, parse_json, parse_protobuf


class Intake(Protocol):
    """Where a receiver puts an accepted request (a pipeline, usually metered)."""

    def submit(self, payload: bytes, items: int) -> None:
        """Make the request durable; raises `Backpressure`."""


@dataclass(frozen=True)
class Signal:
    """One OTLP signal beside traces."""

    name: str  # "metrics", "logs": the spool's folder, the label of the collector's own metrics
    path: str  # of OTLP/HTTP
    service: str  # full name of the gRPC service
    request_type: type[Message]
    response_type: type[Message]
    count: Callable[[Message], int]  # data points or log records of a request
    rows: Callable[[Sequence[bytes]], dict[str, pa.Table]]  # serialized requests -> rows per table

    @property
    def grpc_method(self) -> str:
        return f"/{self.service}/Export"

    def accept(self, body: bytes, json: bool, intake: Intake) -> Message:
        """Decode one request (protobuf, or OTLP/JSON when `json`), spool it and return the answer.

        Raises BadRequest when it cannot be decoded or stored, `Backpressure` from the intake."""
        request = parse_json(body, self.request_type) if json else parse_protobuf(body, self.request_type)
        request.DiscardUnknownFields()
        payload = request.SerializeToString()
        items = self.count(request)
        if items:
            try:
                self.rows([payload])
            except (pa.ArrowException, OverflowError, ValueError, TypeError) as exc:
                raise BadRequest(f"the store cannot take this {self.request_type.__name__}: {exc}") from None
            intake.submit(payload, items)
        return self.response_type()


METRICS = Signal(
    name="metrics",
    path="/v1/metrics",
    service=metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"].full_name,
    request_type=metrics_service_pb2.ExportMetricsServiceRequest,
    response_type=metrics_service_pb2.ExportMetricsServiceResponse,
    count=data_points,  # type: ignore[arg-type]
    rows=metric_rows,
)
LOGS = Signal(
    name="logs",
    path="/v1/logs",
    service=logs_service_pb2.DESCRIPTOR.services_by_name["LogsService"].full_name,
    request_type=logs_service_pb2.ExportLogsServiceRequest,
    response_type=logs_service_pb2.ExportLogsServiceResponse,
    count=log_records,  # type: ignore[arg-type]
    rows=log_rows,
)
SIGNALS = (METRICS, LOGS)
