"""OTLP ingest end to end: real exporters and raw requests over 127.0.0.1 into the real chDB store."""

from __future__ import annotations

import base64
import gzip
import os
import threading
import time
import uuid
import zlib

import grpc
import pytest
import requests
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from ao_collector.pipeline.spool import Spool
from ao_collector.pipeline.writer import Pipeline
from tests.collector_service.conftest import Running
from tests.collector_service.helpers import llm_request, wait_for

PROTOBUF = {"Content-Type": "application/x-protobuf"}
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _export_with_sdk(exporter: SpanExporter, run_id: str, calls: int = 3) -> str:
    """Emit a run's spans through the SDK and the given real exporter; return the trace id (hex)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "sdk-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("ao.run sdk", attributes={"ao.run.id": run_id}) as root:
        for i in range(calls):
            with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "ao.run.id": run_id,
                "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 2,
            }):
                pass
        trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


def test_grpc_exporter_with_gzip_spans_become_rows(collector: Running) -> None:
    run_id = uuid.uuid4().hex
    exporter = GrpcExporter(endpoint=collector.grpc, insecure=True, compression=grpc.Compression.Gzip)
    trace_id = _export_with_sdk(exporter, run_id)
    assert wait_for(lambda: collector.rows(trace_id) == (4, 4), what="4 rows")
    calls = "SELECT count() AS n FROM ao.ao_llm_calls WHERE RunId = {r:String}"
    assert wait_for(lambda: collector.store.query(calls, {"r": run_id})[0]["n"] == 3, what="3 LLM calls")


def test_http_protobuf_exporter_with_gzip(collector: Running) -> None:
    run_id = uuid.uuid4().hex
    exporter = HttpExporter(endpoint=collector.http + "/v1/traces", compression=Compression.Gzip)
    trace_id = _export_with_sdk(exporter, run_id, calls=2)
    assert wait_for(lambda: collector.rows(trace_id) == (3, 3), what="3 rows")


def _otlp_json(request: ExportTraceServiceRequest) -> dict:
    """The OTLP/JSON encoding: camelCase and hex ids (protobuf's own JSON mapping would give base64)."""
    document = json_format.MessageToDict(request)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for item in [span, *span.get("links", [])]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in item:
                            item[key] = base64.b64decode(item[key]).hex()
    return document


def test_http_json_with_hex_ids(collector: Running) -> None:
    request = llm_request(uuid.uuid4().hex, calls=2)
    document = _otlp_json(request)
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["kind"] = 3  # enums may be integers
    document["unknownField"] = {"ignored": True}
    answer = requests.post(collector.http + "/v1/traces", json=document, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == {}
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert wait_for(lambda: collector.rows(trace_id) == (3, 3), what="3 rows")
    span_id = request.resource_spans[0].scope_spans[0].spans[1].span_id.hex()
    stored = collector.store.query(
        "SELECT SpanId, SpanKind FROM ao.otel_traces WHERE TraceId = {t:String} AND SpanId = {s:String}",
        {"t": trace_id, "s": span_id},
    )
    assert len(stored) == 1


def test_raw_gzip_protobuf_and_deflate(collector: Running) -> None:
    for encoding, compress in (("gzip", gzip.compress), ("deflate", zlib.compress)):
        request = llm_request(uuid.uuid4().hex, calls=1)
        answer = requests.post(
            collector.http + "/v1/traces", data=compress(request.SerializeToString()),
            headers={**PROTOBUF, "Content-Encoding": encoding}, timeout=10,
        )
        assert answer.status_code == 200, answer.content
        assert answer.headers["content-type"] == "application/x-protobuf"
        assert not ExportTraceServiceResponse.FromString(answer.content).HasField("partial_success")
        trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
        assert wait_for(lambda: collector.rows(trace_id) == (2, 2), what=f"{encoding} rows")


def _with_bad_spans(run_id: str) -> ExportTraceServiceRequest:
    request = llm_request(run_id, calls=3)
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[1].trace_id = b"\x01" * 8  # wrong length
    spans[2].span_id = bytes(8)  # all zero
    return request


def test_partial_success_http_protobuf_json_and_grpc(collector: Running) -> None:
    request = _with_bad_spans(uuid.uuid4().hex)
    answer = requests.post(collector.http + "/v1/traces", data=request.SerializeToString(), headers=PROTOBUF, timeout=10)
    assert answer.status_code == 200
    partial = ExportTraceServiceResponse.FromString(answer.content).partial_success
    assert partial.rejected_spans == 2
    assert "trace_id" in partial.error_message and "span_id" in partial.error_message
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert wait_for(lambda: collector.rows(trace_id) == (2, 2), what="the 2 valid spans")

    document = _otlp_json(llm_request(uuid.uuid4().hex, calls=1))
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = "not-hex"
    answer = requests.post(collector.http + "/v1/traces", json=document, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "1"

    with grpc.insecure_channel(collector.grpc) as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None,
                                     response_deserializer=ExportTraceServiceResponse.FromString)
        response = export(_with_bad_spans(uuid.uuid4().hex).SerializeToString(), timeout=10)
    assert response.partial_success.rejected_spans == 2


def _nested_value(depth: int) -> bytes:
    """An OTLP/JSON request whose one attribute value is an array nested `depth` deep."""
    ids = f'"traceId": "{os.urandom(16).hex()}", "spanId": "{os.urandom(8).hex()}"'.encode()
    value = b'{"arrayValue": {"values": [' * depth + b'{"stringValue": "x"}' + b"]}}" * depth
    return (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{' + ids + b', "name": "n", "attributes": [{"key": "k", "value": '
            + value + b"}]}]}]}]}")


@pytest.mark.parametrize(
    ("body", "headers", "status", "needle"),
    [
        (b'{"resourceSpans": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {"Content-Type": "application/json"}, 400,
         "nested too deeply"),
        (_nested_value(10_000), {"Content-Type": "application/json"}, 400, "nested too deeply"),
        (_nested_value(60), {"Content-Type": "application/json"}, 400, "invalid OTLP/JSON"),
        (b"\xff\xff\xff\xff garbage", PROTOBUF, 400, "malformed"),
        (b"{not json", {"Content-Type": "application/json"}, 400, "malformed JSON"),
        (b'{"resourceSpans": 5}', {"Content-Type": "application/json"}, 400, "invalid OTLP/JSON"),
        (b"[]", {"Content-Type": "application/json"}, 400, "JSON object"),
        (b"hello", {"Content-Type": "text/plain"}, 415, "Content-Type"),
        (b"", {}, 415, "Content-Type"),
        (b"x", {**PROTOBUF, "Content-Encoding": "br"}, 415, "Content-Encoding"),
        (b"not gzip at all", {**PROTOBUF, "Content-Encoding": "gzip"}, 400, "gzip"),
        (gzip.compress(b"abc")[:-6], {**PROTOBUF, "Content-Encoding": "gzip"}, 400, "gzip"),
    ],
)
def test_bad_requests_get_clear_4xx(collector: Running, body: bytes, headers: dict, status: int, needle: str) -> None:
    answer = requests.post(collector.http + "/v1/traces", data=body, headers=headers, timeout=10)
    assert answer.status_code == status
    if answer.headers["content-type"] == "application/x-protobuf":
        message = status_pb2.Status.FromString(answer.content).message
    else:
        message = answer.json()["message"]
    assert needle in message
    assert collector.service.health()["status"] == "ok"


def test_unknown_paths_and_methods(collector: Running) -> None:
    answer = requests.post(collector.http + "/v1/profiles", data=b"", headers=PROTOBUF, timeout=10)
    assert answer.status_code == 404
    assert all(path in answer.json()["message"] for path in ("/v1/traces", "/v1/metrics", "/v1/logs"))
    answer = requests.get(collector.http + "/v1/traces", timeout=10)
    assert answer.status_code == 405


def test_malformed_grpc_is_invalid_argument(collector: Running) -> None:
    with grpc.insecure_channel(collector.grpc) as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as caught:
            export(b"\xff\xff\xff garbage", timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed" in caught.value.details()


def _peak_rss_reset() -> int:
    """Reset this process's peak RSS (VmHWM) and return the current RSS: the baseline for `_peak_rss`."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _status("VmRSS")


def _peak_rss() -> int:
    return _status("VmHWM")


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")


def test_oversized_bodies_and_gzip_bomb(collector: Running) -> None:
    cap = collector.service.config.max_body
    big = os.urandom(cap + 1)
    answer = requests.post(collector.http + "/v1/traces", data=big, headers=PROTOBUF, timeout=30)
    assert answer.status_code == 413 and "cap" in status_pb2.Status.FromString(answer.content).message
    chunked = requests.post(collector.http + "/v1/traces", data=iter([big[: cap // 2], big[cap // 2 :]]),
                            headers=PROTOBUF, timeout=30)
    assert chunked.status_code == 413

    bomb = gzip.compress(bytes(256 << 20), compresslevel=9)  # 256 MiB of zeros in about 250 KiB
    before = _peak_rss_reset()  # the collector runs in this process: its peak memory is ours
    answer = requests.post(collector.http + "/v1/traces", data=bomb,
                           headers={**PROTOBUF, "Content-Encoding": "gzip"}, timeout=30)
    assert answer.status_code == 413
    assert _peak_rss() - before < 48 << 20  # the decompressed cap is 4 MiB here; unbounded would be 256 MiB

    with grpc.insecure_channel(collector.grpc, options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as caught:
            export(big, timeout=30)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_store_outage_loses_and_duplicates_nothing(collector: Running) -> None:
    collector.store.down = True
    try:
        requests_sent = [llm_request(uuid.uuid4().hex, calls=4) for _ in range(5)]
        for request in requests_sent:
            answer = requests.post(collector.http + "/v1/traces", data=request.SerializeToString(), headers=PROTOBUF, timeout=10)
            assert answer.status_code == 200
        wait_for(lambda: collector.store.failed_writes >= 2, what="failed writes")
        health = collector.service.health()
        assert health["store"]["ok"] is False and "injected outage" in health["store"]["error"]
        assert health["pipeline"]["pending_spans"] >= 25
        trace_ids = [r.resource_spans[0].scope_spans[0].spans[0].trace_id.hex() for r in requests_sent]
        assert all(collector.rows(t) == (0, 0) for t in trace_ids)
    finally:
        collector.store.down = False
    for trace_id in trace_ids:
        assert wait_for(lambda: collector.rows(trace_id) == (5, 5), timeout=30, what="rows after the outage")
    assert wait_for(lambda: collector.service.health()["store"]["ok"], what="store ok again")


def test_overload_answers_backpressure_with_bounded_memory(collector: Running) -> None:
    spool = collector.service.spool
    assert spool is not None
    bound = spool.max_bytes
    spool.max_bytes = spool.pending_bytes + (2 << 20)
    collector.store.down = True
    accepted: list[str] = []
    refused: list[str] = []
    before = _peak_rss_reset()
    try:
        for _ in range(40):
            request = llm_request(uuid.uuid4().hex, calls=400)  # about 200 KB
            trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
            answer = requests.post(collector.http + "/v1/traces", data=request.SerializeToString(), headers=PROTOBUF, timeout=10)
            if answer.status_code == 200:
                accepted.append(trace_id)
            else:
                assert answer.status_code == 429
                assert int(answer.headers["Retry-After"]) >= 1
                assert "spool" in status_pb2.Status.FromString(answer.content).message
                refused.append(trace_id)
        assert accepted and len(refused) > 20
        assert spool.pending_bytes <= spool.max_bytes
        assert _peak_rss() - before < 64 << 20

        with grpc.insecure_channel(collector.grpc) as channel:
            export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
            with pytest.raises(grpc.RpcError) as caught:
                export(llm_request(uuid.uuid4().hex, calls=400).SerializeToString(), timeout=10)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        trailers = dict(caught.value.trailing_metadata())
        retry = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
        assert retry.retry_delay.seconds >= 1
        status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
        assert status.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
    finally:
        collector.store.down = False
        spool.max_bytes = bound
    for trace_id in accepted:
        assert wait_for(lambda: collector.rows(trace_id) == (401, 401), timeout=30, what="accepted spans")
    assert all(collector.rows(t) == (0, 0) for t in refused)


def test_slow_store_gets_backpressure_before_the_lag_grows(collector: Running) -> None:
    """With the store up but slower than the senders, exports are refused once the backlog is over max_lag."""
    pipeline, spool = collector.service.pipeline, collector.service.spool
    assert pipeline is not None and spool is not None
    limits = pipeline.max_lag, pipeline.min_pending_spans, spool.segment_max_spans
    collector.store.slow = 0.5
    pipeline.max_lag, pipeline.min_pending_spans, spool.segment_max_spans = 0.5, 100, 200
    accepted: list[str] = []
    refused = None
    try:
        for _ in range(60):
            request = llm_request(uuid.uuid4().hex, calls=60)
            answer = requests.post(collector.http + "/v1/traces", data=request.SerializeToString(), headers=PROTOBUF, timeout=10)
            if answer.status_code != 200:
                refused = answer
                break
            accepted.append(request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex())
            time.sleep(0.02)
        assert refused is not None and refused.status_code == 429
        assert "store is behind" in status_pb2.Status.FromString(refused.content).message
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        collector.store.slow = 0.0
        pipeline.max_lag, pipeline.min_pending_spans, spool.segment_max_spans = limits
    for trace_id in accepted:
        assert wait_for(lambda: collector.rows(trace_id) == (61, 61), timeout=30, what="accepted spans")


def test_sdk_exporter_retries_after_backpressure(collector: Running) -> None:
    """The SDK's HTTP exporter honours 429 + Retry-After: spans refused during overload arrive once it clears."""
    spool, pipeline = collector.service.spool, collector.service.pipeline
    assert spool is not None and pipeline is not None
    bound = spool.max_bytes
    collector.store.down = True
    filler = llm_request(uuid.uuid4().hex, calls=1)
    assert requests.post(collector.http + "/v1/traces", data=filler.SerializeToString(), headers=PROTOBUF,
                         timeout=10).status_code == 200
    spool.max_bytes = 1
    refused_before = pipeline.stats.refused_requests
    result: dict[str, str] = {}
    exporter = HttpExporter(endpoint=collector.http + "/v1/traces", timeout=30)
    sender = threading.Thread(target=lambda: result.update(trace=_export_with_sdk(exporter, uuid.uuid4().hex, calls=1)))
    sender.start()
    try:
        wait_for(lambda: pipeline.stats.refused_requests > refused_before, what="a refused export")
    finally:
        spool.max_bytes = bound
        collector.store.down = False
    sender.join(30)
    assert wait_for(lambda: collector.rows(result["trace"]) == (2, 2), timeout=30, what="retried spans")


def test_batch_replayed_after_crash_is_written_once(collector: Running, tmp_path) -> None:
    """A crash after the store took a batch but before the spool forgot it: the replay has the same token."""
    request = llm_request(uuid.uuid4().hex, calls=5)
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    spool = Spool(tmp_path / "spool")
    spool.append(request.SerializeToString(), 6)
    segment = spool.next_batch(linger=0.0)
    assert segment is not None
    token = spool.token(segment)
    collector.store.store.write(segment.read(), token)
    spool.close()  # "crash": the segment was never acknowledged

    reopened = Spool(tmp_path / "spool")
    assert reopened.pending_spans == 6
    pipeline = Pipeline(collector.store.store, reopened, linger=0.0)
    pipeline.start()
    assert pipeline.close(timeout=30)
    reopened.close()
    assert pipeline.stats.written_spans == 6
    assert collector.rows(trace_id) == (6, 6)
    calls = collector.store.query(
        "SELECT count() AS n FROM ao.ao_llm_calls WHERE TraceId = {t:String}", {"t": trace_id}
    )
    assert calls[0]["n"] == 5
