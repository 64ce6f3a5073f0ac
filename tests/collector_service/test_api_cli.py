"""The read API (C7) with bearer-token auth, and the `ao-collector` query commands as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import requests

from ao_collector.service import CollectorService, ConfigError, ServiceConfig
from tests.collector_service.conftest import TOKEN, Running
from tests.collector_service.helpers import REPO, child_env, free_port, llm_request, span_ids, wait_for

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def run(collector: Running) -> dict:
    """One stored run: a root span and three chained calls."""
    run_id = "run-" + uuid.uuid4().hex[:12]
    request = llm_request(run_id, calls=3)
    answer = requests.post(collector.http + "/v1/traces", data=request.SerializeToString(),
                           headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert answer.status_code == 200
    ids = span_ids(request)
    wait_for(lambda: requests.get(f"{collector.api}/api/v1/runs/{run_id}", headers=AUTH, timeout=5).status_code == 200,
             what="the run in the API")
    # One insert's views land one after the other: the run's row can be read before its calls.
    def complete() -> bool:
        graph = requests.get(f"{collector.api}/api/v1/runs/{run_id}/graph", headers=AUTH, timeout=5).json()
        own = [node for node in graph.get("nodes", []) if not node.get("external")]
        return len(own) == len(graph["nodes"]) == 3 and len(graph.get("edges", [])) == 2

    wait_for(complete, what="the run's calls and edges")
    return {"run_id": run_id, "root": ids[0], "calls": ids[1:]}


def test_runs_run_graph_and_call(collector: Running, run: dict) -> None:
    runs = requests.get(collector.api + "/api/v1/runs", headers=AUTH, timeout=5)
    assert runs.status_code == 200
    assert run["run_id"] in json.dumps(runs.json())

    one = requests.get(f"{collector.api}/api/v1/runs/{run['run_id']}", headers=AUTH, timeout=5).json()
    assert run["run_id"] in json.dumps(one)

    graph = requests.get(f"{collector.api}/api/v1/runs/{run['run_id']}/graph", headers=AUTH, timeout=5).json()
    assert sorted(n["id"] for n in graph["nodes"]) == sorted(run["calls"])
    a, b, c = run["calls"]
    assert sorted((e["source"], e["target"]) for e in graph["edges"]) == sorted([(a, b), (b, c)])
    assert {e["via"] for e in graph["edges"]} == {"taint"}

    call = requests.get(f"{collector.api}/api/v1/calls/{b}", headers=AUTH, timeout=5)
    assert call.status_code == 200 and b in json.dumps(call.json())


def test_unknown_ids_are_404_with_a_message(collector: Running) -> None:
    for path in ("/api/v1/runs/nope", "/api/v1/runs/nope/graph", "/api/v1/calls/00000000000000ff"):
        answer = requests.get(collector.api + path, headers=AUTH, timeout=5)
        assert answer.status_code == 404
        assert "no " in answer.json()["detail"]


def test_token_is_required_but_health_and_openapi_are_open(collector: Running) -> None:
    assert requests.get(collector.api + "/api/v1/runs", timeout=5).status_code == 401
    wrong = requests.get(collector.api + "/api/v1/runs", headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    health = requests.get(collector.api + "/healthz", timeout=5).json()
    assert health["status"] == "ok" and health["store"]["ok"] is True
    assert set(health["ports"]) == {"grpc", "http", "api"}
    paths = requests.get(collector.api + "/openapi.json", timeout=5).json()["paths"]
    assert {"/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/runs/{run_id}/graph", "/api/v1/calls/{span_id}"} <= set(paths)


def test_non_loopback_host_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="AO_API_TOKEN"):
        CollectorService(ServiceConfig(host="0.0.0.0", api_token=None))
    out = subprocess.run([sys.executable, "-m", "ao_collector", "serve", "--host", "0.0.0.0",
                          "--api-port", str(free_port())], capture_output=True, text=True, env=child_env(), cwd=REPO, timeout=60)
    assert out.returncode == 2 and "AO_API_TOKEN" in out.stderr


def test_batch_bounds_are_checked() -> None:
    for bad, message in (({"batch_max_bytes": 1000}, "--batch-max-mb"), ({"batch_max_spans": 0}, "--batch-max-spans"),
                         ({"batch_linger_max": -1.0}, "--batch-linger-max-ms")):
        with pytest.raises(ConfigError, match=message):
            CollectorService(ServiceConfig(**bad))  # type: ignore[arg-type]
    out = subprocess.run([sys.executable, "-m", "ao_collector", "serve", "--batch-max-mb", "0",
                          "--api-port", str(free_port())], capture_output=True, text=True, env=child_env(), cwd=REPO, timeout=60)
    assert out.returncode == 2 and "--batch-max-mb" in out.stderr


def _cli(collector: Running, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(AO_API_URL=collector.api, AO_API_TOKEN=TOKEN, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "ao_collector", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60)


def test_cli_runs_show_graph_through_the_api(collector: Running, run: dict) -> None:
    listed = _cli(collector, "runs")
    assert listed.returncode == 0, listed.stderr
    assert run["run_id"][:12] in listed.stdout

    shown = _cli(collector, "show", run["run_id"], "--json")
    assert shown.returncode == 0, shown.stderr
    assert run["run_id"] in shown.stdout

    text = _cli(collector, "graph", run["run_id"])
    assert text.returncode == 0, text.stderr
    assert "3 calls, 2 edges" in text.stdout and text.stdout.count("gpt-4o-mini") == 3

    dot = _cli(collector, "graph", run["run_id"], "--format", "dot")
    a, b, c = run["calls"]
    assert dot.returncode == 0 and dot.stdout.startswith("digraph")
    assert f'"{a}" -> "{b}"' in dot.stdout and f'"{b}" -> "{c}"' in dot.stdout

    as_json = _cli(collector, "graph", run["run_id"], "--format", "json")
    assert len(json.loads(as_json.stdout)["edges"]) == 2

    missing = _cli(collector, "graph", "no-such-run")
    assert missing.returncode == 1 and "no run 'no-such-run'" in missing.stderr


def test_cli_reads_the_data_dir_when_no_collector_answers(tmp_path) -> None:
    """The collector's data dir is locked by chDB; a fresh dir shows the direct path and the empty case."""
    env = child_env(AO_API_URL=f"http://127.0.0.1:{free_port()}")
    out = subprocess.run([sys.executable, "-m", "ao_collector", "runs", "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "no runs yet" in out.stdout


def test_batch_bounds_follow_the_store() -> None:
    assert ServiceConfig().batch_bounds() == (30_000, 96 << 20)  # the embedded store: fewer merges
    assert ServiceConfig(clickhouse_url="http://127.0.0.1:8123").batch_bounds() == (10_000, 32 << 20)
    assert ServiceConfig(clickhouse_url="http://127.0.0.1:8123", batch_max_spans=5).batch_bounds() == (5, 32 << 20)
