"""`ao-instrument --replay` stops before the program starts when the recorded run cannot be had."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector_service.helpers import CollectorProcess, child_env, free_port

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")
PROGRAM = "open('ran', 'w').write('yes')\n"


def replay(tmp_path: Path, run_id: str, api_url: str) -> subprocess.CompletedProcess:
    (tmp_path / "agent.py").write_text(PROGRAM)
    env = child_env(AO_API_URL=api_url, OTEL_TRACES_EXPORTER="none", AO_NO_AUTOSTART="1")
    return subprocess.run(
        [LAUNCHER, "--replay", run_id, sys.executable, "agent.py"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_an_unreachable_collector_stops_the_replay_before_the_program_runs(tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{free_port()}"
    done = replay(tmp_path, "0123abcd", api_url)
    assert done.returncode == 2
    assert f"cannot reach the collector at {api_url}" in done.stderr and "nothing was run" in done.stderr
    assert not (tmp_path / "ran").exists()


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    process = CollectorProcess(tmp_path_factory.mktemp("data"))
    try:
        process.wait_ready()
        yield process
    finally:
        process.terminate()


@pytest.mark.parametrize("run_id", ["0123abcd", "../../healthz"])
def test_a_run_the_collector_does_not_know_stops_the_replay(
    tmp_path: Path, collector: CollectorProcess, run_id: str
) -> None:
    done = replay(tmp_path, run_id, collector.api)
    assert done.returncode == 2
    assert f"--replay {run_id}: the collector at {collector.api} refused run {run_id}: 404" in done.stderr
    assert not (tmp_path / "ran").exists()


def test_replay_is_not_taken_for_replay_of(tmp_path: Path) -> None:
    done = subprocess.run([LAUNCHER, "--repl", "x", sys.executable, "-c", "pass"], capture_output=True, text=True)
    assert done.returncode == 2 and "unrecognized arguments: --repl" in done.stderr
