"""The collector as a process: SIGKILL and restart, SIGTERM flush, autostart by two launchers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from ao_collector.autostart import collector_health, ensure_collector
from tests.collector_service.helpers import (
    REPO,
    CollectorProcess,
    child_env,
    free_port,
    llm_request,
    query_data_dir,
    wait_for,
)

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def _trace_id(request) -> str:
    return request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()


def test_sigkill_mid_stream_then_restart_writes_every_acked_span_exactly_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = CollectorProcess(data, "--batch-linger-ms", "30")
    first.wait_ready(90)
    acked: list[str] = []
    stop = threading.Event()

    def send() -> None:
        session = requests.Session()
        while not stop.is_set():
            request = llm_request(uuid.uuid4().hex, calls=50)
            try:
                answer = session.post(first.http + "/v1/traces", data=request.SerializeToString(), headers=PROTOBUF, timeout=30)
            except requests.RequestException:
                continue  # slow machine, or the collector was just killed: not acknowledged either way
            if answer.status_code == 200:
                acked.append(_trace_id(request))

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    try:
        wait_for(lambda: (first.health() or {}).get("pipeline", {}).get("written_batches", 0) >= 3 and len(acked) >= 30,
                 timeout=90, what="traffic and written batches")
        first.kill()  # SIGKILL while requests are in flight and batches are being written
    finally:
        stop.set()
        for sender in senders:
            sender.join(10)

    second = CollectorProcess(data, "--batch-linger-ms", "10000")
    second.wait_ready(90)
    wait_for(lambda: second.health()["pipeline"]["pending_spans"] == 0, timeout=90, what="replay of the spool")
    late_run = uuid.uuid4().hex
    late = llm_request(late_run, calls=3)
    answer = requests.post(second.http + "/v1/traces", data=late.SerializeToString(), headers=PROTOBUF, timeout=30)
    assert answer.status_code == 200
    assert second.terminate(90) == 0  # SIGTERM: the 10 s linger is cut short by the shutdown flush
    assert "ao-collector stopped" in second.log.read_text()

    rows = query_data_dir(data, "SELECT TraceId, count() AS n, uniqExact(SpanId) AS u FROM ao.otel_traces GROUP BY TraceId")
    by_trace = {row["TraceId"]: (int(row["n"]), int(row["u"])) for row in rows}
    assert all(n == u for n, u in by_trace.values()), "a span was written twice"
    missing = [t for t in acked if by_trace.get(t) != (51, 51)]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged requests lost"
    assert by_trace[_trace_id(late)] == (4, 4)

    env = child_env(AO_API_URL=second.api)  # nothing answers there any more: the CLI opens the data dir
    listed = subprocess.run([sys.executable, "-m", "ao_collector", "runs", "--data-dir", str(data), "--json", "-n", "500"],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert late_run in listed.stdout


def _reap(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
        time.sleep(0.05)
    return False


def test_autostart_starts_one_collector_for_two_launchers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("AO_HOME", str(home))
    ports = {"http_port": free_port(), "grpc_port": free_port(), "api_port": free_port()}
    results: list[bool] = []
    launchers = [threading.Thread(target=lambda: results.append(ensure_collector(**ports, timeout=60))) for _ in range(2)]
    for launcher in launchers:
        launcher.start()
    for launcher in launchers:
        launcher.join(90)
    assert results == [True, True]
    health = collector_health(api_port=ports["api_port"])
    assert health is not None and health["ports"]["http"] == ports["http_port"]
    assert health["store"]["data_dir"] == str(home)
    log = (home / "collector.log").read_text()
    assert log.count("ao-collector ready") == 1, log
    assert ensure_collector(**ports, timeout=5) is True  # answers: nothing new started

    os.kill(health["pid"], signal.SIGTERM)
    assert _reap(health["pid"], 30), "collector did not stop on SIGTERM"
    assert "ao-collector stopped" in (home / "collector.log").read_text()
    assert collector_health(api_port=ports["api_port"]) is None


def test_autostart_gives_up_when_the_collector_cannot_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("AO_HOME", str(home))
    monkeypatch.setenv("AO_API_TOKEN", "")
    started = time.monotonic()
    assert ensure_collector(host="192.0.2.1", http_port=free_port(), api_port=free_port(), timeout=20) is False
    assert time.monotonic() - started < 20
    assert "refusing" in (home / "collector.log").read_text()
