"""A collector service in this process on free ports, over the real chDB store with an outage switch."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.service import CollectorService, ServiceConfig
from ao_collector.store import open_store
from ao_collector.store.base import Store, StoreUnavailable

TOKEN = "test-token-1234"


class OutageStore:
    """Fault injector around the real chDB store: while `down`, writes raise StoreUnavailable;
    `slow` adds seconds to every write."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.database = store.database
        self.down = False
        self.slow = 0.0
        self.failed_writes = 0

    def write(self, requests: Sequence[ExportTraceServiceRequest | bytes], token: str) -> None:
        self._fault()
        self.store.write(requests, token)

    def write_file(self, path: str, token: str) -> None:
        self._fault()
        self.store.write_file(path, token)

    def _fault(self) -> None:
        if self.down:
            self.failed_writes += 1
            raise StoreUnavailable("injected outage")
        time.sleep(self.slow)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@dataclass
class Running:
    service: CollectorService
    store: OutageStore

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.service.ports['http']}"

    @property
    def grpc(self) -> str:
        return f"127.0.0.1:{self.service.ports['grpc']}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.service.ports['api']}"

    def rows(self, trace_id_hex: str) -> tuple[int, int]:
        """(rows, distinct span ids) of one trace in otel_traces."""
        found = self.store.query(
            f"SELECT count() AS n, uniqExact(SpanId) AS u FROM {self.store.database}.otel_traces "
            "WHERE TraceId = {t:String}",
            {"t": trace_id_hex},
        )
        return int(found[0]["n"]), int(found[0]["u"])


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One collector per test module (chDB opens one data dir per process, so it is closed at module end)."""
    data_dir = tmp_path_factory.mktemp("collector")
    real = open_store(data_dir=data_dir)
    store = OutageStore(real)
    config = ServiceConfig(
        data_dir=data_dir, grpc_port=0, http_port=0, api_port=0, api_token=TOKEN, batch_linger=0.05, max_body=4 << 20
    )
    service = CollectorService(config, store=store)  # type: ignore[arg-type]
    service.start()
    try:
        yield Running(service, store)
    finally:
        store.down = False
        store.slow = 0.0
        service.stop()
        real.close()
