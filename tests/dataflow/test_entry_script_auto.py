"""The entry script is rewritten under plain `opentelemetry-instrument` too (the post-instrument hook).

Real processes: `opentelemetry-instrument python prog.py` (and `ao-instrument`), the real OpenAI SDK
against the fake LLM server, spans exported by OTLP to the test sink.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from fake_llm import FakeLLM

from tests.support.otlp_sink import OTLPSink, ReceivedSpan

BIN = Path(sys.executable).parent
INSTRUMENT = str(BIN / "opentelemetry-instrument")
LAUNCHER = str(BIN / "ao-instrument")

# The flows are in the script's own top-level code, through an f-string and a join: without the
# rewriting the label is lost there (replies are short, so content matching could not link them).
FLOWS = """
    import openai

    client = openai.OpenAI(max_retries=0)
    first = client.chat.completions.create(model="A", messages=[{"role": "user", "content": "Name a city."}])
    city = first.choices[0].message.content
    second = client.chat.completions.create(
        model="B", messages=[{"role": "user", "content": f"Tell me about {city}."}]
    )
    facts = ", ".join([city, second.choices[0].message.content])
    client.chat.completions.create(model="C", messages=[{"role": "user", "content": facts}])
    print("rewritten" if "@ao" in globals() else "as written")
"""


def run(
    command: list[str], tmp_path: Path, source: str, sink: OTLPSink, fake: FakeLLM | None = None, *args: str,
    **env: str,
) -> tuple[subprocess.CompletedProcess, str]:
    """Run `command python prog.py args` with OTLP to the sink; the process and its service name."""
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    service = f"entry-{uuid.uuid4().hex[:8]}"
    full_env = sink.child_env(service, **(fake.env() if fake else {}), AO_CONTENT_MATCH="off", **env)
    done = subprocess.run(
        [*command, sys.executable, str(script), *args], env=full_env, cwd=tmp_path, capture_output=True, text=True,
        timeout=90,
    )  # fmt: skip
    return done, service


def calls(sink: OTLPSink, service: str, count: int) -> dict[str, ReceivedSpan]:
    """The service's LLM call spans by model, once `count` have arrived."""
    mine = lambda spans: [  # noqa: E731
        s for s in spans if s.resource.get("service.name") == service and "gen_ai.operation.name" in s.attributes
    ]
    spans = mine(sink.wait_for(lambda spans: len(mine(spans)) >= count, 20))
    assert len(spans) == count, [s.name for s in spans]
    return {str(s.attributes["gen_ai.request.model"]): s for s in spans}


def dataflow_links(span: ReceivedSpan) -> dict[str, dict]:
    return {span_id: attrs for span_id, attrs in span.links if attrs.get("ao.link.type") == "dataflow"}


def queue_replies(fake: FakeLLM) -> None:
    for text in ("Paris", "Big", "ok"):
        fake.reply(text)


def test_flows_in_the_entry_script_link_under_opentelemetry_instrument(
    tmp_path: Path, sink: OTLPSink, fake: FakeLLM
) -> None:
    queue_replies(fake)
    done, service = run([INSTRUMENT], tmp_path, FLOWS, sink, fake)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "rewritten"
    by_model = calls(sink, service, 3)
    a, b, c = by_model["A"], by_model["B"], by_model["C"]
    assert dataflow_links(b) == {
        a.span_id: {"ao.link.type": "dataflow", "ao.dataflow.via": "taint", "ao.dataflow.path": "messages[0].content"}
    }
    assert set(dataflow_links(c)) == {a.span_id, b.span_id}
    assert sorted(c.attributes["ao.taint.origins"]) == sorted([a.span_id, b.span_id])
    assert [r.body["messages"][0]["content"] for r in fake.requests[1:]] == ["Tell me about Paris.", "Paris, Big"]


