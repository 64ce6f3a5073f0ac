"""A collector service in this process on free ports over a private chDB data dir, with one stored run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from ao_collector.service import CollectorService, ServiceConfig
from tests.collector_service.helpers import llm_request, span_ids, wait_for

TOKEN = "api-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Api:
    service: CollectorService

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.ports['api']}"

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers=AUTH, timeout=10)

    def put(self, path: str, body: object) -> requests.Response:
        return requests.put(self.url + path, json=body, headers=AUTH, timeout=10)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.url + path, headers=AUTH, timeout=10)

    def record(self, calls: int = 3, run_id: str | None = None) -> dict:
        """Send one run of `calls` chained chat calls over OTLP/HTTP; its ids once the API has it."""
        run_id = run_id or uuid.uuid4().hex
        request = llm_request(run_id, calls=calls)
        answer = requests.post(f"http://127.0.0.1:{self.service.ports['http']}/v1/traces",
                               data=request.SerializeToString(),
                               headers={"Content-Type": "application/x-protobuf"}, timeout=10)
        assert answer.status_code == 200
        ids = span_ids(request)
        self.wait_for_run(run_id, calls)
        return {"run_id": run_id, "root": ids[0], "calls": ids[1:]}

    def wait_for_run(self, run_id: str, calls: int) -> None:
        """Until the API shows the run with its `calls` calls (ao_runs and ao_llm_calls are filled by two
        views of one insert, so a read in between can see the run without its calls)."""

        def shown() -> bool:
            answer = self.get(f"/api/v1/runs/{run_id}")
            return answer.status_code == 200 and len(answer.json()["calls"]) == calls

        wait_for(shown, what=f"the run {run_id} with {calls} calls in the API")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    config = ServiceConfig(data_dir=tmp_path_factory.mktemp("collector"), grpc_port=0, http_port=0, api_port=0,
                           api_token=TOKEN, batch_linger=0.05, allow_replay=True)
    service = CollectorService(config)
    service.start()
    try:
        yield Api(service)
    finally:
        service.stop()


@pytest.fixture(scope="module")
def run(api: Api) -> dict:
    return api.record()
