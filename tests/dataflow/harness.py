"""The dataflow corpus harness: run each program of `corpus/` under `ao-instrument` against the fake
LLM server, read the span links it exports, and score them against the edges the program expects.

    python -m tests.dataflow.harness [--dir DIR] [--isolated [-j 2]] [name ...]

By default all programs run in one `ao-instrument` process (`corpus_driver.py`), each in its own run;
`--isolated` gives each program its own `ao-instrument python program.py`, exporting OTLP to a sink.

A program names its calls by model (`model="A"`) and says in its docstring what it expects:

    expect: A->B B~>C        (-> a link via taint, ~> via content; `expect: none` for no edge)
    reply A: some text       (or a fake_llm reply spec in JSON, e.g. {"tool_call": {...}})
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")
for path in (str(REPO / "examples"), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

from fake_llm import FakeLLM  # noqa: E402
from fake_llm.replies import rule_from_spec  # noqa: E402

from tests.support.otlp_sink import OTLPSink, ReceivedSpan  # noqa: E402

Edge = tuple[str, str, str]  # source model, target model, via


@dataclass
class Program:
    name: str
    path: Path
    expected: set[Edge]
    replies: dict[str, object]


@dataclass
class Outcome:
    program: Program
    edges: set[Edge] = field(default_factory=set)
    error: str = ""
    spans: list[ReceivedSpan] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.error and self.edges == self.program.expected


def parse_edges(spec: str) -> set[Edge]:
    edges: set[Edge] = set()
    for item in spec.replace(",", " ").split():
        if item == "none":
            continue
        via, arrow = ("content", "~>") if "~>" in item else ("taint", "->")
        source, target = item.split(arrow)
        edges.add((source, target, via))
    return edges


def load(path: Path) -> Program:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    expected: set[Edge] | None = None
    replies: dict[str, object] = {}
    for line in doc.splitlines():
        line = line.strip()
        if line.startswith("expect:"):
            expected = parse_edges(line[len("expect:") :])
        elif line.startswith("reply "):
            model, _, spec = line[len("reply ") :].partition(":")
            spec = spec.strip()
            replies[model.strip()] = json.loads(spec) if spec.startswith("{") else spec
    if expected is None:
        raise ValueError(f"{path.name}: no 'expect:' line in the docstring")
    return Program(path.stem, path, expected, replies)


def programs(names: Iterable[str] = (), directory: Path = CORPUS) -> list[Program]:
    """The programs of `directory` (files starting with `_` are helper modules), or only those named."""
    wanted = set(names)
    found = [load(p) for p in sorted(Path(directory).glob("*.py")) if not p.name.startswith("_")]
    return [p for p in found if not wanted or p.name in wanted]


def edges_of(spans: list[ReceivedSpan]) -> set[Edge]:
    calls = {s.span_id: s for s in spans if "gen_ai.operation.name" in s.attributes}
    edges: set[Edge] = set()
    for span in calls.values():
        for span_id, attrs in span.links:
            if attrs.get("ao.link.type") != "dataflow":
                continue
            source = calls.get(span_id)
            name = source.attributes.get("gen_ai.request.model", "?") if source else "?"
            edges.add((str(name), str(span.attributes.get("gen_ai.request.model")), str(attrs.get("ao.dataflow.via"))))
    return edges


def run(program: Program, sink: OTLPSink, timeout: float = 90.0, **extra_env: str) -> Outcome:
    service = f"corpus.{program.name}.{len(extra_env)}"
    with FakeLLM() as fake:
        for model, spec in program.replies.items():
            fake.on(rule_from_spec({"match": "", "model": model, **(spec if isinstance(spec, dict) else {"text": spec})}))
        env = {
            **os.environ, **fake.env(), "OTEL_SERVICE_NAME": service,
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", **extra_env,
        }  # fmt: skip
        try:
            done = subprocess.run(
                [LAUNCHER, sys.executable, program.path.name], cwd=program.path.parent, env=env,
                capture_output=True, text=True, timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return Outcome(program, error="timed out")
    if done.returncode != 0:
        return Outcome(program, error=f"exit {done.returncode}: {done.stderr.strip()[-2000:]}")
    mine = lambda spans: [s for s in spans if s.resource.get("service.name") == service]  # noqa: E731
    try:
        spans = sink.wait_for(lambda spans: any(s.name.startswith("ao.run") for s in mine(spans)), 15)
    except AssertionError:
        return Outcome(program, error="no run span exported")
    time.sleep(0.2)
    spans = mine(sink.spans)
    return Outcome(program, edges_of(spans), spans=spans)


def run_isolated(selected: list[Program], jobs: int = 2, **extra_env: str) -> list[Outcome]:
    """Each program in its own `ao-instrument` process, links read from the exported OTLP."""
    sink = OTLPSink().start()
    try:
        with ThreadPoolExecutor(jobs) as pool:
            return list(pool.map(lambda p: run(p, sink, **extra_env), selected))
    finally:
        sink.stop()


def run_together(selected: list[Program], timeout: float = 600.0) -> list[Outcome]:
    """All programs in one `ao-instrument` process (see `corpus_driver.py`)."""
    with tempfile.TemporaryDirectory() as tmp:
        specs, results = Path(tmp) / "programs.json", Path(tmp) / "results.jsonl"
        specs.write_text(json.dumps([{"name": p.name, "path": str(p.path), "replies": p.replies} for p in selected]))
        env = {**os.environ, "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
        done = subprocess.run(
            [LAUNCHER, sys.executable, str(Path(__file__).with_name("corpus_driver.py")), str(specs), str(results)],
            env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        lines = results.read_text().splitlines() if results.exists() else []
    got = {r["name"]: r for r in map(json.loads, lines)}
    outcomes = []
    for program in selected:
        result = got.get(program.name)
        if result is None:
            outcomes.append(Outcome(program, error=f"not run (driver exit {done.returncode}): {done.stderr[-2000:]}"))
            continue
        outcomes.append(Outcome(program, {tuple(e) for e in result["edges"]}, result["error"]))  # type: ignore[misc]
    return outcomes


def show(edges: set[Edge]) -> str:
    return " ".join(sorted(f"{s}{'~>' if v == 'content' else '->'}{t}" for s, t, v in edges)) or "none"


def report(outcomes: list[Outcome]) -> str:
    """Per-program results, then precision and recall over all expected edges."""
    lines = [f"{'program':34} {'expected':28} {'got':28} result"]
    tp = fp = fn = 0
    for o in outcomes:
        expected, got = o.program.expected, o.edges
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
        result = "ok" if o.exact else (o.error.splitlines()[-1][:80] if o.error else "MISMATCH")
        lines.append(f"{o.program.name:34} {show(expected):28} {show(got):28} {result}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    exact = sum(o.exact for o in outcomes)
    lines.append(
        f"precision {precision:.3f}  recall {recall:.3f}  (tp {tp}, fp {fp}, fn {fn}); "
        f"{exact}/{len(outcomes)} programs exact"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="programs to run (default: all)")
    parser.add_argument("--dir", type=Path, default=CORPUS, help="a directory of programs (default: the corpus)")
    parser.add_argument("--isolated", action="store_true", help="one ao-instrument process per program")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel processes with --isolated")
    args = parser.parse_args(argv)
    selected = programs(args.names, args.dir)
    outcomes = run_isolated(selected, args.jobs) if args.isolated else run_together(selected)
    print(report(outcomes))
    for o in outcomes:
        if o.error:
            print(f"\n--- {o.program.name}\n{o.error}")
    return 0 if all(o.exact for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
