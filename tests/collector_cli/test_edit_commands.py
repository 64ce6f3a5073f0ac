"""`ao-collector edit|edits|replay|runs|show` as subprocesses through a real collector's API, at 80 columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import requests
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from tests.collector_api.conftest import TOKEN, Api, api, run  # noqa: F401 - fixtures
from tests.collector_service.helpers import REPO, llm_request
from tests.support.otlp_values import kv


def cli(api: Api, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AO_API_URL=api.url, AO_API_TOKEN=TOKEN, COLUMNS="80", TERM="dumb")
    return subprocess.run([sys.executable, "-m", "ao_collector", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_edit_list_and_clear(api: Api, run: dict, tmp_path: Path) -> None:
    span = run["calls"][2]
    done = cli(api, "edit", span[:9], "--output-text", "from the terminal")
    assert done.returncode == 0, done.stderr
    assert span in done.stdout
    assert api.get(f"/api/v1/calls/{span}").json()["edits"]["output"] == {"text": "from the terminal"}
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"request": {"model": "gpt-4o-mini"}}))
    refused = cli(api, "edit", span, "--json", str(request))
    assert refused.returncode == 1 and "request.messages" in refused.stderr
    listed = cli(api, "edits", run["run_id"][:8])
    assert listed.returncode == 0 and span in listed.stdout and "output" in listed.stdout
    cleared = cli(api, "edits", run["run_id"], "--clear")
    assert cleared.returncode == 0 and "removed" in cleared.stdout
    assert api.get(f"/api/v1/runs/{run['run_id']}/edits").json() == {"edits": []}


def test_runs_lists_whole_ids_at_80_columns(api: Api, run: dict) -> None:
    listed = cli(api, "runs")
    assert listed.returncode == 0, listed.stderr
    assert run["run_id"] in listed.stdout


def test_show_tells_why_a_run_failed(api: Api) -> None:
    run_id = uuid.uuid4().hex
    request = llm_request(run_id, calls=1)
    root = request.resource_spans[0].scope_spans[0].spans[0]
    root.status.code = Status.STATUS_CODE_ERROR
    root.status.message = "exit status 3"
    root.attributes.extend([kv("process.exit.code", 3), kv("error.type", "exit 3")])
    event = root.events.add(name="exception", time_unix_nano=root.start_time_unix_nano + 5)
    event.attributes.extend([kv("exception.type", "ValueError"), kv("exception.message", "bad input")])
    assert requests.post(f"http://127.0.0.1:{api.service.ports['http']}/v1/traces", data=request.SerializeToString(),
                         headers={"Content-Type": "application/x-protobuf"}, timeout=10).status_code == 200
    api.wait_for_run(run_id, calls=1)
    shown = cli(api, "show", run_id[:10])
    assert shown.returncode == 0, shown.stderr
    assert "exit status 3" in shown.stdout and "ValueError: bad input" in shown.stdout


def test_replay_command_answers_the_new_run_or_why_not(api: Api, run: dict) -> None:
    refused = cli(api, "replay", run["run_id"])  # recorded without a host name
    assert refused.returncode == 1 and f"ao-instrument --replay {run['run_id']}" in refused.stderr


def test_show_takes_a_prefix_from_the_data_dir_without_a_collector(tmp_path: Path) -> None:
    writer = (  # in a process of its own: chDB opens one data dir per process, and this one holds the collector's
        "import sys; from ao_collector.store import open_store; from tests.collector_service.helpers import llm_request; "
        "store = open_store(data_dir=sys.argv[1]); store.migrate(); "
        "store.write([llm_request('feedbeef' + '0' * 24, calls=1)], 't'); store.close()"
    )
    subprocess.run([sys.executable, "-c", writer, str(tmp_path / "d")], check=True, timeout=60, cwd=REPO)
    env = dict(os.environ, AO_API_URL="http://127.0.0.1:9", COLUMNS="80")
    shown = subprocess.run([sys.executable, "-m", "ao_collector", "show", "feedbe", "--data-dir", str(tmp_path / "d")],
                           env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "feedbeef" + "0" * 24 in shown.stdout
