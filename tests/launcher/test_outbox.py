"""A dead endpoint costs the program nothing visible: no exporter output on its terminal, a bounded exit,
and its spans kept in the outbox under AO_HOME, which the next run delivers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fake_llm import FakeLLM
from fake_llm.replies import Reply
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import requests

from tests.collector_service.helpers import CollectorProcess, child_env, free_port, wait_for
from tests.support.otlp_sink import OTLPSink

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")
PROGRAM = """
    import openai
    reply = openai.OpenAI(max_retries=0).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Name a colour"}]
    )
    print(reply.choices[0].message.content)
"""


def run(
    tmp_path: Path, fake: FakeLLM, endpoint: str, other_signals: str = "none", protocol: str = "http/protobuf"
) -> tuple[subprocess.CompletedProcess, float]:
    (tmp_path / "prog.py").write_text(textwrap.dedent(PROGRAM))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env.update(**fake.env(), AO_HOME=str(tmp_path / "home"), OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
               OTEL_METRICS_EXPORTER=other_signals, OTEL_LOGS_EXPORTER=other_signals,
               OTEL_EXPORTER_OTLP_PROTOCOL=protocol)  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([LAUNCHER, sys.executable, "prog.py"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    return done, time.monotonic() - started


def kept_spans(outbox: Path) -> dict[bytes, str]:
    """Span id -> name of every span in the outbox."""
    spans = {}
    for path in outbox.glob("*.otlp"):
        request = ExportTraceServiceRequest.FromString(path.read_bytes())
        spans.update({s.span_id: s.name for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans})
    return spans


def test_spans_for_a_dead_endpoint_wait_in_the_outbox_for_the_next_run(tmp_path: Path, fake: FakeLLM, sink: OTLPSink) -> None:
    fake.reply("A deep ultramarine")
    done, elapsed = run(tmp_path, fake, f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 0 and done.stdout == "A deep ultramarine\n"
    outbox = tmp_path / "home" / "outbox"
    assert done.stderr.splitlines() == [
        f"ao: spans of this run could not be delivered; kept in {outbox} for the next run "
        f"(see {tmp_path / 'home' / 'ao-instrument.log'})"
    ]
    assert elapsed < 15  # bounded: no retries waited for at exit (the figures are in bench/)
    kept = kept_spans(outbox)
    assert sorted(kept.values()) == ["ao.run prog.py", "chat gpt-4o-mini"]

    again, _ = run(tmp_path, fake, sink.http_endpoint)
    assert again.returncode == 0 and again.stderr == ""
    received = sink.wait_for(lambda spans: len([s for s in spans if s.span.span_id in kept]) == 2)
    assert sorted(s.name for s in received if s.span.span_id in kept) == sorted(kept.values())
    assert not list(outbox.glob("*.otlp"))


def test_metrics_and_logs_for_a_dead_endpoint_do_not_hold_the_exit(tmp_path: Path, fake: FakeLLM) -> None:
    """The GenAI metrics (and logs) exporters give up at the same exit deadline as spans: without it, their
    retries kept a one-call program about 7 s longer."""
    fake.on(lambda request: Reply("Teal"))
    dead = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "traces").mkdir()
    (tmp_path / "all").mkdir()
    quiet, traces_only = run(tmp_path / "traces", fake, dead)
    done, every_signal = run(tmp_path / "all", fake, dead, "otlp")
    assert quiet.returncode == done.returncode == 0
    assert done.stdout == quiet.stdout == "Teal\n"
    assert len(done.stderr.splitlines()) == 1  # the one outbox line, nothing else
    assert every_signal < traces_only + 3.0
    log = (tmp_path / "all" / "home" / "ao-instrument.log").read_text()
    assert "metrics batch was not delivered" in log


def test_the_outbox_is_delivered_over_grpc_too(tmp_path: Path, fake: FakeLLM, sink: OTLPSink) -> None:
    done, _ = run(tmp_path, fake, f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 0
    outbox = tmp_path / "home" / "outbox"
    kept = kept_spans(outbox)
    assert len(kept) == 2

    again, _ = run(tmp_path, fake, sink.grpc_endpoint, protocol="grpc")
    assert again.returncode == 0 and again.stderr == ""
    received = sink.wait_for(lambda spans: len([s for s in spans if s.span.span_id in kept]) == 2)
    assert sorted(s.name for s in received if s.span.span_id in kept) == sorted(kept.values())
    assert not list(outbox.glob("*.otlp"))


def test_the_local_collector_takes_the_batches_kept_for_it_when_it_starts(tmp_path: Path, fake: FakeLLM) -> None:
    """A run with no endpoint of its own and no collector up (`AO_NO_AUTOSTART`) keeps its spans for the
    local collector's port; `ao-collector serve` on that port spools them at start. A batch kept for another
    endpoint stays for the next run."""
    fake.reply("A deep ultramarine")
    http, grpc, api = free_port(), free_port(), free_port()
    home = tmp_path / "home"
    (tmp_path / "prog.py").write_text(textwrap.dedent(PROGRAM))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env.update(**fake.env(), AO_HOME=str(home), AO_NO_AUTOSTART="1", AO_COLLECTOR_HTTP_PORT=str(http),
               AO_COLLECTOR_GRPC_PORT=str(grpc), AO_COLLECTOR_API_PORT=str(api))  # fmt: skip
    done = subprocess.run([LAUNCHER, sys.executable, "prog.py"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "A deep ultramarine\n"
    outbox = home / "outbox"
    kept = kept_spans(outbox)
    assert sorted(kept.values()) == ["ao.run prog.py", "chat gpt-4o-mini"]
    assert {path.name.split(".")[-2] for path in outbox.glob("*.otlp")} == {f"local{http}"}
    (tmp_path / "elsewhere").mkdir()
    elsewhere, _ = run(tmp_path / "elsewhere", fake, f"http://127.0.0.1:{free_port()}")
    assert elsewhere.returncode == 0
    others = sorted(path.rename(outbox / path.name).name for path in (tmp_path / "elsewhere" / "home" / "outbox").glob("*.otlp"))
    assert others

    ports = {"http": http, "grpc": grpc, "api": api}
    collector = CollectorProcess(tmp_path / "data", env={**child_env(), "AO_HOME": str(home)}, ports=ports)
    try:
        collector.wait_ready()
        # One insert fills ao_runs from two views (the run's spans, then its calls): a read between them sees
        # the run without its call for a moment, so wait for the call.
        runs = wait_for(lambda: [r for r in requests.get(collector.api + "/api/v1/runs", timeout=5).json()
                                 if r["call_count"]] or None, what="the kept run with its call")  # fmt: skip
        (run_row,) = runs
        assert run_row["call_count"] == 1 and run_row["status"] == "ok"
        assert len(requests.get(collector.api + "/api/v1/runs", timeout=5).json()) == 1
        assert sorted(path.name for path in outbox.iterdir() if path.is_file()) == others
    finally:
        assert collector.terminate() == 0
