"""A program run under the launcher against one collector and the fake LLM server, recorded and replayed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import requests
from fake_llm import FakeLLM

from ao_instrument.runs import new_run_id
from tests.collector_service.helpers import CollectorProcess, child_env, wait_for

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")


class Agent:
    """The program in one directory, run under the launcher against one collector."""

    def __init__(self, directory: Path, collector: CollectorProcess, fake: FakeLLM, flavour: str, program: str,
                 calls: int) -> None:
        self.directory = directory
        self.collector = collector
        self.flavour = flavour
        self.expected_calls = calls
        (directory / "agent.py").write_text(textwrap.dedent(program))
        self.env = child_env(
            **fake.env(), OTEL_EXPORTER_OTLP_ENDPOINT=collector.http, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none", AO_API_URL=collector.api,
        )  # fmt: skip

    def run(self, *launcher_args: str, command: bool = True) -> tuple[str, subprocess.CompletedProcess]:
        run_id = new_run_id()
        argv = [LAUNCHER, "--run-id", run_id, *launcher_args]
        if command:
            argv += [sys.executable, "agent.py", self.flavour]
        done = subprocess.run(argv, env=self.env, cwd=self.directory, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        wait_for(lambda: len(self.graph(run_id)["nodes"]) == self.expected_calls, timeout=30,
                 what=f"{self.expected_calls} calls of run {run_id}")
        return run_id, done

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(method, self.collector.api + path, timeout=10, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def graph(self, run_id: str) -> dict[str, Any]:
        answer = requests.get(f"{self.collector.api}/api/v1/runs/{run_id}/graph", timeout=10)
        return answer.json() if answer.status_code == 200 else {"nodes": []}

    def calls(self, run_id: str) -> list[dict[str, Any]]:
        """The run's calls in program order (not the `external` stand-ins of links whose source is not
        queryable yet: one insert's views land one after the other)."""
        nodes = self.graph(run_id)["nodes"]
        return sorted((node for node in nodes if not node.get("external")), key=lambda node: node["start_time"])


def summary(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("ao: replay of")]
    assert len(lines) == 1, done.stderr
    return lines[0].split(": ", 2)[2]
