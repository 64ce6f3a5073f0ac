"""The run's root span: ids drawn before the command starts, recorded while it runs (`root_context`, `run_span`)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.launcher.test_launcher import launch
from tests.support.otlp_sink import OTLPSink

PROGRAM = """
    import os, time
    from opentelemetry import trace
    print(os.environ["TRACEPARENT"])
    with trace.get_tracer("user").start_as_current_span("user-work"):
        time.sleep(0.05)
"""


def test_the_command_starts_under_the_root_span_it_is_given(tmp_path: Path, sink: OTLPSink) -> None:
    done = launch(tmp_path, PROGRAM, sink, protocol="http/protobuf")
    assert done.returncode == 0, done.stderr
    spans = sink.wait_for(lambda spans: {"user-work", "ao.run prog.py"} <= {s.name for s in spans})
    (root,) = [s for s in spans if s.name == "ao.run prog.py"]
    (work,) = [s for s in spans if s.name == "user-work"]
    version, trace_id, span_id, flags = done.stdout.strip().split("-")
    assert (version, flags) == ("00", "01")
    assert (root.span.trace_id.hex(), root.span_id) == (trace_id, span_id)
    assert work.span.trace_id.hex() == trace_id and work.span.parent_span_id.hex() == span_id
    # the root span starts before the command and ends after it
    assert root.span.start_time_unix_nano < work.span.start_time_unix_nano
    assert root.span.end_time_unix_nano > work.span.end_time_unix_nano
    assert root.attributes["ao.run.id"] == work.attributes["ao.run.id"]


def test_a_sampler_that_drops_the_run_decides_before_the_command_starts(tmp_path: Path, sink: OTLPSink) -> None:
    done = launch(tmp_path, PROGRAM + "\n    print('done')\n", sink, protocol="http/protobuf",
                  env={"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    traceparent, last = done.stdout.split()
    assert traceparent.endswith("-00") and last == "done"  # not sampled: the program's spans follow
    time.sleep(0.5)  # anything exported would have arrived: both processes exported at exit
    assert [s.name for s in sink.spans] == []
