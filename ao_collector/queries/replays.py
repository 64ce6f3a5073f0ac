"""What a replay did per call: edited (input/output) and the recorded call it was matched to
(`ao.call.edited`, `ao.call.original_span_id` on the call's span), and the diff against the recorded run."""

from __future__ import annotations

import json
from typing import Any

from ao_collector.model.stored_content import CallRef, call_contents
from ao_collector.store.base import Store

_MARKS = (
    "SELECT SpanId AS span_id, SpanAttributes['ao.call.edited'] AS edited, "
    "SpanAttributes['ao.call.original_span_id'] AS original_span_id FROM {db}.otel_traces "
    "WHERE Timestamp >= (SELECT min(Timestamp) FROM {db}.ao_llm_calls WHERE RunId = {{run:String}}) "
    "AND Timestamp <= (SELECT max(Timestamp) FROM {db}.ao_llm_calls WHERE RunId = {{run:String}}) "
    "AND SpanAttributes['ao.run.id'] = {{run:String}} "
    "AND (mapContains(SpanAttributes, 'ao.call.original_span_id') OR mapContains(SpanAttributes, 'ao.call.edited')) "
    "LIMIT 1 BY SpanId"
)
_CALLS = (
    "SELECT SpanId AS span_id, TraceId AS trace_id, toUnixTimestamp64Nano(Timestamp) AS start_ns, Cached AS cached "
    "FROM {db}.ao_llm_calls "
    "WHERE RunId = {{run:String}} OR SpanId IN {{originals:Array(String)}} ORDER BY Timestamp, SpanId LIMIT 1 BY SpanId"
)


def marks(store: Store, run_id: str) -> dict[str, dict[str, str | None]]:
    """Per span id of the run's replayed calls: `edited` ("input"/"output"/None), `original_span_id`."""
    rows = store.query(_MARKS.format(db=store.database), {"run": run_id})
    return {row["span_id"]: {"edited": row["edited"] or None, "original_span_id": row["original_span_id"] or None}
            for row in rows}


def mark_nodes(store: Store, run_id: str, nodes: bytes) -> bytes:
    """The graph's nodes (a JSON array) with `edited` and `original_span_id` filled in on a replay."""
    found = marks(store, run_id)
    if not found:
        return nodes
    decoded = json.loads(nodes)
    for node in decoded:
        node.update(found.get(node["id"], {}))
    return json.dumps(decoded, separators=(",", ":"), default=str).encode()


def diff(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    """`{"run_id", "replay_of", "calls": [{"span_id", "original_span_id", "status", "output_differs"}]}`:
    status "edited", "cached" (served from the recording), "live" (matched, sent live) or "new" (no match)."""
    found = marks(store, run["run_id"])
    originals = sorted({m["original_span_id"] for m in found.values() if m["original_span_id"]})
    rows = store.query(_CALLS.format(db=store.database), {"run": run["run_id"], "originals": originals})
    contents = call_contents(store, [CallRef(row["trace_id"], row["span_id"], int(row["start_ns"])) for row in rows])
    outputs = {span: content.output_messages for span, content in contents.items()}
    cached = {row["span_id"]: row["cached"] for row in rows}
    calls = []
    for call in run.get("calls", ()):
        span = call["id"]
        mark = found.get(span) or {"edited": None, "original_span_id": None}
        original = mark["original_span_id"]
        status = "edited" if mark["edited"] else "cached" if cached.get(span) else "live" if original else "new"
        calls.append({"span_id": span, "original_span_id": original, "status": status,
                      "output_differs": original is None or outputs.get(original) != outputs.get(span)})
    return {"run_id": run["run_id"], "replay_of": run.get("replay_of") or None, "calls": calls}
