"""The framework corpus (issue 13): programs on LangChain, the OpenAI Agents SDK and pydantic-ai give
exactly their expected edges under `ao-instrument`, against the fake LLM server."""

from __future__ import annotations

from pathlib import Path

from tests.dataflow import harness

FRAMEWORKS = Path(__file__).resolve().parent / "frameworks"


def test_every_framework_program_gives_exactly_its_edges() -> None:
    selected = harness.programs(directory=FRAMEWORKS)
    outcomes = harness.run_together(selected)
    report = harness.report(outcomes)
    print(report)
    assert len(selected) >= 20
    assert {p.name.split("_")[0] for p in selected} >= {"lc", "agents", "pydantic"}
    assert all(o.exact for o in outcomes), report + "".join(f"\n--- {o.program.name}\n{o.error}" for o in outcomes if o.error)
