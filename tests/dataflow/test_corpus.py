"""The dataflow corpus (item 7): every program gives exactly its expected edges, under `ao-instrument`."""

from __future__ import annotations

from tests.dataflow import harness


def test_every_corpus_program_gives_exactly_its_edges() -> None:
    selected = harness.programs()
    outcomes = harness.run_together(selected)
    report = harness.report(outcomes)
    print(report)
    assert len(selected) >= 30
    assert all(o.exact for o in outcomes), report + "".join(f"\n--- {o.program.name}\n{o.error}" for o in outcomes if o.error)


def test_programs_run_alone_export_their_links_over_otlp() -> None:
    """The launcher's own path: entry script rewritten by the bootstrap, links exported as OTLP."""
    outcomes = harness.run_isolated(harness.programs(["chat_loop", "tool_call_loop", "file_roundtrip"]))
    assert all(o.exact for o in outcomes), harness.report(outcomes) + "".join(o.error for o in outcomes)
    chat = next(o for o in outcomes if o.program.name == "chat_loop")
    calls = {s.attributes["gen_ai.request.model"]: s for s in chat.spans if "gen_ai.operation.name" in s.attributes}
    c = calls["C"]
    links = {calls_id: attrs for calls_id, attrs in c.links}
    assert {attrs["ao.dataflow.path"] for attrs in links.values()} == {"messages[2].content", "messages[4].content"}
    assert sorted(c.attributes["ao.taint.origins"]) == sorted([calls["A"].span_id, calls["B"].span_id])
    assert all(a["ao.link.type"] == "dataflow" and a["ao.dataflow.via"] == "taint" for a in links.values())
    content = next(o for o in outcomes if o.program.name == "file_roundtrip")
    b = next(s for s in content.spans if s.attributes.get("gen_ai.request.model") == "B")
    assert [a["ao.dataflow.via"] for _, a in b.links] == ["content"]
    assert [a["ao.dataflow.path"] for _, a in b.links] == ["messages[0].content"]


def test_taint_off_means_no_rewriting_and_no_links() -> None:
    (outcome,) = harness.run_isolated(harness.programs(["chat_loop"]), AO_TAINT="off")
    assert not outcome.error and outcome.edges == set()
    assert not any("ao.taint.origins" in s.attributes for s in outcome.spans)
