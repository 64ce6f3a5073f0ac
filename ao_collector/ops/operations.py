"""The operations side of one collector service: its metrics and probes, and the wrappers that feed them
(the pipeline as each receiver submits to it, the store as the writer sees it, the OTLP/HTTP middleware,
the gRPC interceptor, the API router)."""

from __future__ import annotations

from typing import Callable

import grpc
from fastapi import APIRouter
from starlette.types import ASGIApp

from ao_collector.ops.metrics import CollectorMetrics, MeteredIntake, ServiceState, TimedStore
from ao_collector.ops.otlp_outcomes import GrpcOutcomes, HttpOutcomes
from ao_collector.ops.probes import Probes
from ao_collector.ops.routes import ops_router
from ao_collector.pipeline.writer import Pipeline
from ao_collector.receiver.otlp_signals import SIGNALS, Signal
from ao_collector.store.base import Store


class Operations:
    """Create once the store is open, before the pipeline and the receivers."""

    def __init__(self, service: ServiceState, store: Store, *, cluster: str | None, stopping: Callable[[], bool]) -> None:
        self.probes: Probes
        self.metrics = CollectorMetrics(service, ready=lambda: self.probes.is_ready())
        self.writer_store = TimedStore(store, self.metrics)
        self.probes = Probes(service, store, self.writer_store, cluster=cluster, stopping=stopping)

    def intake(self, pipeline: Pipeline, protocol: str, signal: Signal | None = None) -> MeteredIntake:
        """What the receiver of `protocol` (`http`, `grpc`) submits traces (or `signal`) to."""
        return MeteredIntake(pipeline, self.metrics, protocol, signal.name if signal else None)

    def http_app(self, app: ASGIApp) -> HttpOutcomes:
        """The OTLP/HTTP application with its answers counted."""
        return HttpOutcomes(app, self.metrics, SIGNALS)

    def grpc_interceptors(self) -> tuple[grpc.ServerInterceptor, ...]:
        return (GrpcOutcomes(self.metrics, SIGNALS),)

    def router(self) -> APIRouter:
        """`/livez`, `/readyz`, `/metrics` for the API application."""
        return ops_router(self.probes, self.metrics)
