"""Exports bounded at exit under `ao-instrument`: no exporter keeps the program from exiting.

From the moment the process exits (`EXIT.start()`, an exit hook registered once the OpenTelemetry
providers exist, so that it runs before their own shutdown hooks), every export of ao's OTLP exporters
gives up at the exit deadline (`AO_EXIT_TIMEOUT`, 1 s). Spans that are then still undelivered go to the
outbox (`outbox.OutboxSpanExporter`); metrics and log records are dropped, and the log file says so.
`BoundedMetricExporter` and `BoundedLogExporter` are the `ao_otlp` metrics and logs exporters, which
the launcher chooses where `otlp` would be.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

logger = logging.getLogger(__name__)

EXIT_TIMEOUT_ENV = "AO_EXIT_TIMEOUT"
DEFAULT_EXIT_TIMEOUT_S = 1.0
_POLL_S = 0.02


def env_number(env: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number of an environment variable, `default` when unset or not a number."""
    try:
        return max(0.0, float(env.get(name) or default))
    except ValueError:
        return default


class ExitDeadline:
    """When this process must be done exporting: unset until it exits."""

    def __init__(self) -> None:
        self.at: float | None = None

    def start(self, timeout: float | None = None) -> None:
        """From now on, exports give up `timeout` seconds from now (else AO_EXIT_TIMEOUT)."""
        if self.at is None:
            self.at = time.monotonic() + (env_number(os.environ, EXIT_TIMEOUT_ENV, DEFAULT_EXIT_TIMEOUT_S)
                                          if timeout is None else timeout)  # fmt: skip

    def seconds_left(self) -> float:
        """Seconds until the deadline (0 once passed, or before it started)."""
        return max(0.0, self.at - time.monotonic()) if self.at is not None else 0.0

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def run(self, export: Callable[[], bool], what: str) -> bool:
        """`export()` in a thread of its own; False when it fails or is still running at the deadline."""
        if self.passed():
            return False
        outcome: list[bool] = []

        def attempt() -> None:
            try:
                outcome.append(export())
            except Exception:
                logger.exception("ao: the OTLP %s exporter failed", what)
                outcome.append(False)

        worker = threading.Thread(target=attempt, name=f"ao-export-{what}", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(_POLL_S)
            if self.passed() and worker.is_alive():
                logger.warning("ao: %s export still running at the exit deadline; given up", what)
                return False
        return bool(outcome and outcome[0])


EXIT = ExitDeadline()


def _http(env: Mapping[str, str], signal: str) -> bool:
    value = env.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    return value.strip().startswith("http")


def _standard_metric_exporter(**kwargs: Any) -> MetricExporter:
    if _http(os.environ, "METRICS"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HTTPExporter

        return HTTPExporter(**kwargs)
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GRPCExporter

    return GRPCExporter(**kwargs)


def _standard_log_exporter() -> LogRecordExporter:
    if _http(os.environ, "LOGS"):
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HTTPExporter

        return HTTPExporter()
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GRPCExporter

    return GRPCExporter()


class BoundedMetricExporter(MetricExporter):
    """The standard OTLP metric exporter of the configured protocol, given up at the exit deadline."""

    def __init__(self, inner: MetricExporter | None = None, **kwargs: Any) -> None:
        self._inner = inner if inner is not None else _standard_metric_exporter(**kwargs)
        super().__init__(preferred_temporality=self._inner._preferred_temporality,
                         preferred_aggregation=self._inner._preferred_aggregation)  # fmt: skip

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        def export() -> bool:
            return self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs) is MetricExportResult.SUCCESS

        if EXIT.run(export, "metrics"):
            return MetricExportResult.SUCCESS
        logger.warning("ao: a metrics batch was not delivered; dropped")
        return MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        EXIT.start()
        self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)


class BoundedLogExporter(LogRecordExporter):
    """The standard OTLP log exporter of the configured protocol, given up at the exit deadline."""

    def __init__(self, inner: LogRecordExporter | None = None) -> None:
        self._inner = inner if inner is not None else _standard_log_exporter()

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        if EXIT.run(lambda: self._inner.export(batch) is LogRecordExportResult.SUCCESS, "logs"):
            return LogRecordExportResult.SUCCESS
        logger.warning("ao: %d log records were not delivered; dropped", len(batch))
        return LogRecordExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self) -> None:
        EXIT.start()
        self._inner.shutdown()
