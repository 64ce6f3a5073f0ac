"""Limits a flood of clients runs into: every overload answer says when to retry, and what is accepted is stored."""

from __future__ import annotations

import threading
import uuid

import grpc
from google.rpc import error_details_pb2, status_pb2

from tests.collector_service.conftest import Running
from tests.collector_service.helpers import llm_request, wait_for

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def test_grpc_burst_over_the_concurrency_limit_gets_retry_info(collector: Running) -> None:
    """Many exports at once, each on its own connection: over the limit they get RESOURCE_EXHAUSTED with
    RetryInfo (grpcio's own limit answers without it), the others are stored."""
    clients = 64
    bodies = [llm_request(uuid.uuid4().hex, calls=1200) for _ in range(clients)]
    start = threading.Barrier(clients)
    outcomes: list[tuple[str, grpc.RpcError | None]] = [("", None)] * clients

    def send(index: int) -> None:
        request = bodies[index]
        trace = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
        with grpc.insecure_channel(collector.grpc, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
            grpc.channel_ready_future(channel).result(timeout=10)
            body = request.SerializeToString()
            start.wait(timeout=30)
            try:
                export(body, timeout=30)
                outcomes[index] = (trace, None)
            except grpc.RpcError as error:
                outcomes[index] = (trace, error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    refused = [error for _trace, error in outcomes if error is not None]
    assert refused, "the burst never reached the limit"
    for error in refused:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
        trailers = dict(error.trailing_metadata())
        assert error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]).retry_delay.seconds >= 1
        status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
        assert status.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
    stored = [trace for trace, error in outcomes if error is None]
    assert stored
    for trace in stored:
        assert wait_for(lambda: collector.rows(trace) == (1201, 1201), timeout=60, what="accepted spans")
    for trace in (trace for trace, error in outcomes if error is not None):
        assert collector.rows(trace) == (0, 0)
