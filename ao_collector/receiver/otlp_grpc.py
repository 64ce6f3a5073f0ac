"""OTLP/gRPC receiver (grpcio): the opentelemetry-proto TraceService, and MetricsService and LogsService
for the signals given (`otlp_signals`).

Every overload answer is RESOURCE_EXHAUSTED with RetryInfo, so OTLP clients retry it: a full spool or a
store that is behind (from the pipeline), and too many exports at once. The latter is decided when an
RPC arrives (`Admission`, counting the RPCs handed to the worker pool and not finished, queued ones
included) instead of by grpcio's `maximum_concurrent_rpcs`, whose answer carries no RetryInfo. Each
connection may open `max_streams` concurrent streams; more wait in the client's HTTP/2 flow control.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.any_pb2 import Any as AnyMessage
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from ao_collector.pipeline.writer import Backpressure, Pipeline
from ao_collector.auth import bearer_ok
from ao_collector.receiver.otlp import DEFAULT_MAX_BODY, BadRequest, parse_protobuf, store_payload, validate
from ao_collector.receiver.otlp_signals import Intake, Signal

log = logging.getLogger(__name__)

TRACE_SERVICE = trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"].full_name
TRACE_EXPORT = f"/{TRACE_SERVICE}/Export"


class CountingExecutor(ThreadPoolExecutor):
    """The server's worker pool, knowing how many calls it holds (running or queued)."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._held = 0
        self._count_lock = threading.Lock()

    @property
    def held(self) -> int:
        return self._held

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._count_lock:
            self._held += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _future: self._release())
        return future

    def _release(self) -> None:
        with self._count_lock:
            self._held -= 1


class Admission(grpc.ServerInterceptor):
    """Answers an export that arrives while `limit` calls are held by the pool with RESOURCE_EXHAUSTED and
    RetryInfo (the answer itself is quick: the request is not decoded)."""

    def __init__(self, executor: CountingExecutor, limit: int) -> None:
        self.executor = executor
        self.limit = limit
        self._refuse = grpc.unary_unary_rpc_method_handler(self._refuse_export)

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        if handler_call_details.method.endswith("/Export") and self.executor.held >= self.limit:
            return self._refuse
        return continuation(handler_call_details)

    def _refuse_export(self, _request: bytes, context: grpc.ServicerContext) -> None:
        _abort_retryable(context, Backpressure(f"more than {self.limit} exports at once", retry_after=1.0))


def _authorize(context: grpc.ServicerContext, token: str | None) -> None:
    if token is not None:
        metadata = dict(context.invocation_metadata())
        if not bearer_ok(metadata.get("authorization"), token):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token (AO_API_TOKEN)")


class TraceReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    """Implements `TraceService.Export`; the request arrives as wire bytes so it is spooled without re-encoding."""

    def __init__(self, pipeline: Pipeline, token: str | None = None) -> None:
        self.pipeline = pipeline
        self.token = token

    def Export(self, request: bytes, context: grpc.ServicerContext) -> trace_service_pb2.ExportTraceServiceResponse:  # noqa: N802
        _authorize(context, self.token)
        try:
            message = parse_protobuf(request)
            accepted = validate(message, request)
            if accepted.payload is not None:
                accepted.payload = store_payload(message, accepted.payload, self.pipeline.check)
        except BadRequest as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if accepted.payload is not None:
            try:
                self.pipeline.submit(accepted.payload, accepted.spans)
            except Backpressure as exc:
                _abort_retryable(context, exc)
        return accepted.response()


class SignalReceiver:
    """Implements `Export` of the gRPC service of one other signal (metrics, logs)."""

    def __init__(self, signal: Signal, intake: Intake, token: str | None) -> None:
        self.signal = signal
        self.intake = intake
        self.token = token

    def export(self, request: bytes, context: grpc.ServicerContext) -> Any:
        _authorize(context, self.token)
        try:
            return self.signal.accept(request, False, self.intake)
        except BadRequest as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Backpressure as exc:
            _abort_retryable(context, exc)

    def handler(self) -> grpc.GenericRpcHandler:
        return _export_handler(self.signal.service, self.export, self.signal.response_type.SerializeToString)


def _export_handler(service: str, export: Callable[[bytes, grpc.ServicerContext], Any],
                    serialize: Callable[[Any], bytes]) -> grpc.GenericRpcHandler:
    """The handler of `service`'s Export method, given the request's wire bytes."""
    method = grpc.unary_unary_rpc_method_handler(export, request_deserializer=None, response_serializer=serialize)
    return grpc.method_handlers_generic_handler(service, {"Export": method})


def _abort_retryable(context: grpc.ServicerContext, exc: Backpressure) -> None:
    """RESOURCE_EXHAUSTED with RetryInfo (as the OTLP spec asks, so clients retry), or UNAVAILABLE."""
    seconds = max(1, math.ceil(exc.retry_after))
    retry_info = error_details_pb2.RetryInfo(retry_delay=Duration(seconds=seconds))
    detail = AnyMessage()
    detail.Pack(retry_info)
    code = grpc.StatusCode.UNAVAILABLE if exc.unavailable else grpc.StatusCode.RESOURCE_EXHAUSTED
    status = status_pb2.Status(
        code=code_pb2.UNAVAILABLE if exc.unavailable else code_pb2.RESOURCE_EXHAUSTED,
        message=str(exc),
        details=[detail],
    )
    context.set_trailing_metadata(
        (
            ("grpc-status-details-bin", status.SerializeToString()),
            ("google.rpc.retryinfo-bin", retry_info.SerializeToString()),
        )
    )
    context.abort(code, f"{exc}; retry in {seconds}s")


class GrpcReceiver:
    """The gRPC server hosting the trace receiver, and those of `signals` (each with its intake)."""

    def __init__(
        self,
        pipeline: Pipeline,
        host: str,
        port: int,
        *,
        signals: Mapping[Signal, Intake] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        workers: int = 8,
        max_streams: int = 16,
        token: str | None = None,
        interceptors: Sequence[grpc.ServerInterceptor] = (),
    ) -> None:
        executor = CountingExecutor(max_workers=workers, thread_name_prefix="ao-otlp-grpc")
        # Request bytes are read by the workers only: at most `workers` requests are held at once.
        self.admission = Admission(executor, limit=workers * 2)
        self.server = grpc.server(
            executor,
            interceptors=(*interceptors, self.admission),
            options=[
                ("grpc.max_receive_message_length", max_body),
                ("grpc.max_concurrent_streams", max_streams),
                ("grpc.so_reuseport", 0),
            ],
        )
        traces = TraceReceiver(pipeline, token)
        handlers = [_export_handler(TRACE_SERVICE, traces.Export, trace_service_pb2.ExportTraceServiceResponse.SerializeToString)]
        handlers += [SignalReceiver(signal, intake, token).handler() for signal, intake in (signals or {}).items()]
        self.server.add_generic_rpc_handlers(handlers)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            self.port = self.server.add_insecure_port(address)
        except RuntimeError as exc:
            raise OSError(f"cannot listen for OTLP/gRPC on {address}: {exc}") from None
        if self.port == 0:
            raise OSError(f"cannot listen for OTLP/gRPC on {address} (port in use?)")

    def start(self) -> None:
        self.server.start()

    def stop(self, grace: float = 5.0) -> None:
        """Stop taking RPCs and let running ones finish."""
        self.server.stop(grace).wait()
