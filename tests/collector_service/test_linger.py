"""The batch linger: short for spans that come now and then, growing under a steady stream, back after a pause."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from ao_collector.pipeline.linger import Linger
from ao_collector.pipeline.spool import Spool
from ao_collector.pipeline.writer import Pipeline
from tests.collector_service.conftest import Running
from tests.collector_service.helpers import llm_request, wait_for


def test_linger_doubles_while_batches_follow_each_other_and_falls_back_after_a_pause() -> None:
    linger = Linger(0.2, 1.0)
    assert linger.of(10.0) == 0.2
    linger.taken(created=10.0, now=10.2)
    assert linger.seconds == 0.2  # the first batch: nothing to compare with
    grown = []
    now = 10.2
    for _ in range(4):  # each batch began right after the previous one was taken
        assert linger.of(now + 0.01) == min(1.0, 2 * linger.seconds)
        linger.taken(created=now + 0.01, now=now + linger.seconds)
        now += linger.seconds
        grown.append(linger.seconds)
    assert grown == [0.4, 0.8, 1.0, 1.0]
    assert linger.of(now + 5.0) == 0.2  # began after a pause
    linger.taken(created=now + 5.0, now=now + 5.2)
    assert linger.seconds == 0.2


def test_linger_is_fixed_without_a_higher_bound() -> None:
    for high in (None, 0.1):
        linger = Linger(0.2, high)
        linger.taken(created=0.0, now=0.2)
        linger.taken(created=0.21, now=0.4)
        assert (linger.high, linger.seconds) == (0.2, 0.2)


def test_a_steady_stream_is_written_in_fewer_larger_batches(collector: Running, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", fsync=False)
    pipeline = Pipeline(collector.store, spool, linger=0.05, linger_max=0.8)
    pipeline.start()
    traces = []
    try:
        started = time.monotonic()
        while time.monotonic() - started < 3.0:  # a request every 20 ms
            request = llm_request(uuid.uuid4().hex, calls=1)
            spool.append(request.SerializeToString(), 2)
            traces.append(request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex())
            time.sleep(0.02)
        wait_for(lambda: pipeline.stats.written_spans == 2 * len(traces), what="the stream written")
        steady_batches, steady_linger = pipeline.stats.written_batches, pipeline.linger.seconds
        # At a fixed 50 ms linger the stream would have taken about 60 inserts.
        assert steady_linger == 0.8 and steady_batches <= 15, (steady_linger, steady_batches)

        time.sleep(1.5)  # a pause, then one request: written after the short linger again
        request = llm_request(uuid.uuid4().hex, calls=1)
        sent = time.monotonic()
        spool.append(request.SerializeToString(), 2)
        wait_for(lambda: pipeline.stats.written_batches == steady_batches + 1, what="the lone request written")
        assert pipeline.linger.seconds == 0.05
        assert time.monotonic() - sent < 0.8
    finally:
        assert pipeline.close(timeout=30)
        spool.close()
    for trace in traces[:: max(1, len(traces) // 10)]:
        assert collector.rows(trace) == (2, 2)