@pytest.mark.parametrize(
    "env",
    [{"AO_TAINT": "off"}, {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai,ao_dataflow"}],
    ids=["AO_TAINT=off", "ao_dataflow disabled"],
)
def test_without_origin_tracking_the_script_runs_as_written(
    tmp_path: Path, sink: OTLPSink, fake: FakeLLM, env: dict[str, str]
) -> None:
    queue_replies(fake)
    done, service = run([INSTRUMENT], tmp_path, FLOWS, sink, fake, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "as written"
    by_model = calls(sink, service, 3)
    assert not any(dataflow_links(span) for span in by_model.values())


# What a program can observe of `__main__`, its arguments, its exit: printed, then compared with plain `python`.
SEMANTICS = """
    import atexit, os, pickle, sys, threading, time

    class Thing:
        pass

    def later():
        time.sleep(0.2)
        print("thread joined", flush=True)

    atexit.register(lambda: print("atexit ran", flush=True))
    threading.Thread(target=later).start()
    main = sys.modules["__main__"]
    print(__name__, __file__, sys.argv, __spec__, __package__, __cached__, type(__loader__).__name__)
    print(main.Thing is Thing, main.__dict__ is globals(), pickle.loads(pickle.dumps(Thing())).__class__ is Thing)
    print(sys.path[0] == os.path.dirname(os.path.realpath(__file__)), bool(sys.flags.inspect))
    how = sys.argv[1]
    if how == "exit":
        sys.exit(int(sys.argv[2]))
    if how == "message":
        sys.exit("bad input")
    if how == "raise":
        def fail(value):
            raise ValueError(f"no {value}")
        fail("way")
    if how == "interrupt":
        raise KeyboardInterrupt
    if __name__ == "__main__":
        print("main guard")
"""


@pytest.mark.parametrize(
    "args,status",
    [(("ok",), 0), (("exit", "3"), 3), (("exit", "300"), 44), (("message",), 1), (("raise",), 1),
     (("interrupt",), -signal.SIGINT)],
)
def test_main_module_exit_status_and_output_are_as_without_ao(
    tmp_path: Path, sink: OTLPSink, args: tuple[str, ...], status: int
) -> None:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(SEMANTICS))
    plain = subprocess.run(
        [sys.executable, str(script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    done, _ = run([INSTRUMENT], tmp_path, SEMANTICS, sink, None, *args)
    assert plain.returncode == status
    assert (done.returncode, done.stdout, done.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert "__main__" in done.stdout and "atexit ran" in done.stdout and "thread joined" in done.stdout
    if args == ("raise",):
        assert "ValueError: no way" in done.stderr and "ao_instrument" not in done.stderr


def test_a_script_python_cannot_compile_is_left_to_python(tmp_path: Path, sink: OTLPSink) -> None:
    source = "print('never')\nx = (\n"
    (tmp_path / "prog.py").write_text(source)
    plain = subprocess.run([sys.executable, "prog.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    done, _ = run([INSTRUMENT], tmp_path, source, sink)
    assert "SyntaxError" in plain.stderr
    assert (done.returncode, done.stdout, done.stderr) == (plain.returncode, plain.stdout, plain.stderr)


def test_the_script_is_rewritten_once_with_an_interpreter_option_and_no_other_process(
    tmp_path: Path, sink: OTLPSink, fake: FakeLLM
) -> None:
    queue_replies(fake)
    source = FLOWS + "    print('ran', __file__)\n"
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AO_", "OPENAI_"))}
    env.update({**fake.env(), "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none", "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai"})  # fmt: skip
    done = subprocess.run(
        [INSTRUMENT, sys.executable, "-u", "-W", "ignore", "prog.py"], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["rewritten", f"ran {script}"]
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    "command",
    [[LAUNCHER, "--no-autostart"], [LAUNCHER, "--no-autostart", INSTRUMENT]],
    ids=["ao-instrument", "ao-instrument opentelemetry-instrument"],
)
def test_under_ao_instrument_the_script_runs_rewritten_exactly_once(
    tmp_path: Path, sink: OTLPSink, fake: FakeLLM, command: list[str]
) -> None:
    queue_replies(fake)
    done, service = run(command, tmp_path, FLOWS, sink, fake)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "rewritten"  # printed once: the script ran once
    assert len(fake.requests) == 3
    by_model = calls(sink, service, 3)
    a, b = by_model["A"], by_model["B"]
    assert set(dataflow_links(b)) == {a.span_id}
    is_root = lambda s: s.name.startswith("ao.run ") and s.resource.get("service.name") == service  # noqa: E731
    root = next(s for s in sink.wait_for(lambda spans: any(map(is_root, spans))) if is_root(s))
    for span in by_model.values():  # the process joined the launcher's run
        assert span.attributes["ao.run.id"] == root.attributes["ao.run.id"] and span.trace_id == root.trace_id
