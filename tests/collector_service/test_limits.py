"""Limits a flood of clients runs into: slow and idle HTTP clients are dropped while a normal exporter keeps
its pace, every overload answer says when to retry, and what is accepted is stored. Real sockets throughout."""

from __future__ import annotations

import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import requests
from google.rpc import error_details_pb2, status_pb2

from ao_collector.receiver.http_limits import ReadLimits
from ao_collector.service import CollectorService, ServiceConfig
from ao_collector.store import open_store
from tests.collector_service.conftest import TOKEN, OutageStore, Running
from tests.collector_service.helpers import llm_request, wait_for

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
PROTOBUF = {"Content-Type": "application/x-protobuf"}
LIMITS = ReadLimits(header_timeout=1.0, body_timeout=6.0, body_grace=0.5, min_rate=4096, max_connections=48,
                    max_connections_per_client=8)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A collector with short read limits (so slow clients are dropped within the test's time)."""
    data_dir = tmp_path_factory.mktemp("collector")
    real = open_store(data_dir=data_dir)
    store = OutageStore(real)
    config = ServiceConfig(data_dir=data_dir, grpc_port=0, http_port=0, api_port=0, api_token=TOKEN, batch_linger=0.05,
                           max_body=4 << 20, read_limits=LIMITS)
    service = CollectorService(config, store=store)  # type: ignore[arg-type]
    service.start()
    try:
        yield Running(service, store)
    finally:
        service.stop()
        real.close()


class SlowClient(threading.Thread):
    """A raw-socket client sending `data` one byte every `interval` seconds; records how the server ended it."""

    def __init__(self, port: int, data: bytes, interval: float, host: str = "127.0.0.1") -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=30)
        self.data, self.interval = data, interval
        self.answer = b""
        self.closed_after: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        pending = list(self.data)
        try:
            while not self.stop.is_set():
                readable, _, _ = select.select([self.sock], [], [], self.interval)
                if readable:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        break
                    self.answer += chunk
                elif pending:
                    self.sock.sendall(bytes([pending.pop(0)]))
                elif time.monotonic() - started > 30:
                    return
        except OSError:
            pass  # reset by the server
        self.closed_after = time.monotonic() - started

    def end(self) -> None:
        self.stop.set()
        self.sock.close()


def _slow_head(port: int) -> bytes:
    return f"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-protobuf\r\n".encode() * 50


def _slow_body(port: int, length: int = 1 << 20) -> tuple[bytes, bytes]:
    head = (f"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-protobuf\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    return head, b"\0" * length


def _export_latencies(collector: Running, count: int) -> list[float]:
    """Export `count` requests like an SDK exporter (one kept-alive session); each must be stored."""
    latencies, traces = [], []
    with requests.Session() as session:
        for _ in range(count):
            request = llm_request(uuid.uuid4().hex, calls=3)
            started = time.monotonic()
            answer = session.post(collector.http + "/v1/traces", data=request.SerializeToString(), headers=PROTOBUF,
                                  timeout=30)
            latencies.append(time.monotonic() - started)
            assert answer.status_code == 200, answer.text
            traces.append(request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex())
            time.sleep(0.05)
    for trace in traces:
        assert wait_for(lambda: collector.rows(trace) == (4, 4), what="the normal exporter's spans")
    return latencies


def test_slow_header_clients_are_dropped_and_cannot_lock_out_a_normal_exporter(collector: Running) -> None:
    """More slow-header connections than the server may hold: new connections evict them, the header timeout
    ends the rest; the exporter's requests go through meanwhile."""
    port = collector.service.ports["http"]
    attackers = [SlowClient(port, _slow_head(port), interval=0.2) for _ in range(LIMITS.max_connections + 12)]
    for attacker in attackers:
        attacker.start()
    try:
        time.sleep(0.3)
        latencies = _export_latencies(collector, 5)
        assert max(latencies) < 1.0, latencies
        for attacker in attackers:
            attacker.join(10)
        assert all(a.closed_after is not None and a.closed_after < 5 for a in attackers), [a.closed_after for a in attackers]
        assert all(a.answer == b"" for a in attackers)  # dropped before any request was read
    finally:
        for attacker in attackers:
            attacker.end()


def test_idle_connections_are_closed_after_the_header_timeout(collector: Running) -> None:
    port = collector.service.ports["http"]
    idle = SlowClient(port, b"", interval=0.1)
    idle.start()
    idle.join(10)
    assert idle.closed_after is not None and LIMITS.header_timeout - 0.2 < idle.closed_after < LIMITS.header_timeout + 2


def test_slow_body_clients_get_408_and_a_normal_exporter_keeps_its_pace(collector: Running) -> None:
    """More slow bodies than the receiver decodes at once (8): each is answered 408 after the grace period,
    and the exporter's requests are not held behind them."""
    port = collector.service.ports["http"]
    attackers = []
    for _ in range(12):
        head, body = _slow_body(port)
        attacker = SlowClient(port, body, interval=0.05)
        attacker.sock.sendall(head)
        attackers.append(attacker)
    for attacker in attackers:
        attacker.start()
    try:
        time.sleep(0.1)
        latencies = _export_latencies(collector, 5)
        assert max(latencies) < 1.0, latencies
        for attacker in attackers:
            attacker.join(10)
        for attacker in attackers:
            assert attacker.answer.startswith(b"HTTP/1.1 408"), attacker.answer[:200]
            assert b"request body too slow" in attacker.answer
            assert attacker.closed_after is not None and attacker.closed_after < LIMITS.body_grace + 3
    finally:
        for attacker in attackers:
            attacker.end()


def test_a_peer_beyond_loopback_holds_a_bounded_number_of_connections(collector: Running, tmp_path: Path) -> None:
    """Bound to all interfaces with a token, connections from a non-loopback address count per client: idle
    unauthenticated ones past the bound are closed at once, and an authenticated export still goes through."""
    address = _non_loopback_address()
    config = ServiceConfig(spool_dir=tmp_path / "spool", host="0.0.0.0", grpc_port=0, http_port=0, api_port=0,
                           api_token=TOKEN, batch_linger=0.05, read_limits=LIMITS)
    service = CollectorService(config, store=collector.store.store)
    service.start()
    try:
        port = service.ports["http"]
        held = [SlowClient(port, _slow_head(port), interval=0.2, host=address) for _ in range(LIMITS.max_connections_per_client + 4)]
        for client in held:
            client.start()
        time.sleep(0.3)
        over = [c for c in held if c.closed_after is not None]
        assert len(over) >= 4, [c.closed_after for c in held]
        assert all(c.closed_after < 0.5 for c in over)
        request = llm_request(uuid.uuid4().hex, calls=1)
        # From loopback (not counted per client) with the token.
        answer = requests.post(f"http://127.0.0.1:{port}/v1/traces", data=request.SerializeToString(),
                               headers={**PROTOBUF, "Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert answer.status_code == 200
        for client in held:
            client.end()
    finally:
        service.stop()


def _non_loopback_address() -> str:
    """An address of this machine that is not loopback (the source address of a route outwards)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
        return probe.getsockname()[0]


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
