"""Poison requests: refused at receive time as the store would refuse them; at write time a batch the store
refuses is split down to the request that fails, which alone is moved aside, and the rest is written."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import grpc
import pytest
import requests
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ao_collector.pipeline.spool import Spool
from ao_collector.pipeline.writer import Pipeline
from tests.collector_service.conftest import Running
from tests.collector_service.helpers import llm_request, wait_for
from tests.collector_service.poison import POISON, delimited, poisoned, tag, varint

PROTOBUF = {"Content-Type": "application/x-protobuf"}
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _good() -> tuple[bytes, str]:
    request = llm_request(uuid.uuid4().hex, calls=2)
    return request.SerializeToString(), request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()


def _post(collector: Running, body: bytes) -> requests.Response:
    return requests.post(collector.http + "/v1/traces", data=body, headers=PROTOBUF, timeout=10)


@pytest.mark.parametrize("kind", sorted(POISON))
def test_poison_over_http_is_400_and_good_requests_around_it_are_stored(collector: Running, kind: str) -> None:
    before, after = _good(), _good()
    body, poison_trace = poisoned(kind)
    assert _post(collector, before[0]).status_code == 200
    answer = _post(collector, body)
    assert answer.status_code == 400
    assert "the store cannot decode this request" in status_pb2.Status.FromString(answer.content).message
    assert _post(collector, after[0]).status_code == 200
    for _body, trace in (before, after):
        assert wait_for(lambda: collector.rows(trace) == (3, 3), what=f"good spans around {kind} poison")
    assert collector.rows(poison_trace) == (0, 0)
    assert collector.service.pipeline.stats.rejected_requests == 0


@pytest.mark.parametrize("kind", sorted(POISON))
def test_poison_over_grpc_is_invalid_argument_and_good_requests_around_it_are_stored(collector: Running, kind: str) -> None:
    before, after = _good(), _good()
    body, poison_trace = poisoned(kind)
    with grpc.insecure_channel(collector.grpc) as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None,
                                     response_deserializer=ExportTraceServiceResponse.FromString)
        export(before[0], timeout=10)
        with pytest.raises(grpc.RpcError) as caught:
            export(body, timeout=10)
        export(after[0], timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "the store cannot decode this request" in caught.value.details()
    for _body, trace in (before, after):
        assert wait_for(lambda: collector.rows(trace) == (3, 3), what=f"good spans around {kind} poison")
    assert collector.rows(poison_trace) == (0, 0)


def test_non_canonical_but_decodable_request_is_accepted(collector: Running) -> None:
    """Bytes protobuf would write otherwise (an unknown field, a repeated name) but ClickHouse reads: stored."""
    request = llm_request(uuid.uuid4().hex, calls=0)
    span = request.resource_spans[0].scope_spans[0].spans[0]
    trace = span.trace_id.hex()
    extra = delimited(5, b"renamed") + tag(200, 0) + varint(7)
    spans = delimited(2, span.SerializeToString() + extra)
    scope = delimited(1, request.resource_spans[0].scope_spans[0].scope.SerializeToString()) + spans
    body = delimited(1, delimited(2, scope))
    assert _post(collector, body).status_code == 200
    assert wait_for(lambda: collector.rows(trace) == (1, 1), what="the non-canonical span")
    name = collector.store.query("SELECT SpanName FROM ao.otel_traces WHERE TraceId = {t:String}", {"t": trace})
    assert name[0]["SpanName"] == "renamed"


def test_batch_with_poison_is_split_and_only_the_poison_is_quarantined(collector: Running, tmp_path: Path) -> None:
    """Poison that got past the receivers (written to the spool directly) among good requests in one batch."""
    spool = Spool(tmp_path / "spool", fsync=False)
    goods = [_good() for _ in range(6)]
    bodies = [body for body, _trace in goods]
    poison_body, poison_trace = poisoned("oneof")
    bodies.insert(2, poison_body)
    second_poison, second_trace = poisoned("wire_type")
    bodies.insert(5, second_poison)
    for body in bodies:
        spool.append(body, 3 if body not in (poison_body, second_poison) else 2)
    pipeline = Pipeline(collector.store, spool, linger=0.0)
    started = time.monotonic()
    pipeline.start()
    assert pipeline.close(timeout=30)
    elapsed = time.monotonic() - started
    spool.close()
    for _body, trace in goods:
        assert collector.rows(trace) == (3, 3)
    assert collector.rows(poison_trace) == (0, 0) and collector.rows(second_trace) == (0, 0)
    assert elapsed < 10, f"isolating took {elapsed:.1f}s"
    stats = pipeline.stats
    assert (stats.written_spans, stats.rejected_requests, stats.rejected_spans, stats.rejected_batches) == (18, 2, 4, 0)
    assert pipeline.store_ok
    rejected = sorted(p.name for p in (tmp_path / "spool" / "rejected").iterdir())
    assert len(rejected) == 4  # two requests, each with its reason
    for index in (2, 5):
        [kept] = [p for p in (tmp_path / "spool" / "rejected").glob(f"*-{index:05d}.otlp")]
        assert kept.read_bytes() == bodies[index]
        reason = kept.with_name(kept.name + ".reason").read_text()
        assert "Code:" in reason
    assert "OneOf" in next((tmp_path / "spool" / "rejected").glob("*-00002.otlp.reason")).read_text()
    assert not list((tmp_path / "spool").glob("*.spool"))


def test_a_batch_failing_whole_is_retried_then_moved_aside_with_its_reason(collector: Running, tmp_path: Path) -> None:
    """Every request fails (the store, not the data, is at fault): no request-by-request quarantine."""
    spool = Spool(tmp_path / "spool", fsync=False)
    body, poison_trace = poisoned("group")
    spool.append(body, 2)
    pipeline = Pipeline(collector.store, spool, linger=0.0, retry_initial=0.01, retry_max=0.02, max_attempts_on_error=3)
    pipeline.start()
    assert pipeline.close(timeout=30)
    spool.close()
    assert (pipeline.stats.rejected_batches, pipeline.stats.rejected_requests) == (1, 0)
    [segment] = (tmp_path / "spool" / "rejected").glob("*.spool")
    assert "Code: 444" in segment.with_name(segment.name + ".reason").read_text()
    assert collector.rows(poison_trace) == (0, 0)
