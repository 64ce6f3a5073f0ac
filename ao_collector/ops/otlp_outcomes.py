"""Counting OTLP export answers without touching the receivers: an ASGI middleware around the OTLP/HTTP
application and a gRPC server interceptor, both feeding `CollectorMetrics` (requests by outcome, spans
received, spans refused as invalid in a partial-success answer; requests of metrics and logs by outcome)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Callable

import grpc
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ao_collector.ops.metrics import CollectorMetrics
from ao_collector.receiver.otlp_signals import Signal

_HTTP_OUTCOMES = {
    400: "bad_request",
    401: "unauthorized",
    413: "too_large",
    415: "unsupported",
    429: "throttled",
    503: "unavailable",
}
_GRPC_OUTCOMES = {
    grpc.StatusCode.INVALID_ARGUMENT: "bad_request",
    grpc.StatusCode.UNAUTHENTICATED: "unauthorized",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "throttled",
    grpc.StatusCode.UNAVAILABLE: "unavailable",
}


def _count_answer(metrics: CollectorMetrics, protocol: str, rejected: int) -> None:
    """One successful answer that refused `rejected` spans as invalid (partial success).

    The valid spans were counted as received by `MeteredIntake` when they were submitted."""
    metrics.requests.labels(protocol, "partial" if rejected else "ok").inc()
    if rejected:
        metrics.received.labels(protocol).inc(rejected)
        metrics.refused.labels(protocol, "invalid").inc(rejected)


def _rejected_in_body(body: bytes, media_type: str) -> int:
    """`partial_success.rejected_spans` of an OTLP/HTTP answer (protobuf or JSON)."""
    try:
        if media_type.startswith("application/json"):
            document = json.loads(body or b"{}")
            return int(document.get("partialSuccess", {}).get("rejectedSpans", 0))
        return ExportTraceServiceResponse.FromString(body).partial_success.rejected_spans
    except (DecodeError, ValueError, AttributeError, TypeError):
        return 0


class HttpOutcomes:
    """ASGI middleware counting the answers of the OTLP/HTTP receiver at `app`.

    Submitted spans are counted by `MeteredIntake`; here, the answer and the spans it refused as invalid."""

    def __init__(self, app: ASGIApp, metrics: CollectorMetrics, signals: Sequence[Signal] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.signals = {signal.path: signal.name for signal in signals}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer: dict[str, Any] = {"status": 0, "type": "", "body": b""}

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for key, value in message.get("headers", ()):
                    if key.lower() == b"content-type":
                        answer["type"] = value.decode("latin-1").lower()
            elif message["type"] == "http.response.body" and answer["status"] == 200:
                answer["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, observe)
        status = answer["status"]
        signal = self.signals.get(scope.get("path", ""))
        if signal is not None:
            outcome = "ok" if status == 200 else _HTTP_OUTCOMES.get(status, "other")
            self.metrics.signal_requests.labels(signal, "http", outcome).inc()
        elif status == 200:
            _count_answer(self.metrics, "http", _rejected_in_body(answer["body"], answer["type"]))
        else:
            self.metrics.requests.labels("http", _HTTP_OUTCOMES.get(status, "other")).inc()


class GrpcOutcomes(grpc.ServerInterceptor):
    """gRPC interceptor counting the answers of `TraceService/Export` and of the other signals' Export."""

    def __init__(self, metrics: CollectorMetrics, signals: Sequence[Signal] = ()) -> None:
        self.metrics = metrics
        self.signals = {signal.grpc_method: signal.name for signal in signals}

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        metrics = self.metrics
        signal = self.signals.get(handler_call_details.method)

        def export(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                response = inner(request, context)
            except BaseException:
                outcome = _GRPC_OUTCOMES.get(context.code(), "other")
                if signal is None:
                    metrics.requests.labels("grpc", outcome).inc()
                else:
                    metrics.signal_requests.labels(signal, "grpc", outcome).inc()
                raise
            if signal is None:
                _count_answer(metrics, "grpc", response.partial_success.rejected_spans)
            else:
                metrics.signal_requests.labels(signal, "grpc", "ok").inc()
            return response

        return grpc.unary_unary_rpc_method_handler(
            export,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
