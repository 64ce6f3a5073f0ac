"""Operations endpoints of a collector process: `/metrics` counts what the receivers and the writer did,
`/livez` and `/readyz` tell a store outage (ready: no, live: yes) from a healthy collector."""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import requests
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from prometheus_client.parser import text_string_to_metric_families

from tests.collector_service.helpers import REPO, CollectorProcess, child_env, free_port, llm_request, wait_for

PROTOBUF = {"Content-Type": "application/x-protobuf"}
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
TOKEN = "ops-token-5678"


def scrape(api: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics` as {(name, sorted labels): value}."""
    answer = requests.get(api + "/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    """A collector process on chDB with a token set: the API needs it, the operations endpoints do not."""
    process = CollectorProcess(tmp_path_factory.mktemp("ops") / "data", "--batch-linger-ms", "20",
                               env=child_env(AO_API_TOKEN=TOKEN))
    try:
        wait_for(lambda: requests.get(process.api + "/readyz", timeout=2).ok if process.health() else None,
                 timeout=60, what="readiness")
        yield process
    finally:
        process.terminate()


def _with_invalid_span(run_id: str):
    request = llm_request(run_id, calls=3)  # 4 spans
    request.resource_spans[0].scope_spans[0].spans[2].span_id = bytes(8)
    return request


def test_metrics_count_answers_spans_and_writes_per_protocol(collector: CollectorProcess) -> None:
    before = scrape(collector.api)

    answer = requests.post(collector.http + "/v1/traces", data=_with_invalid_span(uuid.uuid4().hex).SerializeToString(),
                           headers=PROTOBUF, timeout=10)
    assert ExportTraceServiceResponse.FromString(answer.content).partial_success.rejected_spans == 1
    document = json_format.MessageToDict(llm_request(uuid.uuid4().hex, calls=1))  # 2 spans, ids as base64
    for span in document["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64decode(span[key]).hex()  # OTLP/JSON ids are hex
    assert requests.post(collector.http + "/v1/traces", json=document, timeout=10).status_code == 200
    assert requests.post(collector.http + "/v1/traces", data=b"\xff\xff garbage", headers=PROTOBUF, timeout=10).status_code == 400
    assert requests.post(collector.http + "/v1/traces", data=b"x", headers={"Content-Type": "text/plain"}, timeout=10).status_code == 415

    with grpc.insecure_channel(f"127.0.0.1:{collector.ports['grpc']}") as channel:
        export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=ExportTraceServiceResponse.FromString)
        assert not export(llm_request(uuid.uuid4().hex, calls=4).SerializeToString(), timeout=10).HasField("partial_success")
        assert export(_with_invalid_span(uuid.uuid4().hex).SerializeToString(), timeout=10).partial_success.rejected_spans == 1
        with pytest.raises(grpc.RpcError) as caught:
            export(b"\xff\xff\xff garbage", timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    accepted = {"http": 3 + 2, "grpc": 5 + 3}
    wait_for(lambda: value(scrape(collector.api), "ao_collector_spans_written_total")
             - value(before, "ao_collector_spans_written_total") == sum(accepted.values()), what="all spans written")
    after = scrape(collector.api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    for protocol, spans in accepted.items():
        assert delta("ao_collector_spans_accepted_total", protocol=protocol) == spans
        assert delta("ao_collector_spans_refused_total", protocol=protocol, reason="invalid") == 1
        assert delta("ao_collector_spans_received_total", protocol=protocol) == spans + 1
        assert delta("ao_collector_export_requests_total", protocol=protocol, outcome="partial") == 1
        assert delta("ao_collector_export_requests_total", protocol=protocol, outcome="bad_request") == 1
    assert delta("ao_collector_export_requests_total", protocol="http", outcome="ok") == 1
    assert delta("ao_collector_export_requests_total", protocol="grpc", outcome="ok") == 1
    assert delta("ao_collector_export_requests_total", protocol="http", outcome="unsupported") == 1
    writes = delta("ao_collector_store_write_seconds_count")
    assert writes >= 1 and delta("ao_collector_batches_written_total") == writes
    assert delta("ao_collector_store_write_seconds_sum") > 0
    assert value(after, "ao_collector_spool_spans") == 0
    assert value(after, "ao_collector_store_up") == 1 and value(after, "ao_collector_ready") == 1
    assert delta("ao_collector_store_errors_total", kind="unavailable") == 0


def test_probes_need_no_token_and_are_documented(collector: CollectorProcess) -> None:
    assert requests.get(collector.api + "/api/v1/runs", timeout=10).status_code == 401
    live = requests.get(collector.api + "/livez", timeout=10)
    ready = requests.get(collector.api + "/readyz", timeout=10)
    assert live.status_code == 200 and live.json() == {"status": "live", "checks": {"writer": "ok"}}
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"service": "ok", "store": "ok", "spool": "ok"}}
    paths = requests.get(collector.api + "/openapi.json", timeout=10).json()["paths"]
    assert {"/livez", "/readyz", "/metrics"} <= set(paths)


def test_store_down_is_not_ready_but_live_and_counts_store_errors_and_throttling(tmp_path: Path) -> None:
    ports = {"grpc": free_port(), "http": free_port(), "api": free_port()}
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    log = tmp_path / "collector.log"
    command = [sys.executable, "-m", "ao_collector", "serve", "--clickhouse-url", unreachable,
               "--spool-dir", str(tmp_path / "spool"), "--batch-linger-ms", "20", "--spool-max-mb", "1",
               *(arg for name, port in ports.items() for arg in (f"--{name}-port", str(port)))]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                   env=child_env(AO_HOME=str(tmp_path / "home")))
    api = f"http://127.0.0.1:{ports['api']}"
    try:
        wait_for(lambda: _answers(api + "/livez"), timeout=60, what=f"the collector ({log})")
        request = llm_request(uuid.uuid4().hex, calls=2)
        answer = requests.post(f"http://127.0.0.1:{ports['http']}/v1/traces", data=request.SerializeToString(),
                               headers=PROTOBUF, timeout=10)
        assert answer.status_code == 200  # accepted into the spool while the store is down
        samples = wait_for(lambda: _after_a_failed_write(api), what="a failed write attempt")
        assert value(samples, "ao_collector_store_up") == 0
        assert value(samples, "ao_collector_ready") == 0
        assert value(samples, "ao_collector_spool_spans") == 3
        assert value(samples, "ao_collector_spans_accepted_total", protocol="http") == 3
        assert value(samples, "ao_collector_spans_written_total") == 0
        ready = requests.get(api + "/readyz", timeout=10)
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "not ready" and body["checks"]["service"] == "ok"
        assert body["checks"]["store"].startswith("store does not answer")
        assert requests.get(api + "/livez", timeout=10).status_code == 200

        # The spool fills while the store is down: exports are refused (429), their spans counted as throttled.
        accepted, refused, throttled_requests = 3, 0, 0
        while throttled_requests < 2:
            request = llm_request(uuid.uuid4().hex, calls=300)
            answer = requests.post(f"http://127.0.0.1:{ports['http']}/v1/traces", data=request.SerializeToString(),
                                   headers=PROTOBUF, timeout=10)
            assert answer.status_code in (200, 429), answer.text
            if answer.status_code == 429:
                assert answer.headers["Retry-After"]
                refused += 301
                throttled_requests += 1
            else:
                accepted += 301
        samples = scrape(api)
        assert value(samples, "ao_collector_spans_refused_total", protocol="http", reason="throttled") == refused
        assert value(samples, "ao_collector_export_requests_total", protocol="http", outcome="throttled") == throttled_requests
        assert value(samples, "ao_collector_spans_accepted_total", protocol="http") == accepted
        assert value(samples, "ao_collector_spans_received_total", protocol="http") == accepted + refused
        assert value(samples, "ao_collector_spool_spans") == accepted
        assert value(samples, "ao_collector_spool_bytes") > 0.9 * (1 << 20)
        checks = requests.get(api + "/readyz", timeout=10).json()["checks"]
        assert checks["spool"].startswith("spool at ") and checks["spool"].endswith("of its bound")
    finally:
        process.kill()
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _after_a_failed_write(api: str) -> dict | None:
    samples = scrape(api)
    return samples if value(samples, "ao_collector_store_errors_total", kind="unavailable") >= 1 else None
