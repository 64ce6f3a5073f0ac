"""Prometheus metrics of one collector, served at `GET /metrics` on the API port.

Counted as things happen (per OTLP protocol, `http` or `grpc`):

- `ao_collector_export_requests_total{protocol, outcome}`: export requests by answer; outcome is
  `ok`, `partial` (some spans refused as invalid), `bad_request`, `unauthorized`, `too_large`,
  `unsupported`, `throttled` (429 / RESOURCE_EXHAUSTED), `unavailable` (503 / UNAVAILABLE) or `other`.
- `ao_collector_spans_received_total{protocol}`: spans of decoded export requests (valid or not).
- `ao_collector_spans_accepted_total{protocol}`: spans made durable in the spool (acknowledged).
- `ao_collector_spans_refused_total{protocol, reason}`: spans not accepted; reason `invalid`
  (bad ids, answered as OTLP partial success), `throttled` or `unavailable` (the sender retries them).
- `ao_collector_store_write_seconds`: histogram of batch writes to ClickHouse, successful or not.
- `ao_collector_store_errors_total{kind}`: failed writes (and schema migrations) of the writer; kind
  `unavailable` (retried) or `error`.
- `ao_collector_signal_export_requests_total{signal, protocol, outcome}`: export requests of OTLP metrics
  and logs (signal `metrics` or `logs`), outcomes as above.
- `ao_collector_signal_items_accepted_total{signal, protocol}` and
  `ao_collector_signal_items_refused_total{signal, protocol, reason}`: metric data points and log records
  made durable in their spool, or refused (`throttled`, `unavailable`).

Read from the running service at scrape time:

- `ao_collector_spans_written_total`, `ao_collector_batches_written_total`,
  `ao_collector_batches_quarantined_total` (moved to `spool/rejected/` after repeated errors),
  `ao_collector_requests_quarantined_total` (requests the store refused on their own, moved aside while
  the rest of their batch was written).
- `ao_collector_spool_spans`, `ao_collector_spool_bytes`, `ao_collector_spool_segments`: the queue of
  accepted spans not yet in ClickHouse.
- `ao_collector_store_up`: 1 when the store took the writer's last attempt.
- `ao_collector_ready`: 1 when `/readyz` would answer 200 (see `ao_collector.ops.probes`).
- `ao_collector_signal_items_written_total{signal}`, `ao_collector_signal_spool_items{signal}`: metric
  data points and log records written to their tables, and waiting in their spool.

Each service has its own registry, so several collectors in one process do not share counts.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Callable, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from ao_collector.pipeline.writer import Backpressure, Pipeline
from ao_collector.store.base import StoreUnavailable

if TYPE_CHECKING:
    from ao_collector.pipeline.spool import Spool
    from ao_collector.store.base import Store

__all__ = ["CONTENT_TYPE_LATEST", "CollectorMetrics", "MeteredIntake", "TimedStore"]

WRITE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServiceState(Protocol):
    """What the scrape-time collector reads from the running service."""

    pipeline: Pipeline | None
    spool: Spool | None
    signal_pipelines: dict[str, Pipeline]  # of metrics and logs, by signal name


class CollectorMetrics:
    """The metrics of one collector service and the registry they are exposed from."""

    def __init__(self, service: ServiceState, ready: Callable[[], bool]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ao_collector_export_requests", "OTLP export requests by answer.", ["protocol", "outcome"],
            registry=self.registry,
        )
        self.received = Counter(
            "ao_collector_spans_received", "Spans of decoded OTLP export requests.", ["protocol"], registry=self.registry
        )
        self.accepted = Counter(
            "ao_collector_spans_accepted", "Spans made durable in the spool and acknowledged.", ["protocol"],
            registry=self.registry,
        )
        self.refused = Counter(
            "ao_collector_spans_refused", "Spans not accepted, by reason.", ["protocol", "reason"], registry=self.registry
        )
        self.write_seconds = Histogram(
            "ao_collector_store_write_seconds", "Time of one batch write to the store.", buckets=WRITE_BUCKETS,
            registry=self.registry,
        )
        self.store_errors = Counter(
            "ao_collector_store_errors", "Failed writes and migrations of the writer.", ["kind"], registry=self.registry
        )
        self.signal_requests = Counter(
            "ao_collector_signal_export_requests", "OTLP metrics and logs export requests by answer.",
            ["signal", "protocol", "outcome"], registry=self.registry,
        )
        self.signal_accepted = Counter(
            "ao_collector_signal_items_accepted", "Metric data points and log records made durable and acknowledged.",
            ["signal", "protocol"], registry=self.registry,
        )
        self.signal_refused = Counter(
            "ao_collector_signal_items_refused", "Metric data points and log records not accepted, by reason.",
            ["signal", "protocol", "reason"], registry=self.registry,
        )
        self.registry.register(_ServiceCollector(service, ready))

    def exposition(self) -> bytes:
        """The current values in the Prometheus text format (`CONTENT_TYPE_LATEST`)."""
        return generate_latest(self.registry)


class _ServiceCollector(Collector):
    """Pipeline and spool figures, read when Prometheus scrapes."""

    def __init__(self, service: ServiceState, ready: Callable[[], bool]) -> None:
        self.service = service
        self.ready = ready

    def describe(self) -> list[Metric]:
        return []  # values exist only once the service runs: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        pipeline, spool = self.service.pipeline, self.service.spool
        if pipeline is not None:
            stats = pipeline.stats
            yield CounterMetricFamily("ao_collector_spans_written", "Spans written to the store.", stats.written_spans)
            yield CounterMetricFamily("ao_collector_batches_written", "Batches written to the store.", stats.written_batches)
            yield CounterMetricFamily(
                "ao_collector_batches_quarantined", "Batches moved to spool/rejected/ after repeated store errors.",
                stats.rejected_batches,
            )
            yield CounterMetricFamily(
                "ao_collector_requests_quarantined",
                "Export requests the store refused on their own, moved to spool/rejected/ (the rest of their batch written).",
                stats.rejected_requests,
            )
            yield GaugeMetricFamily("ao_collector_store_up", "1 when the store took the last write attempt.",
                                    1.0 if pipeline.store_ok else 0.0)
        if spool is not None:
            yield GaugeMetricFamily("ao_collector_spool_spans", "Accepted spans waiting for the store.", spool.pending_spans)
            yield GaugeMetricFamily("ao_collector_spool_bytes", "Bytes of the spool's segments.", spool.pending_bytes)
            yield GaugeMetricFamily("ao_collector_spool_segments", "Spool segments (batches) waiting, the active one included.",
                                    spool.pending_segments())
        written = CounterMetricFamily("ao_collector_signal_items_written",
                                      "Metric data points and log records written to the store.", labels=["signal"])
        waiting = GaugeMetricFamily("ao_collector_signal_spool_items",
                                    "Metric data points and log records waiting for the store.", labels=["signal"])
        for name, signal_pipeline in self.service.signal_pipelines.items():
            written.add_metric([name], signal_pipeline.stats.written_spans)
            waiting.add_metric([name], signal_pipeline.spool.pending_spans)
        yield written
        yield waiting
        yield GaugeMetricFamily("ao_collector_ready", "1 when the collector is ready (see /readyz).", 1.0 if self.ready() else 0.0)


class MeteredIntake:
    """What a receiver submits to: the pipeline, counting the items (spans, data points, log records) it
    accepts and refuses for one protocol; `signal` names the metrics or logs pipeline (None: traces)."""

    def __init__(self, pipeline: Pipeline, metrics: CollectorMetrics, protocol: str, signal: str | None = None) -> None:
        self._pipeline = pipeline
        if signal is None:
            self._received: Any = metrics.received.labels(protocol)
            self._accepted = metrics.accepted.labels(protocol)
            self._throttled = metrics.refused.labels(protocol, "throttled")
            self._unavailable = metrics.refused.labels(protocol, "unavailable")
        else:
            self._received = None
            self._accepted = metrics.signal_accepted.labels(signal, protocol)
            self._throttled = metrics.signal_refused.labels(signal, protocol, "throttled")
            self._unavailable = metrics.signal_refused.labels(signal, protocol, "unavailable")

    def submit(self, payload: bytes, spans: int) -> None:
        """`Pipeline.submit`, counted."""
        if self._received is not None:
            self._received.inc(spans)
        try:
            self._pipeline.submit(payload, spans)
        except Backpressure as exc:
            (self._unavailable if exc.unavailable else self._throttled).inc(spans)
            raise
        self._accepted.inc(spans)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)


class TimedStore:
    """The store as the pipeline's writer sees it: every write timed and its failures counted."""

    def __init__(self, store: Store, metrics: CollectorMetrics) -> None:
        self._store = store
        self._seconds = metrics.write_seconds
        self._unavailable = metrics.store_errors.labels("unavailable")
        self._error = metrics.store_errors.labels("error")
        self.last_write_started: float | None = None  # time.monotonic() of the latest write
        self.writing_since: float | None = None  # set while a write runs

    def write(self, requests: Sequence[Any], token: str) -> None:
        with self._timed():
            self._store.write(requests, token)

    def write_file(self, path: str, token: str) -> None:
        with self._timed():
            self._store.write_file(path, token)

    @contextmanager
    def _timed(self) -> Iterator[None]:
        started = time.perf_counter()
        self.last_write_started = self.writing_since = time.monotonic()
        try:
            with self._counting_errors():
                yield
        finally:
            self.writing_since = None
            self._seconds.observe(time.perf_counter() - started)

    def migrate(self) -> None:
        """The writer migrates before its first write when the store was down at start."""
        with self._counting_errors():
            self._store.migrate()

    @contextmanager
    def _counting_errors(self) -> Iterator[None]:
        try:
            yield
        except StoreUnavailable:
            self._unavailable.inc()
            raise
        except Exception:
            self._error.inc()
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
