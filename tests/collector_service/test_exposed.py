"""A collector bound beyond loopback: every port wants the bearer token (the OTLP ports too)."""

from __future__ import annotations

from pathlib import Path

import grpc
import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from helpers import CollectorProcess, child_env, llm_request, wait_for

TOKEN = "exposed-secret-5678"


def test_exposed_collector_requires_the_token_on_otlp_and_api(tmp_path: Path) -> None:
    collector = CollectorProcess(tmp_path / "data", "--host", "0.0.0.0", env=child_env(AO_API_TOKEN=TOKEN))
    try:
        collector.wait_ready()
        body = llm_request("exposed-run", calls=2).SerializeToString()
        headers = {"Content-Type": "application/x-protobuf"}
        refused = requests.post(collector.http + "/v1/traces", data=body, headers=headers, timeout=10)
        assert refused.status_code == 401
        wrong = requests.post(
            collector.http + "/v1/traces", data=body, headers={**headers, "Authorization": "Bearer nope"}, timeout=10
        )
        assert wrong.status_code == 401
        accepted = requests.post(
            collector.http + "/v1/traces", data=body, headers={**headers, "Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )  # fmt: skip
        assert accepted.status_code == 200, accepted.text

        with grpc.insecure_channel(f"127.0.0.1:{collector.ports['grpc']}") as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            try:
                stub.Export(llm_request("exposed-grpc", calls=1), timeout=10)
                raise AssertionError("export without a token was accepted")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED
            stub.Export(llm_request("exposed-grpc", calls=1), metadata=(("authorization", f"Bearer {TOKEN}"),),
                        timeout=10)  # fmt: skip

        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.get(collector.api + "/api/v1/runs", timeout=10).status_code == 401

        def both_runs() -> bool:
            runs = requests.get(collector.api + "/api/v1/runs", headers=auth, timeout=10).json()
            listed = runs["runs"] if isinstance(runs, dict) else runs
            return {"exposed-run", "exposed-grpc"} <= {r["run_id"] for r in listed}

        wait_for(both_runs, 30, what="both runs listed")
    finally:
        assert collector.terminate() == 0
