"""A web server under plain `opentelemetry-instrument`, as production runs it: labels live per request trace.

Real processes: `opentelemetry-instrument uvicorn app:app` (the entry script is the installed command
`bin/uvicorn`), a FastAPI app written by the test into a project directory, the official FastAPI/ASGI
instrumentation for the server spans, the real OpenAI SDK against the fake LLM server, spans exported
by OTLP to the test sink. Each request makes a call A, builds a prompt from A's answer in a module of
the app (an f-string and a join, where a label is lost unless the module is rewritten), and sends it
to a call B. The app's `/ao-state` route reads ao's public state (`DataflowInstrumentor.tracker()`)
to show from outside how many scopes and origins the server keeps.
"""

from __future__ import annotations

import signal
import site
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from fake_llm import FakeLLM
from fake_llm.replies import Reply
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from ao_instrument.dataflow.labels import origins_of
from ao_instrument.dataflow.scopes import PROCESS
from ao_instrument.dataflow.tracker import ScopeEnd, Tracker
from ao_instrument.dataflow.user_code import from_environment, project_directory
from tests.support.otlp_sink import OTLPSink, ReceivedSpan

BIN = Path(sys.executable).parent
INSTRUMENT = str(BIN / "opentelemetry-instrument")
UVICORN = str(BIN / "uvicorn")

# Every A answers the same text, long enough for content matching, which stays on as in production:
# only the labels tell which request's A reached which B.
ANSWER = "The city of Paris, on the river Seine, in France."

APP = """
    import asyncio
    import gc
    import inspect
    import os

    import openai
    from fastapi import FastAPI

    import prompts
    from ao_instrument.dataflow import DataflowInstrumentor
    from ao_instrument.dataflow.scopes import Origin

    # Recent FastAPI makes its own server spans once a tracer provider is set; APP_SERVER_SPANS=off stops them.
    native = "telemetry" in inspect.signature(FastAPI).parameters
    off = os.environ.get("APP_SERVER_SPANS") == "off"
    app = FastAPI(telemetry={"tracing": False}) if native and off else FastAPI()
    aclient = openai.AsyncOpenAI(max_retries=0)
    client = openai.OpenAI(max_retries=0)
    kept = []  # answers kept across requests


    def ask_a(n, topic):
        return dict(model=f"A{n}", messages=[{"role": "user", "content": f"Name a {topic}."}])


    def ask_b(n, topic, answer, model="B"):
        return dict(model=f"{model}{n}", messages=[{"role": "user", "content": prompts.follow_up(topic, answer)}])


    @app.get("/ask")
    async def ask(n: int, topic: str = "city", pause: float = 0.0, keep: bool = False):
        first = await aclient.chat.completions.create(**ask_a(n, topic))
        answer = first.choices[0].message.content
        if keep:
            kept.append(answer)
        await asyncio.sleep(pause)
        second = await aclient.chat.completions.create(**ask_b(n, topic, answer))
        return {"b": second.choices[0].message.content, "rewritten": prompts.REWRITTEN}


    @app.get("/ask-sync")
    def ask_sync(n: int, topic: str = "city"):
        first = client.chat.completions.create(**ask_a(n, topic))
        second = client.chat.completions.create(**ask_b(n, topic, first.choices[0].message.content))
        return {"b": second.choices[0].message.content, "rewritten": prompts.REWRITTEN}


    @app.get("/recall")
    async def recall(n: int):
        # An answer of an earlier request (its trace ended): its label no longer links.
        await aclient.chat.completions.create(**ask_b(n, "city", kept[-1], model="C"))
        return {}


    @app.get("/ao-state")
    def ao_state():
        tracker = DataflowInstrumentor.tracker()
        scopes = [list(scope.key) for scope in tracker.scopes.live()] if tracker is not None else None
        gc.collect()
        origins = sum(1 for o in gc.get_objects() if type(o) is Origin)
        return {"scopes": scopes, "origins": origins}
"""

