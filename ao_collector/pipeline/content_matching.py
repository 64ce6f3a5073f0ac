"""Content matching as a pass over newly written calls, wherever their spans came from.

The `ao_content_pending` view queues every call of another instrumentation as its span is inserted into
`otel_traces` (by ao-collector or by the OpenTelemetry Collector's ClickHouse exporter). A pass reads the
queue from where the last one stopped (`ao_content_progress`, shared by every ao-collector of a store),
leaves out calls that carry dataflow links, and infers edges into the rest from the earlier calls of their
traces (`model.content_edges`), reading content from `otel_traces`. A pass re-reads the last
REREAD_MS of the queue, so that rows made visible late (replication, a slow insert) are not skipped; an edge
already stored is not written again. Without ao-collector nothing runs the passes: calls of
other instrumentations then have no content edges.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any, Callable

from ao_collector.model.content_edges import MAX_SOURCES, CallText, infer_content_edges
from ao_collector.model.edges import content_edge_table
from ao_collector.model.stored_content import CallRef, call_contents
from ao_collector.store.base import Store

log = logging.getLogger(__name__)

PROGRESS_NAME = "content_matching"
# How far back each pass reads again, and how far back it looks for earlier calls of a trace.
REREAD_MS = 10_000
LOOKBACK_NS = 24 * 3600 * 1_000_000_000
# Queued calls read per query; a pass reads until the queue is drained.
PAGE = 5_000


class ContentMatching:
    """Runs passes over one store; `run` is safe to call from several threads (one pass at a time)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._since_ms: int | None = None
        self._done: dict[str, int] = {}  # span id -> IngestTime (ms) of the calls done in the re-read window

    def run(self) -> int:
        """One pass: match every call queued since the last one; returns the number of edges written."""
        with self._lock:
            if self._since_ms is None:
                self._since_ms = self._progress()
            written = 0
            while True:
                limit = PAGE + len(self._done)
                pending = self._pending(self._since_ms - REREAD_MS, limit)
                fresh = [row for row in pending if row["SpanId"] not in self._done]
                if fresh:
                    written += self._match(fresh)
                    for row in fresh:
                        self._done[row["SpanId"]] = row["Ingest"]
                    newest = max(row["Ingest"] for row in fresh)
                    if newest > self._since_ms:
                        self._since_ms = newest
                        self._save_progress(newest)
                    self._done = {span: ms for span, ms in self._done.items() if ms >= self._since_ms - REREAD_MS}
                if len(pending) < limit:
                    return written

    def _pending(self, since_ms: int, limit: int) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT RunId, TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS Start, "
            f"toUnixTimestamp64Milli(IngestTime) AS Ingest FROM {self.store.database}.ao_content_pending "
            "WHERE IngestTime >= fromUnixTimestamp64Milli({since:Int64}) "
            f"ORDER BY IngestTime LIMIT {limit}",
            {"since": max(since_ms, 0)},
        )

    def _match(self, pending: list[dict[str, Any]]) -> int:
        linked, known = self._stored_edges(pending)
        refs = [CallRef(r["TraceId"], r["SpanId"], int(r["Start"])) for r in pending if r["SpanId"] not in linked]
        contents = call_contents(self.store, refs)
        runs = {r["SpanId"]: r["RunId"] for r in pending}
        targets = [
            CallText(runs[ref.span_id], ref.trace_id, ref.span_id, ref.start_ns, ref.start_ns, content.input_messages, "")
            for ref in refs if (content := contents.get(ref.span_id)) is not None and content.input_messages
        ]
        if not targets:
            return 0
        sources = self._earlier_calls(sorted({t.trace_id for t in targets}), min(t.start for t in targets),
                                      max(t.start for t in targets))
        edges = [e for e in infer_content_edges(targets, sources)
                 if (e.source_span_id, e.target_span_id, e.path) not in known]
        if edges:
            digest = hashlib.sha256(" ".join(sorted(f"{e.source_span_id}>{e.target_span_id}" for e in edges)).encode())
            self.store.insert("ao_dataflow_edges", content_edge_table(edges), f"content.{digest.hexdigest()}")
        return len(edges)

    def _stored_edges(self, pending: list[dict[str, Any]]) -> tuple[set[str], set[tuple[str, str, str]]]:
        """The calls among `pending` with dataflow edges from their own links, and the content edges into them
        already stored (source, target, path)."""
        rows = self.store.query(
            f"SELECT DISTINCT SourceSpanId, TargetSpanId, Via, Path FROM {self.store.database}.ao_dataflow_edges "
            "WHERE RunId IN {runs:Array(String)} AND TargetSpanId IN {spans:Array(String)}",
            {"runs": sorted({r["RunId"] for r in pending}), "spans": sorted({r["SpanId"] for r in pending})},
        )
        linked = {row["TargetSpanId"] for row in rows if row["Via"] != "content"}
        known = {(row["SourceSpanId"], row["TargetSpanId"], row["Path"]) for row in rows if row["Via"] == "content"}
        return linked, known

    def _earlier_calls(self, traces: list[str], first: int, last: int) -> list[CallText]:
        """Calls with output of `traces` that started from LOOKBACK_NS before `first` up to `last`, the latest
        MAX_SOURCES of each trace."""
        rows = self.store.query(
            "SELECT RunId, TraceId, SpanId, toUnixTimestamp64Nano(Timestamp) AS Start, Duration FROM ("
            f"SELECT * FROM {self.store.database}.ao_llm_calls WHERE TraceId IN {{traces:Array(String)}} "
            "AND Timestamp BETWEEN fromUnixTimestamp64Nano({first:Int64}) AND fromUnixTimestamp64Nano({last:Int64}) "
            f"LIMIT 1 BY SpanId) ORDER BY Timestamp DESC LIMIT {MAX_SOURCES} BY TraceId",
            {"traces": traces, "first": first - LOOKBACK_NS, "last": last},
        )
        contents = call_contents(self.store, [CallRef(r["TraceId"], r["SpanId"], int(r["Start"])) for r in rows])
        return [
            CallText(r["RunId"], r["TraceId"], r["SpanId"], int(r["Start"]), int(r["Start"]) + int(r["Duration"]), "",
                     content.output_messages)
            for r in rows
            if (content := contents.get(r["SpanId"])) is not None and content.output_messages
        ]

    def _progress(self) -> int:
        rows = self.store.query(
            f"SELECT toUnixTimestamp64Milli(argMax(IngestTime, Updated)) AS ms FROM {self.store.database}.ao_content_progress "
            "WHERE Name = {name:String} HAVING count() > 0",
            {"name": PROGRESS_NAME},
        )
        return int(rows[0]["ms"]) if rows else 0

    def _save_progress(self, ms: int) -> None:
        self.store.command(
            f"INSERT INTO {self.store.database}.ao_content_progress (Name, IngestTime) "
            "SELECT {name:String}, fromUnixTimestamp64Milli({ms:Int64})",
            {"name": PROGRESS_NAME, "ms": ms},
        )


class MatchingLoop:
    """A thread running passes: after each batch written (`wake`) and every `interval` seconds for spans that
    other writers insert, once the schema is current (`ready`). A failing pass is logged (once while it keeps
    failing) and tried again at the next wake or interval."""

    def __init__(self, matching: ContentMatching, ready: Callable[[], bool], interval: float = 2.0) -> None:
        self.matching = matching
        self.ready = ready
        self.interval = interval
        self.edges_written = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="ao-content-matching", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Run a pass soon (a batch was written)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Run a last pass (for the last batches written), then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self.ready():
                self._pass()
            if self._stop.is_set():
                return

    def _pass(self) -> None:
        try:
            self.edges_written += self.matching.run()
        except Exception as error:  # noqa: BLE001 - matching must not stop; the queue keeps the calls
            if not self._failing:
                log.warning("content matching failed (%r); retrying", error)
            self._failing = True
        else:
            self._failing = False
