"""Dataflow edges inferred by content, for LLM calls whose instrumentation records no ao links.

Rule: A → B (`via = "content"`) when, in the same trace, A ended before B started and a distinctive
fragment of A's output text occurs in one of B's input message parts. Fragments are the text of each
output part (text, tool-call arguments) and each of its lines, with whitespace runs collapsed to one space
(inputs are compared the same way), kept when at least MIN_FRAGMENT_CHARS characters long: short, common
answers ("yes", "42", "The answer is no.") make no edge. The edge's path names the input part,
`messages[i].parts[j]`. Each target is compared with its MAX_SOURCES latest earlier calls.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, NamedTuple

MIN_FRAGMENT_CHARS = 24
MAX_SOURCES = 200
MAX_FRAGMENTS = 32


class CallText(NamedTuple):
    """What content matching needs of one call (times in Unix nanoseconds, messages as GenAI JSON)."""

    run_id: str
    trace_id: str
    span_id: str
    start: int
    end: int
    input_messages: str
    output_messages: str


class ContentEdge(NamedTuple):
    """An inferred edge source → target, under the target's run."""

    run_id: str
    source_trace_id: str
    source_span_id: str
    target_trace_id: str
    target_span_id: str
    path: str
    timestamp: int


def infer_content_edges(targets: Iterable[CallText], sources: Iterable[CallText]) -> list[ContentEdge]:
    """The content edges into each of `targets` from `sources` (which may include the targets)."""
    by_trace: dict[str, list[CallText]] = {}
    seen: set[str] = set()
    for source in sources:
        if source.output_messages and source.span_id not in seen:
            seen.add(source.span_id)
            by_trace.setdefault(source.trace_id, []).append(source)
    for calls in by_trace.values():
        calls.sort(key=lambda call: call.end)
    fragments: dict[str, list[str]] = {}
    edges: list[ContentEdge] = []
    for target in targets:
        earlier = [c for c in by_trace.get(target.trace_id, ()) if c.end <= target.start and c.span_id != target.span_id]
        if not earlier:
            continue
        segments = input_segments(target.input_messages)
        if not segments:
            continue
        for source in earlier[-MAX_SOURCES:]:
            source_fragments = fragments.get(source.span_id)
            if source_fragments is None:
                source_fragments = fragments[source.span_id] = output_fragments(source.output_messages)
            for path, text in segments:
                if any(fragment in text for fragment in source_fragments):
                    edges.append(
                        ContentEdge(target.run_id, source.trace_id, source.span_id, target.trace_id, target.span_id, path,
                                    target.start)
                    )
    return edges


def output_fragments(output_messages: str) -> list[str]:
    """The distinctive fragments of an output (longest first, at most MAX_FRAGMENTS)."""
    found: set[str] = set()
    for _, _, text in _part_texts(output_messages):
        for candidate in (text, *text.splitlines()):
            fragment = _normalise(candidate)
            if len(fragment) >= MIN_FRAGMENT_CHARS:
                found.add(fragment)
    return sorted(found, key=len, reverse=True)[:MAX_FRAGMENTS]


def input_segments(input_messages: str) -> list[tuple[str, str]]:
    """(path, normalised text) of each input message part."""
    return [(f"messages[{i}].parts[{j}]", _normalise(text)) for i, j, text in _part_texts(input_messages) if text]


def _part_texts(messages_json: str) -> list[tuple[int, int, str]]:
    """(message index, part index, text) of each part of GenAI messages JSON; tool-call arguments as JSON."""
    if not messages_json:
        return []
    try:
        messages = json.loads(messages_json)
    except ValueError:
        return []
    result: list[tuple[int, int, str]] = []
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        parts = message.get("parts") if isinstance(message, dict) else None
        for j, part in enumerate(parts if isinstance(parts, list) else []):
            if isinstance(part, dict):
                text = _part_text(part)
                if text:
                    result.append((i, j, text))
    return result


def _part_text(part: dict[str, Any]) -> str:
    for key in ("content", "arguments", "response", "result"):
        value = part.get(key)
        if isinstance(value, str):
            return value
        if value is not None:
            return json.dumps(value, ensure_ascii=False)
    return ""


def _normalise(text: str) -> str:
    return " ".join(text.split())
