"""`ao-instrument` end to end: a real program run as a child, spans received by a real OTLP sink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.collector_service.helpers import free_port
from tests.support.otlp_sink import OTLPSink

LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")


def launch(
    tmp_path: Path, source: str, sink: OTLPSink, *args: str, protocol: str = "grpc", env: dict | None = None,
    launcher_args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    endpoint = sink.grpc_endpoint if protocol == "grpc" else sink.http_endpoint
    full_env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_BSP_SCHEDULE_DELAY": "60000",  # only the exit flush can deliver the spans
        **(env or {}),
    }
    return subprocess.run(
        [LAUNCHER, *launcher_args, sys.executable, str(script), *args],
        env=full_env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


USER_SPAN = """
    import sys
    from opentelemetry import trace
    with trace.get_tracer("user").start_as_current_span("user-work"):
        print("args", sys.argv[1:])
"""


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_root_span_wraps_the_program_and_exit_code_is_kept(tmp_path: Path, sink: OTLPSink, protocol: str) -> None:
    result = launch(tmp_path, USER_SPAN + "    sys.exit(7)\n", sink, "x", "--flag", protocol=protocol)
    assert result.returncode == 7, result.stderr
    assert "args ['x', '--flag']" in result.stdout
    spans = sink.wait_for(lambda s: {"user-work", "ao.run prog.py"} <= {x.name for x in s})
    root = next(s for s in spans if s.name == "ao.run prog.py")
    user = next(s for s in spans if s.name == "user-work")
    run_id = root.attributes["ao.run.id"]
    assert len(run_id) == 32
    assert user.attributes["ao.run.id"] == run_id
    assert user.trace_id == root.trace_id and user.parent_span_id == root.span_id
    assert root.resource["process.command_args"][-3:] == [str(tmp_path / "prog.py"), "x", "--flag"]
    assert root.resource["process.working_directory"] == str(tmp_path)
    assert root.span.status.code == 2  # ERROR: non-zero exit


@pytest.mark.parametrize(
    "ending,expected",
    [
        ("raise RuntimeError('boom')", 1),
        ("import os; os.kill(os.getpid(), __import__('signal').SIGTERM)", -signal.SIGTERM),
        ("pass", 0),
    ],
)
def test_spans_are_flushed_on_every_kind_of_exit(tmp_path: Path, sink: OTLPSink, ending: str, expected: int) -> None:
    result = launch(tmp_path, USER_SPAN + f"    {ending}\n", sink)
    assert result.returncode == expected, result.stderr
    sink.wait_for(lambda s: {"user-work", "ao.run prog.py"} <= {x.name for x in s})
    if expected == 1:
        assert "RuntimeError: boom" in result.stderr


# A program that records a span, says "ready" and waits to be terminated.
SPAN_THEN_WAIT = """
    import time
    from opentelemetry import trace
    with trace.get_tracer("user").start_as_current_span("before-term"):
        pass
    print("ready", flush=True)
    time.sleep(30)
"""


def test_sigterm_to_the_launcher_reaches_the_program(tmp_path: Path, sink: OTLPSink) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(SPAN_THEN_WAIT))
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.grpc_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
           "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "60000"}  # fmt: skip
    proc = subprocess.Popen([LAUNCHER, sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == -signal.SIGTERM
    assert time.monotonic() - started < 10
    sink.wait_for(lambda s: {"before-term", "ao.run prog.py"} <= {x.name for x in s})


def test_sigterm_with_a_dead_endpoint_keeps_the_spans_in_the_outbox(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(SPAN_THEN_WAIT))
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}", "AO_HOME": str(tmp_path),
           "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "60000",
           "AO_EXIT_TIMEOUT": "1"}  # fmt: skip
    proc = subprocess.Popen([LAUNCHER, sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == -signal.SIGTERM
    assert time.monotonic() - started < 5  # the exit deadline, not the exporter's retries
    kept = b"".join(path.read_bytes() for path in (tmp_path / "outbox").glob("*.otlp"))
    assert b"before-term" in kept and b"ao.run prog.py" in kept


def test_child_python_processes_are_instrumented(tmp_path: Path, sink: OTLPSink) -> None:
    (tmp_path / "child.py").write_text(textwrap.dedent("""
        from opentelemetry import trace
        with trace.get_tracer("user").start_as_current_span("in-child"):
            pass
    """))
    source = f"""
        import subprocess, sys
        subprocess.run([sys.executable, {str(tmp_path / 'child.py')!r}], check=True)
    """
    result = launch(tmp_path, source, sink)
    assert result.returncode == 0, result.stderr
    spans = sink.wait_for(lambda s: {"in-child", "ao.run prog.py"} <= {x.name for x in s})
    root = next(s for s in spans if s.name == "ao.run prog.py")
    child = next(s for s in spans if s.name == "in-child")
    assert child.attributes["ao.run.id"] == root.attributes["ao.run.id"]
    assert child.trace_id == root.trace_id


def test_run_name_and_replay_of(tmp_path: Path, sink: OTLPSink) -> None:
    result = launch(tmp_path, "pass\n", sink, launcher_args=("--name", "triage", "--replay-of", "abc123"))
    assert result.returncode == 0, result.stderr
    spans = sink.wait_for(lambda s: any(x.name == "ao.run triage" for x in s))
    root = next(s for s in spans if s.name == "ao.run triage")
    assert root.attributes["ao.run.name"] == "triage"
    assert root.attributes["ao.run.replay_of"] == "abc123"


def test_unknown_command_fails_like_a_shell(tmp_path: Path) -> None:
    """At once, and without starting a local collector for nothing (none may be left running after it)."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_"))}
    env.update(AO_HOME=str(home), AO_COLLECTOR_HTTP_PORT=str(free_port()), AO_COLLECTOR_GRPC_PORT=str(free_port()),
               AO_COLLECTOR_API_PORT=str(free_port()))  # fmt: skip
    result = subprocess.run([LAUNCHER, "no-such-command-xyz"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 127
    assert result.stderr == "ao-instrument: command not found: no-such-command-xyz\n"
    assert not (home / "collector.log").exists()


def test_broken_endpoint_does_not_hang_the_program(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(USER_SPAN))
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_PROTOCOL":
           "http/protobuf", "OTEL_EXPORTER_OTLP_TIMEOUT": "2", "OTEL_METRICS_EXPORTER": "none",
           "OTEL_LOGS_EXPORTER": "none", "AO_HOME": str(tmp_path / "home")}  # fmt: skip
    started = time.monotonic()
    result = subprocess.run([LAUNCHER, sys.executable, str(script)], env=env, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0
    assert "args []" in result.stdout
    assert time.monotonic() - started < 30
