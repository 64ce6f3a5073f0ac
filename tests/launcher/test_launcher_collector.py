"""The launcher and the local collector (C1): started when no endpoint is configured, never otherwise."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

from fake_llm import FakeLLM

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")

PROGRAM = """
    import openai
    client = openai.OpenAI(max_retries=0)
    first = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Name a colour"}])
    colour = first.choices[0].message.content
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"Describe {colour}"}])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env.update(extra)
    return env


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_no_endpoint_starts_a_collector_that_stores_the_run(tmp_path: Path) -> None:
    ports = {"http": free_port(), "grpc": free_port(), "api": free_port()}
    (tmp_path / "prog.py").write_text(textwrap.dedent(PROGRAM))
    with FakeLLM() as fake:
        fake.reply("A deep ultramarine blue, like the sea at dusk")
        env = clean_env(
            **fake.env(), AO_HOME=str(tmp_path / "home"), AO_COLLECTOR_HTTP_PORT=str(ports["http"]),
            AO_COLLECTOR_GRPC_PORT=str(ports["grpc"]), AO_COLLECTOR_API_PORT=str(ports["api"]),
        )  # fmt: skip
        result = subprocess.run([LAUNCHER, sys.executable, "prog.py"], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    api = f"http://127.0.0.1:{ports['api']}"
    try:
        health = get_json(f"{api}/healthz")
        assert isinstance(health, dict) and health["service"] == "ao-collector"
        deadline = time.monotonic() + 60
        graph: dict = {}
        while time.monotonic() < deadline:
            runs = get_json(f"{api}/api/v1/runs")
            listed = runs["runs"] if isinstance(runs, dict) else runs
            if listed:
                graph = get_json(f"{api}/api/v1/runs/{listed[0]['run_id']}/graph")  # type: ignore[assignment]
                own = [node for node in graph.get("nodes", []) if not node.get("external")]
                if len(own) == 2 and len(graph["nodes"]) == 2 and graph.get("edges"):
                    break
            time.sleep(0.3)
        assert len(graph["nodes"]) == 2
        first, second = sorted(graph["nodes"], key=lambda n: n["start_time"])
        assert [(e["source"], e["target"], e["via"]) for e in graph["edges"]] == [(first["id"], second["id"], "taint")]
        assert (tmp_path / "home" / "collector.log").exists()
    finally:
        stop_collector(ports["api"])
    assert result.stdout == "" and result.stderr == ""
    # The GenAI client metrics of the run went to the same collector (no "Failed to export metrics" on stderr).
    counts = dict(json.loads(query_in_child(tmp_path / "home",
                                            "SELECT MetricName, sum(Count) FROM ao.otel_metrics_histogram GROUP BY MetricName")))
    assert counts["gen_ai.client.operation.duration"] == 2
    assert counts["gen_ai.client.token.usage"] == 4  # input and output tokens of both calls


def query_in_child(data_dir: Path, sql: str) -> str:
    """The rows of `sql` on the chDB store in `data_dir`, as JSON lists, read by another process (chDB opens one
    data dir per process, and this one may hold another)."""
    script = ("import json, sys\nfrom ao_collector.store import open_store\nstore = open_store(data_dir=sys.argv[1])\n"
              "print(json.dumps([list(row.values()) for row in store.query(sys.argv[2])]))\nstore.close()")
    done = subprocess.run([sys.executable, "-c", script, str(data_dir), sql], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def stop_collector(api_port: int) -> None:
    """SIGTERM the collector serving `api_port` and wait until it has flushed and exited."""
    found = subprocess.run(["pgrep", "-f", "--", f"--api-port {api_port}"], capture_output=True, text=True)
    pids = [int(pid) for pid in found.stdout.split()]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode == 0]
        time.sleep(0.1)
    assert not pids, "the collector did not exit"


def test_a_configured_endpoint_starts_nothing(tmp_path: Path) -> None:
    api_port = free_port()
    (tmp_path / "prog.py").write_text("print('ok')\n")
    env = clean_env(
        AO_HOME=str(tmp_path / "home"), AO_COLLECTOR_API_PORT=str(api_port), AO_COLLECTOR_HTTP_PORT=str(free_port()),
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", OTEL_EXPORTER_OTLP_TIMEOUT="1",
        OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none",
    )  # fmt: skip
    result = subprocess.run([LAUNCHER, sys.executable, "prog.py"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "ok"
    assert not (tmp_path / "home" / "collector.log").exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", api_port)) != 0
