"""Helpers for the collector service tests: span requests, free ports, collector processes, waiting."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.support.otlp_values import kv

REPO = Path(__file__).resolve().parents[2]


def llm_request(run_id: str, calls: int = 3, *, chain: bool = True, trace_id: bytes | None = None) -> ExportTraceServiceRequest:
    """One run: a root `ao.run` span and `calls` chat spans, each fed by the previous one (a dataflow link)."""
    trace_id = trace_id or os.urandom(16)
    now = time.time_ns()
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(kv("service.name", "service-tests"))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "tests"
    root = scope_spans.spans.add(
        trace_id=trace_id, span_id=os.urandom(8), name="ao.run test", kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=now, end_time_unix_nano=now + 10_000_000,
    )
    root.attributes.extend([kv("ao.run.id", run_id), kv("ao.run.name", "test")])
    previous: bytes | None = None
    for i in range(calls):
        span = scope_spans.spans.add(
            trace_id=trace_id, span_id=os.urandom(8), parent_span_id=root.span_id, name="chat gpt-4o-mini",
            kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=now + i + 1, end_time_unix_nano=now + 1_000_000 + i,
        )
        span.attributes.extend([
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.provider.name", "openai"),
            kv("gen_ai.request.model", "gpt-4o-mini"),
            kv("gen_ai.response.model", "gpt-4o-mini"),
            kv("gen_ai.usage.input_tokens", 10 + i),
            kv("gen_ai.usage.output_tokens", 5),
            kv("ao.run.id", run_id),
            kv("ao.call.key", uuid.uuid4().hex),
            kv("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"question {i}"}]}])),
            kv("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": f"answer {i}"}]}])),
        ])
        if chain and previous is not None:
            link = span.links.add(trace_id=trace_id, span_id=previous)
            link.attributes.extend([kv("ao.link.type", "dataflow"), kv("ao.dataflow.via", "taint")])
        previous = span.span_id
    return request


def span_ids(request: ExportTraceServiceRequest) -> list[str]:
    return [s.span_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


class CollectorProcess:
    """`python -m ao_collector serve` in a subprocess on free ports (others, once, when one of those was taken
    before the collector bound it: free_port's port is free only when it answers)."""

    def __init__(
        self, data_dir: Path, *args: str, env: dict[str, str] | None = None, ports: dict[str, int] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / f"{data_dir.name}-collector.log"
        self._args, self._env, self._chosen = args, env, ports is None
        self._start(ports or {"grpc": free_port(), "http": free_port(), "api": free_port()})

    def _start(self, ports: dict[str, int]) -> None:
        self.ports = ports
        command = [
            sys.executable, "-m", "ao_collector", "serve", "--data-dir", str(self.data_dir),
            "--grpc-port", str(ports["grpc"]), "--http-port", str(ports["http"]), "--api-port", str(ports["api"]),
            *self._args,
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self._env or child_env(), cwd=REPO)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    def health(self) -> dict[str, Any] | None:
        try:
            return requests.get(self.api + "/healthz", timeout=1).json()
        except (requests.RequestException, ValueError):
            return None

    def wait_ready(self, timeout: float = 30.0) -> dict[str, Any]:
        retried = False

        def ready() -> dict[str, Any] | None:
            nonlocal retried
            if self.process.poll() is not None:
                if self._chosen and not retried and "cannot listen" in self.log.read_text()[-2000:]:
                    retried = True
                    self._start({"grpc": free_port(), "http": free_port(), "api": free_port()})
                    return None
                raise AssertionError(f"collector exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            return self.health()

        return wait_for(ready, timeout, what="collector health")

    def terminate(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


def query_data_dir(data_dir: Path, sql: str) -> list[dict[str, Any]]:
    """Run one read query on a chDB data dir in a fresh process (no collector may hold it)."""
    code = (
        "import json, sys\n"
        "from ao_collector.store import open_store\n"
        "store = open_store(data_dir=sys.argv[1])\n"
        "print(json.dumps(store.query(sys.argv[2]), default=str))\n"
        "store.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(data_dir), sql], capture_output=True, text=True,
                         env=child_env(), cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])
