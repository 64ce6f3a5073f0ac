"""Per-call CPU overhead of ao, OpenLLMetry and OpenInference on `client.chat.completions.create`.

    .venv/bin/python bench/overhead/run.py [--rounds R] [--pairs N] [--batch-size K] [--exporter memory|otlp]

Each variant runs in its own processes (the instrumentors do not coexist), round-robin over `--rounds`
so that all variants share the machine's load alike. A process alternates batches
with its instrumentation switched off and on, so each batch pair gives one paired difference: the
CPU time (all threads, `time.process_time_ns`, span processor flushed inside the window) that the
instrumentation adds per call. Medians (and 10%-trimmed means) of those differences are printed,
with their share of the SDK's own time and their ratio to ao's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from worker import VARIANTS  # noqa: E402


class _Sink(BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and drops them (the `--exporter otlp` endpoint)."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _run(variant: str, args: argparse.Namespace, endpoint: str) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "worker.py"), variant, "--pairs", str(args.pairs),
               "--batch-size", str(args.batch_size), "--exporter", args.exporter, "--endpoint", endpoint]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4, help="processes per variant, run round-robin")
    parser.add_argument("--pairs", type=int, default=12, help="batch pairs per process")
    parser.add_argument("--batch-size", type=int, default=64, help="calls per batch (ao queues metrics over ~21)")
    parser.add_argument("--exporter", choices=("memory", "otlp"), default="memory")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--json", help="also write the raw samples here")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"

    results: dict[str, dict[str, Any]] = {}
    for round_ in range(args.rounds):  # round-robin, so that every variant sees the machine's load alike
        for variant in args.variants:
            result = _run(variant, args, endpoint)
            merged = results.setdefault(variant, {"baseline_us": [], "instrumented_us": [], "spans": 0})
            merged["baseline_us"] += result["baseline_us"]
            merged["instrumented_us"] += result["instrumented_us"]
            merged["spans"] += result["spans"]
            print(f"round {round_ + 1}/{args.rounds}: {variant}", file=sys.stderr)
    server.shutdown()

    rows = []
    for variant, result in results.items():
        base, inst = result["baseline_us"], result["instrumented_us"]
        differences = sorted(b - a for a, b in zip(base, inst))
        trim = len(differences) // 10
        mean = statistics.fmean(differences[trim : len(differences) - trim])
        rows.append((variant, statistics.median(base), statistics.median(inst), statistics.median(differences),
                     mean, result["spans"]))  # fmt: skip
    ao = {row[0]: row[3] for row in rows}
    print(f"\n{args.rounds} rounds x {args.pairs} pairs x {args.batch_size} calls per variant,"
          f" exporter: {args.exporter}")
    print(f"{'variant':26} {'SDK alone':>10} {'instrumented':>13} {'added/call':>11} {'(mean)':>8} {'of SDK':>7}"
          f" {'vs ao':>6} {'spans':>6}")  # fmt: skip
    for variant, base, inst, added, mean, spans in rows:
        reference = ao.get("ao-no-content" if variant.endswith("no-content") else "ao")
        ratio = f"{added / reference:5.1f}x" if reference and reference > 0 and variant != "sdk" else ""
        share = f"{100 * added / base:6.1f}%"
        counted = str(spans) if args.exporter == "memory" else "-"  # the OTLP sink does not count
        print(f"{variant:26} {base:8.0f}us {inst:11.0f}us {added:9.1f}us {mean:6.1f}us {share:>7} {ratio:>6}"
              f" {counted:>6}")
    if args.json:
        Path(args.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
