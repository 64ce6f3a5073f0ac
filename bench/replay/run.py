"""Cached replay against a live run: the 50-call agent (`agent.py`) with 50 ms of LLM latency per call.

Per round, through real processes (a collector, the launcher, the fake LLM server in this process):
the live run (recorded), a replay with no edit (every call from the cache), and a replay after editing
call 25's output (its five descendants in the chain go live, the other 44 calls stay cached). Prints
medians of the command's wall time (start-up included) and of the program's own time (first call to
last), the ratios to the live run, and the replay's summary line.

    .venv/bin/python bench/replay/run.py [--rounds 3] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "examples")]
from fake_llm import FakeLLM  # noqa: E402
from fake_llm.replies import default_reply  # noqa: E402

from ao_instrument.runs import new_run_id  # noqa: E402
from tests.collector_service.helpers import CollectorProcess, child_env, wait_for  # noqa: E402

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")
AGENT = Path(__file__).with_name("agent.py")
EDITED_CALL = 25
EXPECTED_LIVE = 30 - EDITED_CALL


@dataclasses.dataclass
class Timing:
    wall_s: float
    program_s: float
    summary: str


def run(env: dict[str, str], directory: Path, *launcher_args: str) -> tuple[str, Timing]:
    """The agent under the launcher (a new run; `--replay RUN` among `launcher_args` for a replay)."""
    run_id = new_run_id()
    timing_file = directory / f"{run_id}.json"
    argv = [LAUNCHER, "--run-id", run_id, *launcher_args, sys.executable, str(AGENT), str(timing_file)]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=directory, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = next((line for line in done.stderr.splitlines() if line.startswith("ao: replay of")), "")
    program = json.loads(timing_file.read_text())["program_s"]
    return run_id, Timing(wall, program, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per LLM call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, FakeLLM() as fake:
        directory = Path(scratch)
        fake.on(lambda request: dataclasses.replace(default_reply(request), delay=args.latency))
        collector = CollectorProcess(directory / "data")
        try:
            collector.wait_ready()
            env = child_env(
                **fake.env(), OTEL_EXPORTER_OTLP_ENDPOINT=collector.http, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none", AO_API_URL=collector.api,
            )  # fmt: skip
            results: dict[str, list[Timing]] = {"live": [], "replay, no edit": [], f"replay, call {EDITED_CALL} edited": []}
            for _ in range(args.rounds):
                recorded, live = run(env, directory)
                results["live"].append(live)
                graph = wait_for(lambda: _graph(collector.api, recorded, 50), 60, what="the recorded run")
                _, cached = run(env, directory, "--replay", recorded)
                results["replay, no edit"].append(cached)
                calls = sorted(graph["nodes"], key=lambda node: node["start_time"])
                edited = calls[EDITED_CALL - 1]["id"]
                edit = {"text": "an edited answer"}
                requests.put(f"{collector.api}/api/v1/calls/{edited}/output", json=edit, timeout=10).raise_for_status()
                _, after_edit = run(env, directory, "--replay", recorded)
                results[f"replay, call {EDITED_CALL} edited"].append(after_edit)
        finally:
            collector.terminate()
    report(results, args)


def _graph(api: str, run_id: str, calls: int) -> dict | None:
    answer = requests.get(f"{api}/api/v1/runs/{run_id}/graph", timeout=10)
    graph = answer.json() if answer.status_code == 200 else {}
    return graph if len(graph.get("nodes", [])) == calls else None


def report(results: dict[str, list[Timing]], args: argparse.Namespace) -> None:
    live_wall = statistics.median(t.wall_s for t in results["live"])
    live_program = statistics.median(t.program_s for t in results["live"])
    print(f"50 calls, {args.latency * 1000:.0f} ms per call, {args.rounds} rounds (medians)")
    print(f"{'':28} {'wall (s)':>9} {'x faster':>9} {'program (s)':>12} {'x faster':>9}")
    for name, timings in results.items():
        wall = statistics.median(t.wall_s for t in timings)
        program = statistics.median(t.program_s for t in timings)
        print(f"{name:28} {wall:9.3f} {live_wall / wall:9.1f} {program:12.3f} {live_program / program:9.1f}")
    for name, timings in results.items():
        if timings[-1].summary:
            print(f"{name}: {timings[-1].summary}")
    print(f"expected after the edit: {EXPECTED_LIVE} calls new (the chain after call {EDITED_CALL}), 1 edited, 44 cached")


if __name__ == "__main__":
    main()
