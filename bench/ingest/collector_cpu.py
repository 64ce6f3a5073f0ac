"""ao-collector's own CPU per span, with the store in another process that costs nothing.

The collector writes to a stand-in ClickHouse server (`tests/support/clickhouse_sink.py`: real HTTP, every
insert read and dropped), so its CPU (utime + stime of all its threads, from /proc) is the service alone:
receive, check each request with the local decoder, spool with fsync, batch, send the requests to the
server (which would decode them). Throughput phases at full speed, as in `run.py`; the peer is the Go
OpenTelemetry Collector's ClickHouse exporter, documented at about 40,000 records/s per core (25 us).

    .venv/bin/python bench/ingest/collector_cpu.py --duration 15 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from run import Collector, load_phase  # noqa: E402

from tests.support.clickhouse_sink import InsertSink  # noqa: E402

TARGET_US = 15.0
PEER_US = 1e6 / 40_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--protocols", default="http,grpc")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--collector-arg", action="append", default=[], help="extra `ao-collector serve` argument")
    args = parser.parse_args()
    sink = InsertSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="ao-bench-cpu-") as tmp:
        collector = Collector(Path(tmp) / "data", [f"--clickhouse-url={sink.url}", *args.collector_arg])
        results: dict[str, list[float]] = {}
        try:
            for protocol in [p for p in args.protocols.split(",") if p]:
                for repeat in range(args.repeats):
                    phase = load_phase(collector, protocol, args, args.duration)
                    us = phase["collector_cpu_s"] / phase["spans"] * 1e6
                    results.setdefault(protocol, []).append(us)
                    print(f"{protocol} #{repeat + 1}: {phase['spans']} spans, {us:.1f} us CPU per span "
                          f"({phase['spans_per_core_s']:,.0f} spans/s per core, {phase['cores_used']:.2f} cores), "
                          f"{sink.inserts} inserts, {sink.insert_bytes / 1e6:,.0f} MB sent so far", flush=True)
        finally:
            collector.stop()
    print(f"\n{'protocol':<10}{'median us/span':>16}{'target':>10}{'ratio':>8}{'Go exporter':>13}{'ratio':>8}")
    for protocol, values in results.items():
        median = statistics.median(values)
        print(f"{protocol:<10}{median:>16.1f}{TARGET_US:>10.1f}{TARGET_US / median:>8.2f}{PEER_US:>13.1f}{PEER_US / median:>8.2f}")
    print("(ratio > 1: less CPU per span than the target / the peer)")


if __name__ == "__main__":
    main()
