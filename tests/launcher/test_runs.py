"""`ao_instrument.run(name)`: subruns with their own root span and run id, in threads and tasks."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import ao_instrument
from ao_instrument.runs import install_run_processor


@pytest.fixture
def provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    assert install_run_processor(tp)
    assert not install_run_processor(tp)  # once only
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    return tp, exporter


def by_name(exporter: InMemorySpanExporter) -> dict[str, object]:
    return {s.name: s for s in exporter.get_finished_spans()}


def test_subrun_has_its_own_root_span_and_id(provider) -> None:
    tp, exporter = provider
    tracer = tp.get_tracer("t")
    with tracer.start_as_current_span("outer"):
        with ao_instrument.run("plan", tracer_provider=tp) as outer_run:
            assert ao_instrument.current_run_id() == outer_run.run_id
            with tracer.start_as_current_span("work"):
                pass
            with ao_instrument.run("step", tracer_provider=tp) as inner_run:
                with tracer.start_as_current_span("inner-work"):
                    pass
        assert ao_instrument.current_run_id() is None
    spans = by_name(exporter)
    root, step = spans["ao.run plan"], spans["ao.run step"]
    assert root.parent is None  # its own trace, not under "outer"
    assert root.context.trace_id != spans["outer"].context.trace_id
    assert root.attributes["ao.run.id"] == outer_run.run_id and root.attributes["ao.run.name"] == "plan"
    assert spans["work"].attributes["ao.run.id"] == outer_run.run_id
    assert spans["work"].parent.span_id == root.context.span_id
    assert step.attributes["ao.run.parent_id"] == outer_run.run_id
    assert spans["inner-work"].attributes["ao.run.id"] == inner_run.run_id
    assert "ao.run.id" not in spans["outer"].attributes


def test_subrun_records_an_exception(provider) -> None:
    tp, exporter = provider
    with pytest.raises(ValueError):
        with ao_instrument.run("bad", tracer_provider=tp):
            raise ValueError("nope")
    root = by_name(exporter)["ao.run bad"]
    assert root.status.status_code.name == "ERROR"
    assert root.attributes["error.type"] == "ValueError"


def test_subruns_in_threads_do_not_mix(provider) -> None:
    tp, exporter = provider
    tracer = tp.get_tracer("t")

    def job(i: int) -> str:
        with ao_instrument.run(f"job{i}", tracer_provider=tp) as r:
            for _ in range(20):
                with tracer.start_as_current_span(f"work{i}"):
                    assert ao_instrument.current_run_id() == r.run_id
            return r.run_id

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(job, range(8)))
    assert len(set(ids)) == 8
    for span in exporter.get_finished_spans():
        if span.name.startswith("work"):
            assert span.attributes["ao.run.id"] == ids[int(span.name[4:])]


def test_async_subruns_in_tasks_do_not_mix(provider) -> None:
    tp, exporter = provider
    tracer = tp.get_tracer("t")

    async def job(i: int) -> str:
        async with ao_instrument.run(f"task{i}", tracer_provider=tp) as r:
            for _ in range(5):
                await asyncio.sleep(0)
                with tracer.start_as_current_span(f"work{i}"):
                    assert ao_instrument.current_run_id() == r.run_id
            return r.run_id

    async def main() -> list[str]:
        return await asyncio.gather(*(job(i) for i in range(6)))

    ids = asyncio.run(main())
    assert len(set(ids)) == 6
    works = [s for s in exporter.get_finished_spans() if s.name.startswith("work")]
    assert len(works) == 30
    for span in works:
        assert span.attributes["ao.run.id"] == ids[int(span.name[4:])]
