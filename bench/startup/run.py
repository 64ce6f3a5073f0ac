"""Start-up and exit cost of ao in the user's process (issue 10), against plain Python, in one run.

Rows, each the median wall time of `--repeat` runs, interleaved:
- `python -c pass`: plain; under bare `opentelemetry-instrument` (no instrumentors: they are disabled);
  under `ao-instrument` (spans exported to a live OTLP/HTTP sink in a process of its own);
- a one-call program (OpenAI SDK, fake LLM server in this process): plain, and under `ao-instrument` with
  a live endpoint and with a dead one (nothing listening; the spans go to the outbox).

    .venv/bin/python bench/startup/run.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
from importlib.metadata import entry_points
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "examples")]
from fake_llm import FakeLLM  # noqa: E402

from tests.collector_service.helpers import free_port  # noqa: E402

BIN = Path(sys.executable).parent
ONE_CALL = """
import openai
reply = openai.OpenAI(max_retries=0).chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "Name a colour"}]
)
print(reply.choices[0].message.content)
"""


def third_party_instrumentors() -> list[str]:
    """Entry point names of the installed instrumentors that are not ao's."""
    return sorted({e.name for e in entry_points(group="opentelemetry_instrumentor") if not e.value.startswith("ao_instrument")})


# The OTLP/HTTP sink in a process of its own, as a collector is: in this process its request handling
# would compete with the runs measured (it added about 100 ms to each ao-instrument row).
SINK = """
import sys
sys.path.insert(0, sys.argv[1])
from tests.support.otlp_sink import OTLPSink
sink = OTLPSink().start()
print(sink.http_endpoint, flush=True)
sys.stdin.read()
"""


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(REPO)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert sink.stdout is not None and sink.stdin is not None
    endpoint = sink.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as scratch, FakeLLM() as fake:
        directory = Path(scratch)
        (directory / "one_call.py").write_text(ONE_CALL)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
        base.update(fake.env(), AO_HOME=str(directory / "home"), OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none")
        live = {**base, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        dead = {**base, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
        bare = {**base, "OTEL_TRACES_EXPORTER": "none", "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "*"}
        # ao's own cost: the other instrumentors installed here (the tests' peers) are left out, as in bare.
        ao_only = {**live, "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": ",".join(third_party_instrumentors())}
        python, ao, otel = sys.executable, str(BIN / "ao-instrument"), str(BIN / "opentelemetry-instrument")
        cases = {
            "python -c pass": ([python, "-c", "pass"], base),
            "opentelemetry-instrument (bare) python -c pass": ([otel, python, "-c", "pass"], bare),
            "ao-instrument python -c pass": ([ao, python, "-c", "pass"], ao_only),
            "ao-instrument python -c pass, every instrumentor": ([ao, python, "-c", "pass"], live),
            "python one_call.py": ([python, "one_call.py"], base),
            "ao-instrument python one_call.py": ([ao, python, "one_call.py"], live),
            "ao-instrument python one_call.py, dead endpoint": ([ao, python, "one_call.py"], dead),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, (argv, env) in cases.items():
                times[name].append(timed(argv, env, directory))
    sink.stdin.close()
    sink.wait(10)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"median wall time of {args.repeat} interleaved runs")
    for name, median in medians.items():
        baseline = medians["python one_call.py" if "one_call" in name else "python -c pass"]
        print(f"  {name:50} {median * 1000:8.0f} ms   +{(median - baseline) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
