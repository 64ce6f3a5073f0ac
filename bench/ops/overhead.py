"""What the operations layer (metrics) adds to receiving an export, against the same receiver without it.

In one process, the real OTLP/HTTP receiver (Starlette, protobuf decode and validation, a real spool on
disk with fsync off, so that disk noise does not drown the difference) is driven over ASGI by httpx with
512-span requests of the ingest benchmark: bare (`HttpReceiver(pipeline)`) and as the service wires it
(`HttpOutcomes` around `HttpReceiver(MeteredIntake(pipeline))`), interleaved in rounds. Also the cost of
one `/metrics` scrape. Prints medians per request and the ratio.

    .venv/bin/python bench/ops/overhead.py [--rounds 7] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from spans import RunTemplate  # noqa: E402

from ao_collector.ops.metrics import CollectorMetrics, MeteredIntake  # noqa: E402
from ao_collector.ops.otlp_outcomes import HttpOutcomes  # noqa: E402
from ao_collector.pipeline.spool import Spool  # noqa: E402
from ao_collector.pipeline.writer import Pipeline  # noqa: E402
from ao_collector.receiver.otlp_http import HttpReceiver  # noqa: E402

HEADERS = {"Content-Type": "application/x-protobuf"}


class _State:
    """The attributes the scrape-time collector reads."""

    def __init__(self, pipeline: Pipeline, spool: Spool) -> None:
        self.pipeline = pipeline
        self.spool = spool
        self.signal_pipelines: dict[str, Pipeline] = {}


async def _time_requests(app: object, payloads: list[bytes]) -> float:
    """Seconds per request, sending `payloads` one after another."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        for payload in payloads:
            answer = await client.post("/v1/traces", content=payload, headers=HEADERS)
            assert answer.status_code == 200, answer.text
        return (time.perf_counter() - started) / len(payloads)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    template = RunTemplate(calls=512 * 4 - 1)
    with tempfile.TemporaryDirectory() as directory:
        spool = Spool(Path(directory) / "spool", max_bytes=64 << 30, fsync=False)
        pipeline = Pipeline(store=None, spool=spool)  # type: ignore[arg-type]  # not started: nothing is written
        metrics = CollectorMetrics(_State(pipeline, spool), ready=lambda: True)
        bare = HttpReceiver(pipeline).app
        wired = HttpOutcomes(HttpReceiver(MeteredIntake(pipeline, metrics, "http")).app, metrics)  # type: ignore[arg-type]
        times: dict[str, list[float]] = {"bare": [], "with metrics": []}
        for _ in range(args.rounds):
            for name, app in (("bare", bare), ("with metrics", wired)):
                payloads = [p for _ in range(args.requests // 4) for p in template.stamp()[1]]
                times[name].append(asyncio.run(_time_requests(app, payloads)))
        scrapes = []
        for _ in range(50):
            started = time.perf_counter()
            metrics.exposition()
            scrapes.append(time.perf_counter() - started)
        spool.close()
    bare_ms = statistics.median(times["bare"]) * 1000
    wired_ms = statistics.median(times["with metrics"]) * 1000
    print(f"per 512-span request, median of {args.rounds} rounds of {args.requests}:")
    print(f"  bare receiver      {bare_ms:.3f} ms")
    print(f"  with metrics       {wired_ms:.3f} ms   ratio {wired_ms / bare_ms:.3f}, "
          f"+{(wired_ms - bare_ms) * 1000:.0f} us per request, +{(wired_ms - bare_ms) * 1000 / 512:.2f} us per span")
    print(f"  one /metrics scrape {statistics.median(scrapes) * 1e6:.0f} us (median of 50)")


if __name__ == "__main__":
    main()
