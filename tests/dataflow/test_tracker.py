"""The tracker: links from requests, scopes per run and trace, caps, and memory released after a run."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanContext

import ao_instrument
from ao_instrument.dataflow.labels import LStr, origins_of
from ao_instrument.dataflow.tracker import MAX_LINKS, ScopeEnd, Tracker
from tests.dataflow.conftest import run


def ctx(n: int, trace_id: int = 1) -> SpanContext:
    return SpanContext(trace_id=trace_id, span_id=n, is_remote=False)


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    yield Tracker()


@pytest.fixture
def provider(tracker: Tracker) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(ScopeEnd(tracker))
    return provider


def test_links_carry_type_via_and_path(tracker: Tracker) -> None:
    a = tracker.label_output("first answer", ctx(1))
    b = tracker.label_output("second", ctx(2))
    request = {
        "model": "m",
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": a}],
        "tools": ({"function": {"description": "about " + b}},),
    }
    links = tracker.request_links(request)
    assert [(link.context.span_id, dict(link.attributes)) for link in links] == [
        (1, {"ao.link.type": "dataflow", "ao.dataflow.via": "taint", "ao.dataflow.path": "messages[1].content"}),
        (2, {"ao.link.type": "dataflow", "ao.dataflow.via": "taint", "ao.dataflow.path": "tools[0].function.description"}),
    ]


def test_one_link_per_origin_and_at_most_128(tracker: Tracker) -> None:
    outputs = [tracker.label_output(f"answer {i}", ctx(i + 1)) for i in range(MAX_LINKS + 40)]
    links = tracker.request_links({"input": outputs + outputs})
    assert len(links) == MAX_LINKS == 128
    assert len({link.context.span_id for link in links}) == MAX_LINKS


def test_sdk_like_objects_and_numbers_in_requests(tracker: Tracker) -> None:
    import pydantic

    class Message(pydantic.BaseModel):
        role: str
        content: str

    Message.__module__ = "openai.types.chat"  # an SDK model: its metadata fields stay plain
    out = tracker.label_output(Message(role="assistant", content="hi there"), ctx(5))
    assert type(out.role) is str and isinstance(out.content, LStr)
    number = run("def f(x): return int(x) * 2")["f"](tracker.label_output("21", ctx(6)))
    links = tracker.request_links({"messages": [out], "max_tokens": number, "metadata": {"k": "v"}})
    assert {(link.context.span_id, link.attributes["ao.dataflow.path"]) for link in links} == {
        (5, "messages[0].content"), (6, "max_tokens"),
    }  # fmt: skip


def test_run_scope_ends_with_its_run(tracker: Tracker, provider: TracerProvider) -> None:
    with ao_instrument.run("first", tracer_provider=provider):
        early = tracker.label_output("from the first run", ctx(1))
        assert tracker.request_links({"input": early})
    assert origins_of(early) and not tracker.request_links({"input": early})
    assert tracker.scopes.live() == []


def test_trace_scope_without_runs(tracker: Tracker, provider: TracerProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AO_RUN_ID", raising=False)
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("request"):
        inside = tracker.label_output("handled in one request", ctx(3, trace_id=99))
        assert tracker.request_links({"input": inside})
    assert not tracker.request_links({"input": inside})
    outside = tracker.label_output("no span around", ctx(4))
    assert tracker.request_links({"input": outside})  # the process scope never ends


def test_memory_returns_to_baseline_after_a_run(tracker: Tracker, provider: TracerProvider) -> None:
    def one_run() -> None:
        with ao_instrument.run("big", tracer_provider=provider):
            for i in range(200):
                out = tracker.label_output("word " * 2000 + str(i), ctx(i + 1))
                derived = run("def f(x): return f'<{x.upper()}>' + x[:10]")["f"](out)
                tracker.request_links({"messages": [{"content": derived}], "extra": "plain " * 50})

    one_run()  # warm caches (imports, code objects)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    one_run()
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak - before > 2_000_000  # the run really held its outputs
    assert after - before < 200_000


def test_labelling_stops_when_the_budget_is_spent(tracker: Tracker, provider: TracerProvider) -> None:
    from ao_instrument.dataflow import labels

    f = run("def f(x): return [f'{x}{i}' for i in range(5)]")["f"]
    with ao_instrument.run("budget", tracer_provider=provider):
        out = tracker.label_output("abc", ctx(1))
        labels.BUDGET[0] = 2
        assert [isinstance(v, LStr) for v in f(out)] == [True, True, False, False, False]
    assert labels.BUDGET[0] == labels.LABEL_BUDGET  # refilled when the run ended


def test_streamed_snapshots_are_relabelled_as_they_grow(tracker: Tracker) -> None:
    import pydantic

    class Block(pydantic.BaseModel):
        text: str

    block = tracker.label_output(Block(text="Hel"), ctx(7))
    block.text = block.text + "lo"  # what an SDK does while accumulating a stream
    tracker.label_output(block, ctx(7))
    assert [link.attributes["ao.dataflow.path"] for link in tracker.request_links({"x": block.text[3:]})] == ["x"]


def test_request_links_and_labels_never_raise(tracker: Tracker) -> None:
    class Weird(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    assert tracker.request_links({"messages": Weird(a=1)}) == ()
    assert tracker.label_output(Weird(a="x"), ctx(1)) == {"a": "x"}