PROMPTS = """
    def follow_up(topic, answer):
        words = " ".join([topic, "=", answer])
        return f"Tell me more about {words}!"


    REWRITTEN = "@ao" in globals()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    service: str
    log: Path

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = requests.get(self.url + path, params=params, timeout=30)
        assert answer.status_code == 200, (answer.status_code, answer.text, self.log.read_text())
        return answer.json()

    def state(self) -> dict[str, Any]:
        return self.get("/ao-state")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


def start_server(tmp_path: Path, sink: OTLPSink, fake: FakeLLM, **env: str) -> Server:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(textwrap.dedent(APP))
    (project / "prompts.py").write_text(textwrap.dedent(PROMPTS))
    service = f"server-{uuid.uuid4().hex[:8]}"
    full_env = sink.child_env(service, **fake.env(), **{"OTEL_BSP_SCHEDULE_DELAY": "200", **env})
    full_env.pop("PYTHONPATH", None)  # the app is found from the working directory, as in production
    port = free_port()
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        [INSTRUMENT, UVICORN, "app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=full_env, cwd=project, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", service, log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}: {log.read_text()}")
        try:
            server.state()
            return server
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                stop_server(server)
                raise AssertionError(f"server did not start: {log.read_text()}") from None
            time.sleep(0.1)


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


@pytest.fixture
def slow_a(fake: FakeLLM) -> FakeLLM:
    """Every call A answers ANSWER after a short delay (so that requests overlap)."""
    fake.on(lambda request: Reply(ANSWER, delay=0.2) if request.model.startswith("A") else None)
    return fake


@pytest.fixture
def server(tmp_path: Path, sink: OTLPSink, slow_a: FakeLLM) -> Iterator[Server]:
    server = start_server(tmp_path, sink, slow_a)
    yield server
    stop_server(server)


# The server spans: from the official FastAPI/ASGI instrumentation, else from FastAPI itself (recent versions).
SERVER_SPANS = {
    "fastapi instrumentation": ({}, "opentelemetry.instrumentation.fastapi"),
    "fastapi native": ({"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai,fastapi"}, "fastapi"),
}


def llm_calls(sink: OTLPSink, service: str, models: set[str]) -> dict[str, ReceivedSpan]:
    """The service's LLM call spans by model, once every model in `models` has arrived."""
    mine = lambda spans: {  # noqa: E731
        str(s.attributes["gen_ai.request.model"]): s
        for s in spans
        if s.resource.get("service.name") == service and "gen_ai.operation.name" in s.attributes
    }
    return mine(sink.wait_for(lambda spans: models <= set(mine(spans)), 30))


def dataflow_links(span: ReceivedSpan) -> dict[str, dict]:
    return {span_id: attrs for span_id, attrs in span.links if attrs.get("ao.link.type") == "dataflow"}


def taint_link(path: str = "messages[0].content") -> dict[str, Any]:
    return {"ao.link.type": "dataflow", "ao.dataflow.via": "taint", "ao.dataflow.path": path}


def server_spans(sink: OTLPSink, service: str, traces: frozenset[str] = frozenset()) -> dict[str, ReceivedSpan]:
    """The service's SERVER spans (the FastAPI/ASGI instrumentation's) by span id, once one has arrived in
    each trace of `traces`."""
    mine = lambda spans: {  # noqa: E731
        s.span_id: s for s in spans if s.resource.get("service.name") == service and s.span.kind == s.span.SPAN_KIND_SERVER
    }
    return mine(sink.wait_for(lambda spans: traces <= {s.trace_id for s in mine(spans).values()}, 30))


def ask_concurrently(server: Server, count: int, route: str = "/ask", first: int = 0) -> None:
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda n: server.get(route, n=n), range(first, first + count)))
    assert all(answer["rewritten"] for answer in answers)  # bin/uvicorn ran, the app's modules are rewritten


def test_a_server_stopped_by_sigterm_exports_its_last_spans_and_its_run(
    tmp_path: Path, sink: OTLPSink, slow_a: FakeLLM
) -> None:
    """uvicorn re-raises SIGTERM once it has shut down, so the process dies of it and the SDK's exit flush never
    runs: ao flushes on SIGTERM (uvicorn restores that handler before re-raising), after ending the process
    run's root span, which exit would have ended. The batch processor here would wait a minute to export."""
    server = start_server(tmp_path, sink, slow_a, OTEL_BSP_SCHEDULE_DELAY="60000")
    try:
        server.get("/ask", n=0)
    finally:
        stop_server(server)
    assert server.process.returncode == -signal.SIGTERM  # as it dies without ao
    calls = llm_calls(sink, server.service, {"A0", "B0"})
    [root] = [s for s in sink.spans if s.resource.get("service.name") == server.service and s.name == "ao.run uvicorn"]
    assert root.attributes["ao.run.id"] == calls["B0"].attributes["ao.run.id"]
    assert root.span.end_time_unix_nano >= calls["B0"].span.end_time_unix_nano


