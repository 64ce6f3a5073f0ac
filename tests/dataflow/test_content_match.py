"""Content matching: long outputs and long extracts are found; short, common or echoed text is not."""

from __future__ import annotations

from opentelemetry.trace import SpanContext

from ao_instrument.dataflow.tracker import Tracker

PLAN = (
    "The migration plan has three phases: inventory the services, move the stateless ones first, "
    "then cut over the databases during the weekend window, with a rollback rehearsal before each step."
)


def ctx(n: int) -> SpanContext:
    return SpanContext(trace_id=1, span_id=n, is_remote=False)


def content_links(tracker: Tracker, request: dict) -> list[tuple[int, str, str]]:
    return [
        (link.context.span_id, link.attributes["ao.dataflow.via"], link.attributes["ao.dataflow.path"])
        for link in tracker.request_links(request)
    ]


def call(tracker: Tracker, n: int, request: dict, output: str) -> None:
    """One call: its request seen, then its output labelled (as the instrumentors do)."""
    tracker.request_links(request)
    tracker.label_output(output, ctx(n))


def test_whole_output_and_long_extracts_are_found() -> None:
    tracker = Tracker()
    call(tracker, 1, {"messages": [{"content": "plan it"}]}, PLAN)
    plain = str(PLAN)  # a copy with no label, as after a file round trip
    assert content_links(tracker, {"messages": [{"content": "Review:\n" + plain.encode().decode()}]}) == [
        (1, "content", "messages[0].content")
    ]
    extract = "".join(plain[30:140])
    assert content_links(tracker, {"input": [f"only this: {extract}"]}) == [(1, "content", "input[0]")]
    reflowed = "\n".join("  ".join(line.split()) for line in [plain[:90], plain[90:]])
    assert content_links(tracker, {"input": reflowed}) == [(1, "content", "input")]


def test_short_and_common_outputs_are_never_matched() -> None:
    tracker = Tracker()
    for n, out in enumerate(["yes", "42", "Paris", "The answer is 42.", "OK, done."], start=1):
        call(tracker, n, {"messages": [{"content": "q"}]}, out)
    request = {"messages": [{"content": "yes, 42 times: is Paris right? The answer is 42. OK, done. " * 3}]}
    assert content_links(tracker, request) == []


def test_short_extracts_of_long_outputs_are_not_matched() -> None:
    tracker = Tracker()
    call(tracker, 1, {"messages": [{"content": "plan it"}]}, PLAN)
    assert content_links(tracker, {"input": "Remember: inventory the services first."}) == []


def test_an_output_echoing_its_own_input_is_not_matched_by_the_echo() -> None:
    tracker = Tracker()
    document = "Quarterly revenue grew by eleven percent, driven by subscriptions in the northern region."
    call(tracker, 1, {"messages": [{"content": f"Summarize: {document}"}]}, f"Summary: {document}")
    assert content_links(tracker, {"messages": [{"content": f"Translate: {document}"}]}) == []


def test_labelled_text_and_linked_origins_are_not_scanned_again() -> None:
    tracker = Tracker()
    call(tracker, 1, {"messages": [{"content": "plan it"}]}, PLAN)
    labelled = tracker.label_output(PLAN, ctx(1))
    assert content_links(tracker, {"input": [labelled, str(PLAN).encode().decode()]}) == [(1, "taint", "input[0]")]


def test_content_matching_can_be_switched_off() -> None:
    tracker = Tracker(content_matching=False)
    call(tracker, 1, {"messages": [{"content": "plan it"}]}, PLAN)
    assert content_links(tracker, {"input": PLAN.encode().decode()}) == []
