"""Store writes alone: batches of benchmark spans into a fresh embedded store, CPU per span.

Process CPU (all threads: chDB's included) per span over `--batches` writes of `--spans` spans each, and
the same split per statement the store runs (CPU of the process while that statement ran). Each batch is
a sealed spool segment that the store reads in place (`Store.write_file`), as the pipeline writes it; with
`--compare`, every other batch is written as a list of requests instead (`Store.write`: copied into a
scratch file, the way every batch was written before segments were read in place), and the CPU per span
of each way is printed, merges left out (the two share them).

    .venv/bin/python bench/ingest/store_write.py --batches 12 --spans 10000
    .venv/bin/python bench/ingest/store_write.py --batches 12 --spans 30000 --compare
"""

from __future__ import annotations

import argparse
import collections
import re
import resource
import statistics
import sys
import tempfile
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from run import thread_cpu  # noqa: E402
from spans import RunTemplate  # noqa: E402

from ao_collector.pipeline.spool import Spool  # noqa: E402
from ao_collector.store import ChdbStore  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def query_cpu() -> float:
    """CPU seconds of this process's threads but merges (MergeMutate): the write itself."""
    return sum(seconds for name, seconds in thread_cpu(os.getpid()).items() if not name.startswith("MergeMutate"))


def sealed_segment(directory: Path, body: list[bytes]) -> Path:
    """A spool segment holding the requests of `body`, sealed, as the pipeline hands it to the store."""
    spool = Spool(directory, segment_max_spans=1 << 30, segment_max_bytes=1 << 40)
    for request in body:
        spool.append(request, 1)
    segment = spool.next_batch(linger=0.0)
    assert segment is not None
    spool.close()
    return segment.path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--spans", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--split", action="store_true", help="CPU per statement kind")
    parser.add_argument("--compare", action="store_true", help="every other batch written as a list of requests")
    parser.add_argument("--set", action="append", default=[], help="a setting of the ingest session, e.g. max_threads=1")
    args = parser.parse_args()
    template = RunTemplate(calls=args.spans - 1, per_request=512, seed=3)
    with tempfile.TemporaryDirectory(prefix="ao-store-write-") as tmp:
        store = ChdbStore(tmp)
        store.migrate()
        for setting in args.set:
            store.execute(f"SET {setting}")
        parts: dict[str, float] = collections.defaultdict(float)
        if args.split:
            run = store._run

            def timed(purpose, sql, fmt, parameters):  # type: ignore[no-untyped-def]
                before = cpu()
                try:
                    return run(purpose, sql, fmt, parameters)
                finally:
                    words = sql.split()
                    parts[" ".join(words[:3]) if words[0] == "INSERT" else " ".join(words)[:70]] += cpu() - before

            store._run = timed  # type: ignore[method-assign]
        for i in range(args.warmup):
            store.write(template.stamp()[1], f"warm{i}")
        parts.clear()
        total = args.batches * args.spans
        bodies = [template.stamp()[1] for _ in range(args.batches)]
        segments = [sealed_segment(Path(tmp) / f"spool-{i}", body) for i, body in enumerate(bodies)]
        ways: dict[str, list[float]] = {"segment": [], "list": []}
        threads_before = thread_cpu(os.getpid())
        started_cpu, started = cpu(), time.monotonic()
        for i, (body, segment) in enumerate(zip(bodies, segments)):
            before = query_cpu()
            if args.compare and i % 2:
                store.write(body, f"b{i}")
                ways["list"].append(query_cpu() - before)
            else:
                store.write_file(str(segment), f"b{i}")
                ways["segment"].append(query_cpu() - before)
        written_cpu = cpu() - started_cpu
        # Merges of the parts these writes made run in the background: wait for them, they are part of the cost.
        while store.query("SELECT count() AS n FROM system.merges")[0]["n"]:
            time.sleep(0.1)
        used = cpu() - started_cpu
        elapsed = time.monotonic() - started
        threads = thread_cpu(os.getpid())
        by_thread = {name: threads[name] - threads_before.get(name, 0.0) for name in threads}
        print(f"{total} spans in {args.batches} writes: {used / total * 1e6:.1f} us CPU per span "
              f"({total / used:,.0f} spans/s per core), {elapsed:.1f}s wall, {used / elapsed:.2f} cores; "
              f"{written_cpu / total * 1e6:.1f} us until the last write returned")
        for name, seconds in sorted(by_thread.items(), key=lambda kv: -kv[1]):
            if seconds > 0.01:
                print(f"  {seconds / total * 1e6:6.1f} us/span  thread {name}")
        for key, value in sorted(parts.items(), key=lambda kv: -kv[1]):
            print(f"  {value / total * 1e6:6.1f} us/span  {key}")
        if args.compare:
            medians = {way: statistics.median(seconds) / args.spans * 1e6 for way, seconds in ways.items()}
            print(f"write without merges, median us per span: segment read in place {medians['segment']:.1f}, "
                  f"list of requests {medians['list']:.1f} (ratio {medians['segment'] / medians['list']:.2f})")
        store.close()


if __name__ == "__main__":
    main()