@pytest.mark.parametrize("spans", SERVER_SPANS)
def test_each_request_links_its_b_to_its_own_a_only(
    tmp_path: Path, sink: OTLPSink, slow_a: FakeLLM, spans: str
) -> None:
    env, scope_name = SERVER_SPANS[spans]
    server = start_server(tmp_path, sink, slow_a, **env)
    try:
        ask_concurrently(server, 4, "/ask")  # async handlers, on the event loop
        ask_concurrently(server, 4, "/ask-sync", first=4)  # sync handlers, in the thread pool
        state = server.state()
        # Received before the server stops (the state read above made spans of its own).
        calls = llm_calls(sink, server.service, {f"{m}{n}" for m in "AB" for n in range(8)})
        servers = server_spans(sink, server.service, frozenset(calls[f"A{n}"].trace_id for n in range(8)))
    finally:
        stop_server(server)
    assert {span.scope for span in servers.values()} == {scope_name}
    for n in range(8):
        a, b = calls[f"A{n}"], calls[f"B{n}"]
        # Both calls are in the request's trace, under its SERVER span (FastAPI's own spans put an
        # operation span between them).
        assert a.trace_id == b.trace_id and a.parent_span_id == b.parent_span_id
        assert [s.trace_id for s in servers.values()].count(a.trace_id) == 1
        # B links to its own A only, by label, though every A answered the same text.
        assert dataflow_links(b) == {a.span_id: taint_link()}
        assert b.attributes["ao.taint.origins"] == [a.span_id]
        assert not dataflow_links(a)
    assert len({calls[f"A{n}"].trace_id for n in range(8)}) == 8
    prompts = sorted(r.body["messages"][0]["content"] for r in slow_a.requests if r.model.startswith("B"))
    assert prompts == [f"Tell me more about city = {ANSWER}!"] * 8
    assert state == {"scopes": [], "origins": 0}  # every request's scope ended with its trace


def test_the_scope_of_a_request_ends_with_its_trace(server: Server, sink: OTLPSink) -> None:
    server.get("/ask", n=0, keep="true")
    assert server.state()["scopes"] == []  # the request's trace scope ended with its SERVER span
    server.get("/recall", n=1)
    calls = llm_calls(sink, server.service, {"A0", "B0", "C1"})
    assert dataflow_links(calls["B0"]) == {calls["A0"].span_id: taint_link()}
    # The kept answer still carries A0's label, but A0's scope is over: no link from a later request.
    assert not dataflow_links(calls["C1"]) and "ao.taint.origins" not in calls["C1"].attributes


def test_requests_of_one_trace_share_a_scope_until_the_last_one_ends(server: Server, sink: OTLPSink) -> None:
    # A caller fans out two requests in one trace; the first ends while the second is between A and B.
    trace_id = uuid.uuid4().hex
    headers = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}

    def ask(n: int, pause: float) -> None:
        answer = requests.get(server.url + "/ask", params={"n": n, "pause": pause}, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(ask, [0, 1], [0.0, 1.0]))
    calls = llm_calls(sink, server.service, {"A0", "B0", "A1", "B1"})
    assert {span.trace_id for span in calls.values()} == {trace_id}
    assert dataflow_links(calls["B0"]) == {calls["A0"].span_id: taint_link()}
    assert dataflow_links(calls["B1"]) == {calls["A1"].span_id: taint_link()}
    assert server.state() == {"scopes": [], "origins": 0}


def test_memory_stays_bounded_over_many_requests(server: Server) -> None:
    def burst(count: int) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: server.get("/ask", n=n), range(count)))

    burst(24)
    before = server.rss_kb()
    burst(160)
    assert server.state() == {"scopes": [], "origins": 0}
    # Generous: a leak of what a request keeps (origins, indexed text, links) would grow without end.
    assert server.rss_kb() - before < 40_000


def test_unsampled_requests_keep_nothing(tmp_path: Path, sink: OTLPSink, slow_a: FakeLLM) -> None:
    # The ratio sampler samples out every request that starts a trace here; requests whose caller sampled
    # their trace (traceparent flag 01) are sampled, as a parent-based sampler does.
    server = start_server(
        tmp_path, sink, slow_a, OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG="0"
    )

    def ask(n: int) -> None:
        headers = {"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"} if n % 2 == 0 else {}
        answer = requests.get(server.url + "/ask", params={"n": n}, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(ask, range(16)))
        state = server.state()
        calls = llm_calls(sink, server.service, {f"{m}{n}" for m in "AB" for n in range(0, 16, 2)})
    finally:
        stop_server(server)
    # Sampled-out requests left no scope and no origin behind (their outputs are not labelled).
    assert state == {"scopes": [], "origins": 0}
    assert set(calls) == {f"{m}{n}" for m in "AB" for n in range(0, 16, 2)}
    for n in range(0, 16, 2):
        assert dataflow_links(calls[f"B{n}"]) == {calls[f"A{n}"].span_id: taint_link()}


