"""A small OTLP trace receiver (gRPC and HTTP/protobuf) on 127.0.0.1 that keeps every span it gets."""

from __future__ import annotations

import os
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import uvicorn
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class ReceivedSpan:
    """One received span with its resource and scope, attributes decoded to Python values."""

    span: Span
    resource: dict[str, Any]
    scope: str

    @property
    def name(self) -> str:
        return self.span.name

    @property
    def attributes(self) -> dict[str, Any]:
        return decode_attributes(self.span.attributes)

    @property
    def span_id(self) -> str:
        return self.span.span_id.hex()

    @property
    def trace_id(self) -> str:
        return self.span.trace_id.hex()

    @property
    def parent_span_id(self) -> str:
        return self.span.parent_span_id.hex()

    @property
    def links(self) -> list[tuple[str, dict[str, Any]]]:
        return [(link.span_id.hex(), decode_attributes(link.attributes)) for link in self.span.links]


def decode_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [decode_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


def decode_attributes(attributes: Any) -> dict[str, Any]:
    return {kv.key: decode_value(kv.value) for kv in attributes}


@dataclass
class OTLPSink:
    """Receives OTLP traces over gRPC (`grpc_endpoint`) and HTTP (`http_endpoint`)."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self._lock:
            for resource_spans in request.resource_spans:
                resource = decode_attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(ReceivedSpan(span, resource, scope_spans.scope.name))

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[ReceivedSpan]:
        """Wait until `predicate(spans)` is true; return the spans."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                spans = list(self.spans)
            if predicate(spans):
                return spans
            time.sleep(0.05)
        raise AssertionError(f"timed out; received {[s.name for s in self.spans]}")

    def start(self) -> "OTLPSink":
        sink = self

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:  # noqa: N802
                sink.add(request)
                return trace_service_pb2.ExportTraceServiceResponse()

        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), self._grpc)
        self.grpc_port = self._grpc.add_insecure_port("127.0.0.1:0")
        self._grpc.start()

        async def traces(request: Request) -> Response:
            message = trace_service_pb2.ExportTraceServiceRequest()
            message.ParseFromString(await request.body())
            sink.add(message)
            body = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            return Response(body, media_type="application/x-protobuf")

        config = uvicorn.Config(
            Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])]),
            host="127.0.0.1", port=0, log_level="error", lifespan="off",
        )  # fmt: skip
        self._http = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._http.run, daemon=True)
        self._thread.start()
        while not self._http.started:
            time.sleep(0.01)
        self.http_port = self._http.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def child_env(self, service: str, **extra: str) -> dict[str, str]:
        """The environment of a child process that exports its traces here (OTLP/HTTP) as `service`: this
        process's environment without OTEL_/AO_/OPENAI_ settings, then `extra`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_", "OPENAI_"))}
        env.update({
            "OTEL_SERVICE_NAME": service,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.http_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            # ao's spans only (OpenLLMetry and OpenInference, both "openai", are installed too).
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai",
            # a loaded CI machine may need more than the default second to flush at exit (else the
            # spans wait in the outbox for the next run); tests of the deadline set their own
            "AO_EXIT_TIMEOUT": "10",
            **extra,
        })  # fmt: skip
        return env

    def stop(self) -> None:
        self._http.should_exit = True
        self._thread.join(5)
        self._grpc.stop(0)
