"""Another GenAI instrumentation of an SDK that ao instruments is named once in ao's log, under plain
`opentelemetry-instrument`, with how to choose; the program's terminal output is its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")


def run(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    home = tmp_path / "home"
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    full.update(AO_HOME=str(home), OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none",
                OTEL_LOGS_EXPORTER="none", **env)  # fmt: skip
    done = subprocess.run([str(INSTRUMENT), sys.executable, "-c", "print('hi')"], env=full, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    log = home / "ao-instrument.log"
    return done, log.read_text() if log.exists() else ""


def test_other_openai_instrumentations_are_named_in_the_log(tmp_path: Path) -> None:
    done, log = run(tmp_path)  # OpenLLMetry and OpenInference are installed beside ao for the tests
    assert done.returncode == 0 and done.stdout == "hi\n" and done.stderr == ""
    (line,) = [line for line in log.splitlines() if "also instrumented by" in line]
    assert "openai calls" in line
    assert "openinference.instrumentation.openai.OpenAIInstrumentor" in line
    assert "opentelemetry.instrumentation.openai.OpenAIInstrumentor" in line
    assert "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS" in line and "ao_openai" in line


def test_nothing_is_said_once_the_user_has_chosen(tmp_path: Path) -> None:
    done, log = run(tmp_path, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai")
    assert done.returncode == 0 and done.stdout == "hi\n"
    assert "also instrumented by" not in log
