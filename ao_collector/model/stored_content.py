"""Calls' full content, read from `otel_traces`: content is stored once, there (`ao_llm_calls` keeps previews).

Content recorded in the GenAI attributes is returned as it is; content recorded as indexed attributes
(older OpenLLMetry, OpenInference) is turned into GenAI message JSON as it is read (`indexed_content`).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, Sequence

from ao_collector.model.indexed_content import indexed_content


class Reader(Protocol):
    """What reading content needs of a store."""

    database: str

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read query."""


class CallRef(NamedTuple):
    """Where a call's span is: its trace, its span id and its start (ns since the epoch)."""

    trace_id: str
    span_id: str
    start_ns: int


class CallContent(NamedTuple):
    """A call's content as GenAI JSON text ('' when absent)."""

    input_messages: str
    output_messages: str
    system_instructions: str
    tool_definitions: str


# The start bounds the read to the partitions and key range of the calls' spans.
_CONTENT = (
    "SELECT SpanId AS span_id, SpanAttributes['gen_ai.input.messages'] AS input, "
    "SpanAttributes['gen_ai.output.messages'] AS output, SpanAttributes['gen_ai.system_instructions'] AS system, "
    "SpanAttributes['gen_ai.tool.definitions'] AS tools, if(input = '' AND output = '', SpanAttributes, map()) AS indexed "
    "FROM {db}.otel_traces WHERE TraceId IN {{traces:Array(String)}} AND SpanId IN {{spans:Array(String)}} "
    "AND Timestamp BETWEEN fromUnixTimestamp64Nano({{first:Int64}}) AND fromUnixTimestamp64Nano({{last:Int64}}) "
    "LIMIT 1 BY SpanId"
)


def call_contents(store: Reader, calls: Sequence[CallRef]) -> dict[str, CallContent]:
    """The content of `calls` by span id (calls whose span is not stored are left out)."""
    if not calls:
        return {}
    rows = store.query(_CONTENT.format(db=store.database), {
        "traces": sorted({call.trace_id for call in calls}), "spans": sorted({call.span_id for call in calls}),
        "first": min(call.start_ns for call in calls), "last": max(call.start_ns for call in calls),
    })  # fmt: skip
    found = {}
    for row in rows:
        if row["indexed"]:
            content = indexed_content(dict(row["indexed"]))
            tools = row["tools"] or content.tool_definitions
            found[row["span_id"]] = CallContent(content.input_messages, content.output_messages, row["system"], tools)
        else:
            found[row["span_id"]] = CallContent(row["input"], row["output"], row["system"], row["tools"])
    return found
