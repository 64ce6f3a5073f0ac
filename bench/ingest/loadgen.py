"""Load generator for the ingest benchmark: sends runs of LLM spans over OTLP/HTTP or OTLP/gRPC.

`--concurrency` senders each export one request at a time, retrying on backpressure as an OpenTelemetry
exporter would: as fast as the collector answers (closed loop), or paced to `--rate` spans/s in total.
Every `--probe-every`-th run is a latency probe: a poller asks the collector's API for that run's last call
until it is queryable. Prints one JSON object with the results.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

sys.path.insert(0, str(Path(__file__).parent))
from spans import RunTemplate  # noqa: E402

_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.spans = 0
        self.requests = 0
        self.backpressure = 0
        self.rejected = 0


Sender = Callable[[bytes], "tuple[bool, float]"]
"""Sends one request: (True, rejected spans) when taken, (False, seconds to wait) on backpressure."""


def http_sender(endpoint: str) -> Sender:
    host_port = endpoint.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(body: bytes) -> tuple[bool, float]:
        nonlocal connection
        try:
            connection.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            return False, 0.5
        if response.status == 200:
            return True, ExportTraceServiceResponse.FromString(data).partial_success.rejected_spans
        if response.status in (429, 502, 503, 504):
            return False, float(response.headers.get("Retry-After", "1"))
        raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")

    return send


def grpc_sender(endpoint: str) -> Sender:
    channel = grpc.insecure_channel(endpoint.split("//", 1)[-1], options=[("grpc.max_send_message_length", 64 << 20)])
    export = channel.unary_unary(_EXPORT, request_serializer=None, response_deserializer=ExportTraceServiceResponse.FromString)

    def send(body: bytes) -> tuple[bool, float]:
        try:
            response = export(body, timeout=60)
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
                return False, 1.0
            raise
        return True, response.partial_success.rejected_spans

    return send


def poll_probes(api_url: str, probes: "queue.Queue[tuple[str, float] | None]", latencies: list[float], interval: float) -> None:
    """Ask the API for the probes' last calls, oldest first, until each answers; record send-to-queryable seconds.

    Each round asks for the oldest pending probe and, when it answers, for the next ones until one does not:
    the spool is written in order, so the others are asked for once the ones before them are in. (Asking for
    every pending probe each round made the benchmark's own reads the collector's biggest load at high latency.)
    """
    pending: list[tuple[str, float]] = []
    done = False
    while not done or pending:
        try:
            while True:
                item = probes.get_nowait()
                if item is None:
                    done = True
                    break
                pending.append(item)
        except queue.Empty:
            pass
        while pending:
            span_id, sent = pending[0]
            try:
                with urllib.request.urlopen(f"{api_url}/api/v1/calls/{span_id}", timeout=10) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise
                if time.monotonic() - sent <= 120:
                    break
                latencies.append(float("inf"))
            except OSError:
                break
            else:
                latencies.append(time.monotonic() - sent)
            pending.pop(0)
        time.sleep(interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--protocol", choices=["http", "grpc"], default="http")
    parser.add_argument("--endpoint", required=True, help="http://127.0.0.1:4318 or 127.0.0.1:4317")
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--probe-every", type=int, default=10, help="one probe run per N runs (0: none)")
    parser.add_argument("--rate", type=float, default=0.0, help="total spans/s to offer (0: as fast as answered)")
    args = parser.parse_args()

    template = RunTemplate(calls=args.spans_per_request - 1, per_request=args.spans_per_request)
    counters = Counters()
    probes: queue.Queue[tuple[str, float] | None] = queue.Queue()
    latencies: list[float] = []
    prober = threading.Thread(target=poll_probes, args=(args.api_url, probes, latencies, 0.05), daemon=True)
    prober.start()
    start = time.monotonic()
    stop_at = start + args.duration
    runs = iter(range(1 << 62))
    runs_lock = threading.Lock()
    failures: list[str] = []

    interval = args.concurrency * args.spans_per_request / args.rate if args.rate else 0.0

    def worker(index: int) -> None:
        send = http_sender(args.endpoint) if args.protocol == "http" else grpc_sender(args.endpoint)
        next_at = start + interval * index / args.concurrency
        try:
            while time.monotonic() < stop_at:
                if interval:
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                with runs_lock:
                    number = next(runs)
                _, bodies = template.stamp()
                probe = args.probe_every and number % args.probe_every == 0
                sent = time.monotonic()
                for body in bodies:
                    while True:
                        ok, info = send(body)
                        if ok:
                            break
                        with counters.lock:
                            counters.backpressure += 1
                        time.sleep(info)
                    with counters.lock:
                        counters.requests += 1
                        counters.spans += args.spans_per_request
                        counters.rejected += int(info)
                if probe:
                    last_span = bodies[-1]
                    probes.put((_last_span_id(last_span), sent))
        except Exception as exc:  # noqa: BLE001 - reported in the output
            failures.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    probes.put(None)
    prober.join(180)
    print(json.dumps({
        "protocol": args.protocol,
        "spans": counters.spans,
        "requests": counters.requests,
        "rejected": counters.rejected,
        "backpressure": counters.backpressure,
        "send_seconds": elapsed,
        "latencies": sorted(latencies),
        "failures": failures,
    }))


def _last_span_id(body: bytes) -> str:
    request = ExportTraceServiceRequest.FromString(body)
    return request.resource_spans[-1].scope_spans[-1].spans[-1].span_id.hex()


if __name__ == "__main__":
    main()
