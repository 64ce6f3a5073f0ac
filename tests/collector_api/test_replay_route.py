"""POST /api/v1/runs/{run_id}/replay: the launcher started as a real process, the run listed as running."""

from __future__ import annotations

import json
import socket
import sys
import uuid
from pathlib import Path

import pytest
import requests

from ao_collector.replay.runner import ReplayRefused, ReplayRunner
from tests.collector_api.conftest import AUTH, Api
from tests.collector_service.helpers import llm_request, wait_for
from tests.support.otlp_values import kv


def _record(api: Api, host: str | None, command: list[str], cwd: str) -> str:
    run_id = uuid.uuid4().hex
    request = llm_request(run_id, calls=1)
    if host is not None:
        request.resource_spans[0].resource.attributes.append(kv("host.name", host))
    root = request.resource_spans[0].scope_spans[0].spans[0]
    root.attributes.extend([kv("process.command_args", json.dumps(command)), kv("process.working_directory", cwd),
                            kv("ao.run.seed", 7)])
    answer = requests.post(f"http://127.0.0.1:{api.service.ports['http']}/v1/traces", data=request.SerializeToString(),
                           headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert answer.status_code == 200
    api.wait_for_run(run_id, calls=1)
    return run_id


def test_replay_runs_the_recorded_command_and_is_listed_running(api: Api, tmp_path: Path) -> None:
    marker = tmp_path / "replayed.txt"
    program = f"import time, pathlib; pathlib.Path({str(marker)!r}).write_text('yes'); time.sleep(1.5)"
    run_id = _record(api, socket.gethostname(), [sys.executable, "-c", program], str(tmp_path))
    assert api.get(f"/api/v1/runs/{run_id}/cache").json()["run"]["seed"] == 7

    answer = requests.post(f"{api.url}/api/v1/runs/{run_id[:10]}/replay", headers=AUTH, timeout=10)
    assert answer.status_code == 202, answer.text
    new_id = answer.json()["run_id"]
    process = api.service.api_replays.process(new_id)
    assert process is not None
    assert process.args == [sys.executable, "-m", "ao_instrument.launcher", "--replay", run_id, "--run-id", new_id]
    listed = {r["run_id"]: r for r in api.get("/api/v1/runs").json()}
    assert listed[new_id]["status"] == "running"

    assert process.wait(30) == 0, (Path(api.service.config.data_dir) / "replays" / f"{new_id}.log").read_text()
    assert marker.read_text() == "yes"
    stored = wait_for(lambda: api.get(f"/api/v1/runs/{new_id}").json() if api.get(f"/api/v1/runs/{new_id}").ok else None,
                      what="the replay's run")
    assert stored["replay_of"] == run_id
    wait_for(lambda: {r["run_id"]: r for r in api.get("/api/v1/runs").json()}[new_id]["status"] != "running",
             what="the replay to end")


def test_replay_is_refused_with_the_command_elsewhere(api: Api, tmp_path: Path) -> None:
    other = _record(api, "another-host.example", [sys.executable, "-c", "pass"], str(tmp_path))
    refused = requests.post(f"{api.url}/api/v1/runs/{other}/replay", headers=AUTH, timeout=10)
    assert refused.status_code == 403 and f"ao-instrument --replay {other}" in refused.json()["detail"]
    unknown_host = _record(api, None, [sys.executable, "-c", "pass"], str(tmp_path))
    assert requests.post(f"{api.url}/api/v1/runs/{unknown_host}/replay", headers=AUTH, timeout=10).status_code == 403
    assert requests.post(f"{api.url}/api/v1/runs/{'f' * 32}/replay", headers=AUTH, timeout=10).status_code == 404


def test_a_collector_without_allow_replay_starts_nothing(tmp_path: Path) -> None:
    runner = ReplayRunner(False, tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9", None)
    with pytest.raises(ReplayRefused, match="--allow-replay"):
        runner.start("r" * 32, socket.gethostname())
    assert runner.running() == {} and not list(tmp_path.iterdir())
