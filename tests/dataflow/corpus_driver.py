"""Run corpus programs one after another in this process (started by `ao-instrument`), each in its own
run against an in-process fake LLM server, and write the dataflow edges of each as JSON lines.

    ao-instrument python tests/dataflow/corpus_driver.py PROGRAMS.json RESULTS.jsonl

PROGRAMS.json lists `{"name", "path", "replies"}`; every program is compiled by the import hook's
loader (rewritten, as `ao-instrument` runs an entry script) and executed as `__main__`.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples"))

import ao_instrument  # noqa: E402
from ao_instrument.dataflow import import_hook  # noqa: E402
from fake_llm import FakeLLM  # noqa: E402
from fake_llm.replies import rule_from_spec  # noqa: E402


class Collect(SpanProcessor):
    """Keeps the LLM call spans that end while a program runs."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self.lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        if span.attributes and "gen_ai.operation.name" in span.attributes:
            with self.lock:
                self.spans.append(span)


def edges(spans: list[ReadableSpan]) -> list[list[str]]:
    model = {s.context.span_id: str(s.attributes.get("gen_ai.request.model")) for s in spans}
    found = set()
    for span in spans:
        for link in span.links:
            if (link.attributes or {}).get("ao.link.type") == "dataflow":
                via = str(link.attributes.get("ao.dataflow.via"))
                found.add((model.get(link.context.span_id, "?"), model[span.context.span_id], via))
    return [list(e) for e in sorted(found)]


def run_program(spec: dict[str, Any], fake: FakeLLM, collect: Collect) -> dict[str, Any]:
    fake.reset()
    for model, reply in spec["replies"].items():
        fake.on(rule_from_spec({"match": "", "model": model, **(reply if isinstance(reply, dict) else {"text": reply})}))
    collect.spans = []
    error = ""
    path = spec["path"]
    namespace = {"__name__": "__main__", "__file__": path, "__builtins__": builtins}
    try:
        with ao_instrument.run(f"corpus {spec['name']}"):
            exec(import_hook.load_code(path), namespace)
    except BaseException:  # noqa: BLE001 - a failing program is a result, not the end of the corpus
        error = traceback.format_exc()
    return {"name": spec["name"], "edges": edges(collect.spans), "error": error}


def main(programs_path: str, results_path: str) -> None:
    specs = json.loads(Path(programs_path).read_text())
    collect = Collect()
    trace.get_tracer_provider().add_span_processor(collect)  # type: ignore[attr-defined]
    with FakeLLM() as fake, open(results_path, "w") as out:
        os.environ.update(fake.env())
        for spec in specs:
            sys.path.insert(0, str(Path(spec["path"]).parent))
            out.write(json.dumps(run_program(spec, fake, collect)) + "\n")
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