def test_without_server_instrumentation_labels_live_in_the_process_scope(
    tmp_path: Path, sink: OTLPSink, slow_a: FakeLLM
) -> None:
    # Only the SDK calls are traced (no server instrumentation, FastAPI's own spans off): each call is the
    # root of its own trace, so a request has no trace to scope its labels; they live in the process
    # scope, bounded by its caps but not released per request. Links are still per request.
    server = start_server(
        tmp_path, sink, slow_a, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai,fastapi", APP_SERVER_SPANS="off"
    )
    try:
        ask_concurrently(server, 4)
        state = server.state()
        calls = llm_calls(sink, server.service, {f"{m}{n}" for m in "AB" for n in range(4)})
    finally:
        stop_server(server)
    assert not server_spans(sink, server.service)
    for n in range(4):
        a, b = calls[f"A{n}"], calls[f"B{n}"]
        assert a.trace_id != b.trace_id and not a.parent_span_id and not b.parent_span_id
        assert dataflow_links(b) == {a.span_id: taint_link()}
    assert state == {"scopes": [["process"]], "origins": 8}  # one per call, kept for the process


# In-process checks of the pieces the server tests rely on.


@pytest.fixture
def tracked() -> tuple[Tracker, TracerProvider]:
    tracker = Tracker()
    provider = TracerProvider()
    provider.add_span_processor(ScopeEnd(tracker))
    return tracker, provider


def remote_parent(trace_id: int) -> otel_context.Context:
    parent = SpanContext(trace_id, 0xABC, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return trace.set_span_in_context(NonRecordingSpan(parent))


def call(trace_id: int, span_id: int, sampled: bool = True) -> SpanContext:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return SpanContext(trace_id, span_id, is_remote=False, trace_flags=flags)


def test_a_trace_scope_lives_until_its_last_local_root_ends(
    tracked: tuple[Tracker, TracerProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AO_RUN_ID", raising=False)
    tracker, provider = tracked
    tracer = provider.get_tracer("t")
    first = tracer.start_span("GET /ask", context=remote_parent(5), kind=SpanKind.SERVER)
    second = tracer.start_span("GET /ask", context=remote_parent(5), kind=SpanKind.SERVER)
    with trace.use_span(second):
        late = tracker.label_output("answer of the second request", call(5, 2))
    first.end()  # the first request of the trace ends while the second goes on
    assert [scope.key for scope in tracker.scopes.live()] == [("trace", 5)]
    assert tracker.request_links({"input": late})
    second.end()
    assert tracker.scopes.live() == [] and not tracker.request_links({"input": late})


def test_labels_made_after_the_trace_ended_go_to_the_process_scope(
    tracked: tuple[Tracker, TracerProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AO_RUN_ID", raising=False)
    tracker, provider = tracked
    request = provider.get_tracer("t").start_span("GET /ask", context=remote_parent(6), kind=SpanKind.SERVER)
    request.end()
    with trace.use_span(request):  # a task the request left running, with the request's context
        out = tracker.label_output("an answer after the response", call(6, 3))
    assert [scope.key for scope in tracker.scopes.live()] == [PROCESS]  # no trace scope nothing would end
    assert tracker.request_links({"input": out})
    tracker.scopes.end_all()


def test_outputs_of_sampled_out_requests_are_not_labelled(
    tracked: tuple[Tracker, TracerProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AO_RUN_ID", raising=False)
    tracker, _ = tracked
    unsampled = NonRecordingSpan(call(7, 1, sampled=False))
    with trace.use_span(unsampled):
        out = tracker.label_output("an answer nobody records", call(7, 2, sampled=False))
    assert type(out) is str and tracker.scopes.live() == []
    # Outside any recorded trace (a script without spans, or a sampled call) outputs are labelled.
    assert origins_of(tracker.label_output("kept", call(8, 1, sampled=False)))
    tracker.scopes.end_all()


@pytest.mark.parametrize("where", ["venv bin", "user base bin", "python -m"])
def test_an_installed_command_makes_the_working_directory_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    user_base = tmp_path / "home" / ".local"
    monkeypatch.setattr(site, "getuserbase", lambda: str(user_base))
    command = {
        "venv bin": Path(sys.prefix) / "bin" / "uvicorn",
        "user base bin": user_base / "bin" / "uvicorn",
        "python -m": Path(uvicorn.__file__).parent / "__main__.py",
    }[where]
    if where == "user base bin":
        command.parent.mkdir(parents=True)
        command.write_text("from uvicorn.main import main\nmain()\n")
    assert command.is_file()
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "argv", [str(command), "app:app"])
    assert project_directory() == str(project)
    assert from_environment().contains(str(project / "app.py"))
    # A script of the user's own stays the project.
    monkeypatch.setattr(sys, "argv", [str(project / "app.py")])
    (project / "app.py").write_text("")
    assert project_directory() == str(project)
