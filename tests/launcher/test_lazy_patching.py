"""Lazy patching (issue 10.1): under the launcher, ao imports neither SDK nor the libraries it patches for
origin tracking before the program does, and patches each when the program imports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from fake_llm import FakeLLM

from tests.launcher.test_launcher import LAUNCHER, launch
from tests.support.otlp_sink import OTLPSink

LAZY = ("openai", "anthropic", "pydantic", "yaml", "httpx2", "fastapi")

PROGRAM = """
    import json, sys
    before = {name: name in sys.modules for name in %r}
    import openai
    client = openai.OpenAI(max_retries=0)
    first = client.responses.create(model="gpt-4o-mini", input="hello").output_text
    client.responses.create(model="gpt-4o-mini", input="Answer " + first)
    print(json.dumps({"before": before}))
"""


def _peers() -> str:
    """The instrumentors installed beside ao for the tests (they import their libraries when loaded)."""
    return ",".join(sorted({e.name for e in entry_points(group="opentelemetry_instrumentor")
                            if not e.value.startswith("ao_instrument")}))  # fmt: skip


def test_nothing_is_imported_before_the_program_and_the_sdk_is_patched_on_import(
    tmp_path: Path, sink: OTLPSink, fake: FakeLLM
) -> None:
    done = launch(tmp_path, PROGRAM % (LAZY,), sink, protocol="http/protobuf",
                  env={**fake.env(), "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": _peers()})  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["before"] == {name: False for name in LAZY}
    spans = sink.wait_for(lambda spans: len([s for s in spans if s.name == "chat gpt-4o-mini"]) == 2)
    calls = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert len(calls) == 2  # the SDK was patched when the program imported it
    # `Response.output_text` (joined in SDK code) was patched for origin tracking on import too: the
    # second request, built from it, links to the first call
    first, second = sorted(calls, key=lambda s: s.attributes["gen_ai.input.messages"].count("Answer"))
    assert [target for target, _ in second.links] == [first.span_id]


def test_a_pytest_suite_that_turns_warnings_into_errors_runs_alike_under_the_launcher(
    tmp_path: Path, sink: OTLPSink
) -> None:
    """ao imports no pytest plugin's module (anyio, through the SDKs' HTTP clients) before pytest rewrites it."""
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n')
    (tmp_path / "test_sample.py").write_text("def test_ok():\n    assert 1 + 1 == 2\n\ndef test_fails():\n    assert 0\n")
    plain = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    under = subprocess.run(
        [LAUNCHER, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
             "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": _peers()},  # the FastAPI instrumentor imports anyio itself
    )  # fmt: skip
    assert plain.returncode == under.returncode == 1, under.stdout + under.stderr
    summary = [line for line in plain.stdout.splitlines() if "passed" in line or "failed" in line][-1]
    assert summary.split(" in ")[0] in under.stdout
    assert "PytestAssertRewriteWarning" not in under.stdout + under.stderr


# Loaded only once there is something to do: the exporter with the first export, the rewriter with the
# first user module, tracking (tracker, library patches) with the first LLM SDK.
DEFERRED = (
    "requests",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "ao_instrument.dataflow.rewrite",
    "ao_instrument.dataflow.tracker",
    "ao_instrument.dataflow.patches",
)
LOADED = """
import json, sys
names = %r
before = [name for name in names if name in sys.modules]
import openai
print(json.dumps({"before": before, "after": [name for name in names if name in sys.modules]}))
""" % (DEFERRED,)


def test_a_process_that_does_nothing_loads_neither_exporter_nor_rewriter_nor_tracking(
    tmp_path: Path, sink: OTLPSink
) -> None:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http_endpoint, "OTEL_METRICS_EXPORTER": "none",
           "OTEL_LOGS_EXPORTER": "none", "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": _peers(), "AO_HOME": str(tmp_path)}
    done = subprocess.run([LAUNCHER, sys.executable, "-c", LOADED], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["before"] == []
    # importing an SDK starts tracking; nothing was exported yet and no user module was imported
    assert out["after"] == ["ao_instrument.dataflow.tracker", "ao_instrument.dataflow.patches"]
    spans = sink.wait_for(lambda spans: any(s.name.startswith("ao.run ") for s in spans))
    (root,) = [s for s in spans if s.name.startswith("ao.run ")]
    assert root.attributes["process.exit.code"] == 0
