"""The content-matching rule, on its own."""

from __future__ import annotations

import json

from span_builders import messages, output

from ao_collector.model import CallText, infer_content_edges
from ao_collector.model.content_edges import MIN_FRAGMENT_CHARS, input_segments, output_fragments


def call(span: str, start: int, prompt: str = "", answer: str = "", trace: str = "t1") -> CallText:
    return CallText("run", trace, span, start, start + 5, messages(("user", prompt)) if prompt else "", output(answer) if answer else "")


def test_fragments_are_whole_parts_and_long_lines() -> None:
    text = "Short line\nThis line is long enough to be distinctive.\nyes"
    assert output_fragments(output(text)) == ["Short line This line is long enough to be distinctive. yes", "This line is long enough to be distinctive."]
    assert output_fragments(output("yes")) == []
    assert output_fragments(output("x" * (MIN_FRAGMENT_CHARS - 1))) == []
    tool = json.dumps([{"role": "assistant", "parts": [{"type": "tool_call", "name": "f", "arguments": {"query": "quarterly revenue in Europe"}}]}])
    assert output_fragments(tool) == ['{"query": "quarterly revenue in Europe"}']


def test_segments_name_their_part() -> None:
    assert input_segments(messages(("system", "be  brief"), ("user", "a\n b"))) == [("messages[0].parts[0]", "be brief"), ("messages[1].parts[0]", "a b")]
    assert input_segments("not json") == []


def test_edges_need_an_earlier_call_of_the_same_trace() -> None:
    answer = "The meeting is moved to Thursday at noon."
    source = call("a", 0, answer=answer)
    later = call("b", 100, prompt=f"Reminder: {answer}")
    earlier = call("c", -100, prompt=f"Reminder: {answer}")
    other_trace = call("d", 100, prompt=f"Reminder: {answer}", trace="t2")
    edges = infer_content_edges([later, earlier, other_trace], [source])
    assert [(e.source_span_id, e.target_span_id, e.path) for e in edges] == [("a", "b", "messages[0].parts[0]")]


def test_common_short_answers_make_no_edge() -> None:
    sources = [call("a", 0, answer="yes"), call("b", 10, answer="42"), call("c", 20, answer="The answer is no.")]
    assert infer_content_edges([call("z", 100, prompt="yes 42 The answer is no.")], sources) == []
