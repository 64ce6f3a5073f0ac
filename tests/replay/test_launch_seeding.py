"""The run's seed in real processes: the same seed gives the same `random`, `uuid4` and numpy values, and
processes of one run never share a stream (same command line, forked children)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ao_instrument.launcher.environment import BOOTSTRAP_DIR
from tests.support.otlp_sink import OTLPSink

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")

DRAWS = """
    import random, uuid, numpy
    print(random.random(), uuid.uuid4(), numpy.random.randint(1 << 30))
"""

FORKS = """
    import os, random, uuid
    children = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.write(write, f"{random.random()} {uuid.uuid4()}".encode())
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    for pid, read in children:
        os.waitpid(pid, 0)
        print(os.read(read, 200).decode())
    print(random.random(), uuid.uuid4())
"""


def run_seeded(tmp_path: Path, source: str, seed: str, run_dir: Path | None = None) -> list[str]:
    """Run `source` as a process of an ao-instrument run with `seed` (no launcher, no export)."""
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env.update(
        PYTHONPATH=BOOTSTRAP_DIR, AO_LAUNCHER="1", AO_RUN_SEED=seed, OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none", AO_TAINT="off",
    )  # fmt: skip
    if run_dir is not None:
        env["AO_RUN_DIR"] = str(run_dir)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def test_the_same_seed_draws_the_same_values_and_another_seed_others(tmp_path: Path) -> None:
    first = run_seeded(tmp_path, DRAWS, "12345")
    assert run_seeded(tmp_path, DRAWS, "12345") == first
    other = run_seeded(tmp_path, DRAWS, "54321")
    assert all(a != b for a, b in zip(first[0].split(), other[0].split(), strict=True))
    assert first[0].split()[1][14] == "4"  # still a version-4 uuid


def test_processes_with_one_command_line_in_one_run_draw_apart_and_repeat_in_order(tmp_path: Path) -> None:
    run_a, run_b = tmp_path / "a", tmp_path / "b"
    run_a.mkdir()
    run_b.mkdir()
    workers = [run_seeded(tmp_path, DRAWS, "7", run_a) for _ in range(2)]
    assert workers[0] != workers[1]
    assert [run_seeded(tmp_path, DRAWS, "7", run_b) for _ in range(2)] == workers


def test_forked_children_draw_apart_from_each_other_and_the_parent_and_repeat(tmp_path: Path) -> None:
    lines = run_seeded(tmp_path, FORKS, "99")
    assert len(set(lines)) == 3
    assert len({value for line in lines for value in line.split()}) == 6
    assert run_seeded(tmp_path, FORKS, "99") == lines


def test_the_launcher_records_the_seed_its_program_was_seeded_with(tmp_path: Path, sink: OTLPSink) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(DRAWS))
    env = {
        **os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "AO_TAINT": "off",
    }  # fmt: skip
    runs = [
        subprocess.run([LAUNCHER, sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
        for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    roots = sink.wait_for(lambda spans: len([s for s in spans if s.name == "ao.run prog.py"]) == 2)
    seeds = [s.attributes["ao.run.seed"] for s in roots if s.name == "ao.run prog.py"]
    assert all(isinstance(seed, int) and seed >= 0 for seed in seeds) and seeds[0] != seeds[1]
    by_seed = {str(s.attributes["ao.run.seed"]): s.attributes["ao.run.id"] for s in roots if s.name == "ao.run prog.py"}
    printed = {run.stdout for run in runs}
    assert len(printed) == 2  # a fresh seed per run: values as random across runs as without ao
    for seed in by_seed:
        assert "\n".join(run_seeded(tmp_path, DRAWS, seed, tmp_path)) + "\n" in printed
        for marker in tmp_path.glob("seed-*"):
            marker.unlink()
