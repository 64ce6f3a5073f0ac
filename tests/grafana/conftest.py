"""A chDB store filled the real way, once for the Grafana tests: runs recorded by `ao-instrument` (the
example agent against the fake LLM server, a replay of it, a run with a failing call) and spans of
third-party instrumentations (OpenLLMetry, OpenInference, the Anthropic SDK), all sent over OTLP to an
`ao-collector serve` process; the collector is then stopped and its data dir opened here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from fake_llm import FakeLLM

from ao_collector.store import ChdbStore, open_store
from tests.collector_service.helpers import REPO, CollectorProcess, child_env, wait_for

LAUNCHER = str(Path(sys.executable).with_name("ao-instrument"))
THIRD_PARTY = REPO / "tests" / "collector_store" / "instrumented_calls.py"

FAILING_PROGRAM = """
    import openai
    client = openai.OpenAI(max_retries=0)
    topic = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Pick a topic"}])
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Essay on {topic.choices[0].message.content}"}])
    except openai.InternalServerError:
        print("the essay call failed")
"""


@dataclass
class Recorded:
    """The filled store and the ids of what was recorded into it."""

    store: ChdbStore
    run_id: str  # the example agent's run
    replay_id: str  # its replay (ao.run.replay_of = run_id)
    failing_id: str  # the run with a failed call
    third_party_trace: str  # trace id of the third-party spans (a run keyed by trace id)
    metrics: str  # the collector's /metrics after all of it


def _launch(collector: CollectorProcess, fake: FakeLLM, cwd: Path, *args: str) -> None:
    env = child_env(**fake.env(), AO_HOME=str(cwd / "home"), OTEL_EXPORTER_OTLP_ENDPOINT=collector.http, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf", OTEL_SERVICE_NAME="research-agent")
    done = subprocess.run([LAUNCHER, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def _runs(collector: CollectorProcess) -> list[dict]:
    answer = requests.get(collector.api + "/api/v1/runs", timeout=10)
    answer.raise_for_status()
    body = answer.json()
    return body["runs"] if isinstance(body, dict) else body


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    work = tmp_path_factory.mktemp("grafana-data")
    data_dir = work / "data"
    collector = CollectorProcess(data_dir, "--batch-linger-ms", "20")
    try:
        collector.wait_ready(90)
        with FakeLLM() as fake:
            _launch(collector, fake, work, "--name", "research", sys.executable, str(REPO / "examples" / "agent.py"), "tracing")
            run_id = wait_for(lambda: [r["run_id"] for r in _runs(collector) if r["name"] == "research"], what="the run")[0]
            _launch(collector, fake, work, "--name", "research", "--replay-of", run_id,
                    sys.executable, str(REPO / "examples" / "agent.py"), "tracing")
            (work / "failing.py").write_text(textwrap.dedent(FAILING_PROGRAM))
            fake.reply("distributed tracing")
            fake.error(500, "the model is overloaded")
            _launch(collector, fake, work, "--name", "failing", sys.executable, "failing.py")
        out = work / "third-party.otlp"
        done = subprocess.run([sys.executable, str(THIRD_PARTY), str(out)], capture_output=True, text=True, timeout=120,
                              env=child_env(), cwd=REPO)
        assert done.returncode == 0, done.stderr[-3000:]
        answer = requests.post(collector.http + "/v1/traces", data=out.read_bytes(),
                               headers={"Content-Type": "application/x-protobuf"}, timeout=30)
        assert answer.status_code == 200
        runs = wait_for(lambda: (found := _runs(collector)) and len(found) >= 4 and found, what="four runs")
        metrics = requests.get(collector.api + "/metrics", timeout=10).text
    finally:
        assert collector.terminate(60) == 0
    by_name = {}
    for run in runs:
        by_name.setdefault(run["name"], []).append(run)
    replay_id = next(r["run_id"] for r in by_name["research"] if r["replay_of"] == run_id)
    third_party = next(r for r in runs if not r["ao_run"])
    store = open_store(str(data_dir))
    try:
        yield Recorded(store, run_id, replay_id, by_name["failing"][0]["run_id"], third_party["trace_id"], metrics)
    finally:
        store.close()
