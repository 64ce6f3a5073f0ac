"""Slow-client benchmark: a normal OTLP/HTTP exporter's export latency beside slow-loris attackers.

A collector process (`ao-collector serve`, default read limits, embedded chDB in a temp dir) is fed by a
normal exporter (one kept-alive HTTP session, protobuf requests of 20 spans, 10 a second, as an SDK's
batch exporter sends them) in phases: alone (the baseline), then beside attackers run by a separate
process (asyncio, raw sockets), each attacker reconnecting as soon as it is dropped, so the attack lasts:

- `headers`: 300 connections sending a request head one byte every 0.5 s (more than uvicorn's
  former connection limit of 256, and than the server's slots);
- `bodies`: 16 connections sending a full head declaring a 4 MB body, then one byte a second (more than
  the 8 requests decoded at once);
- `both` together.

Prints, per phase, the median and p95 latency, the ratio of the median to the baseline's (the
exporter alone, measured first and again last), and the exports that failed (timed out, after
`--timeout` seconds, or answered other than 200; a timed-out export counts its timeout as latency). `--src DIR` runs the collector from another source tree (e.g. an older commit
extracted with `git archive`) to compare.

    .venv/bin/python bench/hardening/slow_clients.py [--exports 60] [--timeout 60] [--src DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

REPO = Path(__file__).resolve().parents[2]
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request_body(spans: int = 20) -> bytes:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    trace = os.urandom(16)
    now = time.time_ns()
    for i in range(spans):
        span = scope.spans.add(trace_id=trace, span_id=os.urandom(8), name=f"step {i}",
                               start_time_unix_nano=now, end_time_unix_nano=now + 1000)
        span.attributes.append(KeyValue(key="ao.run.id", value=AnyValue(string_value=trace.hex())))
    return request.SerializeToString()


def export_latencies(port: int, count: int, timeout: float = 60.0, rate: float = 10.0) -> tuple[list[float], int]:
    """Latencies of `count` exports at `rate` a second, and how many failed (any answer but 200, or no answer)."""
    latencies: list[float] = []
    failed = 0
    url = f"http://127.0.0.1:{port}/v1/traces"
    with requests.Session() as session:
        for _ in range(count):
            body = request_body()
            started = time.monotonic()
            try:
                ok = session.post(url, data=body, headers=PROTOBUF, timeout=timeout).status_code == 200
            except requests.RequestException:
                ok = False
            latencies.append(time.monotonic() - started)
            failed += not ok
            time.sleep(max(0.0, 1 / rate - latencies[-1]))
    return latencies, failed


async def _attacker(port: int, head: bytes, body: bytes, interval: float) -> None:
    """One slow client, reconnecting whenever the server drops it."""
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head)
            for byte in body:
                await writer.drain()
                try:
                    await asyncio.wait_for(reader.read(1), interval)
                    break  # an answer (408) or the end: the server dropped this client
                except asyncio.TimeoutError:
                    writer.write(bytes([byte]))
            writer.close()
        except OSError:
            await asyncio.sleep(0.05)


async def _attack(port: int, kind: str) -> None:
    tasks = []
    start = f"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-protobuf\r\n".encode()
    if kind in ("headers", "both"):
        tasks += [_attacker(port, b"", start * 100, 0.5) for _ in range(300)]
    if kind in ("bodies", "both"):
        head = start + f"Content-Length: {4 << 20}\r\n\r\n".encode()
        tasks += [_attacker(port, head, b"\0" * (4 << 20), 1.0) for _ in range(16)]
    await asyncio.gather(*tasks)


def run_collector(src: Path, data_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    ports = {"grpc": free_port(), "http": free_port(), "api": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env["PYTHONPATH"] = str(src)
    command = [sys.executable, "-m", "ao_collector", "serve", "--data-dir", str(data_dir), "--grpc-port", str(ports["grpc"]),
               "--http-port", str(ports["http"]), "--api-port", str(ports["api"]), "--log-level", "error"]
    process = subprocess.Popen(command, env=env, cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{ports['api']}/healthz", timeout=1).read()
            return process, ports
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("collector did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exports", type=int, default=60, help="exports per phase")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds an export may take before it counts as failed")
    parser.add_argument("--src", type=Path, default=REPO, help="source tree to run the collector from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ao-bench-hardening-") as tmp:
        collector, ports = run_collector(args.src.resolve(), Path(tmp) / "data")
        try:
            export_latencies(ports["http"], 30)  # warm up
            rows = []
            for phase in ("none", "headers", "bodies", "both", "none"):
                attacker = None
                if phase != "none":
                    attacker = subprocess.Popen([sys.executable, __file__, "attack", str(ports["http"]), phase])
                    time.sleep(3.0)  # the attack is in place (connections held, bodies started)
                latencies, failed = export_latencies(ports["http"], args.exports, args.timeout)
                if attacker is not None:
                    attacker.send_signal(signal.SIGTERM)
                    attacker.wait(10)
                rows.append((phase, latencies, failed))
                time.sleep(1.0)
        finally:
            collector.send_signal(signal.SIGTERM)
            collector.wait(60)
    # The baseline: the exporter alone, before and after the attacks.
    baseline = statistics.median([x for phase, latencies, _ in rows if phase == "none" for x in latencies])
    print(f"collector source: {args.src}")
    print(f"{'attackers':<10} {'median ms':>10} {'p95 ms':>10} {'ratio':>7} {'failed':>8}")
    for phase, latencies, failed in rows:
        median = statistics.median(latencies)
        p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
        print(f"{phase:<10} {median * 1000:>10.1f} {p95 * 1000:>10.1f} {median / baseline:>7.2f} {failed:>4}/{len(latencies)}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "attack":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        asyncio.run(_attack(int(sys.argv[2]), sys.argv[3]))
    else:
        main()
