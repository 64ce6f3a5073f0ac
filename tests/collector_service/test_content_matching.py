"""Content matching in a running collector: after the batches it writes, and on its own for spans that
another writer inserted into the store."""

from __future__ import annotations

import uuid

import requests

from tests.collector_service.conftest import Running
from tests.collector_service.helpers import wait_for
from tests.collector_store.span_builders import MS, T0, openinference_call, openllmetry_call, request, span_id, trace_id

ANSWER = "Step 1: gather the quarterly revenue figures for Europe."


def _content_edges(collector: Running, trace: bytes) -> set[tuple[str, str]]:
    rows = collector.store.query(
        "SELECT SourceSpanId, TargetSpanId FROM ao.ao_dataflow_edges WHERE RunId = {r:String} AND Via = 'content'",
        {"r": trace.hex()},
    )
    return {(row["SourceSpanId"], row["TargetSpanId"]) for row in rows}


def _post(collector: Running, spans: list) -> None:
    answer = requests.post(f"{collector.http}/v1/traces", data=request(spans).SerializeToString(),
                           headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert answer.status_code == 200, answer.text


def test_edges_of_batches_received_across_requests(collector: Running) -> None:
    trace, plan, follow = trace_id(), span_id(), span_id()
    _post(collector, [openllmetry_call(trace, plan, start=T0, prompt="Make a plan.", answer=ANSWER)])
    _post(collector, [openinference_call(trace, follow, start=T0 + 100 * MS, prompt=f"Follow this plan: {ANSWER}",
                                         answer="done")])
    assert wait_for(lambda: _content_edges(collector, trace) == {(plan.hex(), follow.hex())}, what="the content edge")


def test_spans_inserted_by_another_writer_are_matched_too(collector: Running) -> None:
    """Written straight into the store (as the OpenTelemetry Collector's ClickHouse exporter would): no batch
    of the collector wakes the matching, its periodic pass finds them."""
    trace, plan, follow = trace_id(), span_id(), span_id()
    collector.store.store.write([request([
        openllmetry_call(trace, plan, start=T0, prompt="Make a plan.", answer=ANSWER),
        openllmetry_call(trace, follow, start=T0 + 100 * MS, prompt=f"Now do it: {ANSWER}", answer="ok"),
    ])], uuid.uuid4().hex)
    assert wait_for(lambda: _content_edges(collector, trace) == {(plan.hex(), follow.hex())}, timeout=20,
                    what="the content edge from the periodic pass")
