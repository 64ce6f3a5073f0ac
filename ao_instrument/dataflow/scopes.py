"""Origins (one per LLM call) and the scopes they live in: a run, a trace, or the whole process.

A label is only worth something while its scope is alive: when a run (or, without runs, the last
open local root span of a trace) ends, its scope dies, its origins stop producing links, and
everything the tracker kept for it (origins, indexed output text) is dropped, so memory returns to
what it was.

A trace gets a scope only while one of its local root spans (a server's request span, whose parent is
remote or absent) is open here, as seen by the span processor: a trace this process does not record
(sampled out), or one whose requests have all ended (a task left running after the response), would
otherwise leave a scope that nothing ends. Such calls fall back to the process scope.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanContext

from ao_instrument.dataflow.labels import refill_budget
from ao_instrument.runs import opened_run_id

# Origins a scope keeps (each is one LLM call); the oldest are forgotten beyond this.
MAX_ORIGINS = 10_000

ScopeKey = tuple[Any, ...]
PROCESS: ScopeKey = ("process",)


class Scope:
    """Where labels live: its origins, its indexed outputs and the links made to them."""

    __slots__ = ("key", "alive", "origins", "content", "links")

    def __init__(self, key: ScopeKey, content: Any) -> None:
        self.key = key
        self.alive = True
        self.origins: dict[int, Origin] = {}
        self.content = content
        self.links: dict[Any, Any] = {}  # span links already made, by (origin, via, path)


class Origin:
    """One LLM call whose output values carry it: its span context and its scope.

    `request_texts` are the strings of the call's own request (kept to tell an output's echo of its
    input from its new text when matching content).
    """

    __slots__ = ("context", "scope", "request_texts", "__weakref__")

    def __init__(self, context: SpanContext, scope: Scope, request_texts: tuple[str, ...]) -> None:
        self.context = context
        self.scope = scope
        self.request_texts = request_texts

    def __repr__(self) -> str:
        return f"Origin({self.context.span_id:016x})"


class Scopes:
    """The live scopes of this process, created on first use and ended by the span processor."""

    def __init__(self, make_content: Any) -> None:
        self._make_content = make_content
        self._lock = threading.Lock()
        self._live: dict[ScopeKey, Scope] = {}
        # Local root spans open in this process, by trace id (requests of one trace may overlap).
        self._roots: dict[int, int] = {}

    def key_for(self, call: SpanContext | None = None) -> ScopeKey:
        """The current scope: the run, else the trace of the active span (not the call's own) while a
        local root span of that trace is open, else the process."""
        run_id = opened_run_id()
        if run_id:
            return ("run", run_id)
        current = trace.get_current_span().get_span_context()
        if (
            current.is_valid
            and (call is None or current.span_id != call.span_id)
            and current.trace_id in self._roots
        ):
            return ("trace", current.trace_id)
        return PROCESS

    def root_started(self, trace_id: int) -> None:
        """A local root span of the trace started (a request, or a span with no parent)."""
        with self._lock:
            self._roots[trace_id] = self._roots.get(trace_id, 0) + 1

    def root_ended(self, trace_id: int) -> None:
        """A local root span of the trace ended: the trace's scope ends with the last one open."""
        with self._lock:
            still_open = self._roots.pop(trace_id, 0) - 1
            if still_open > 0:
                self._roots[trace_id] = still_open
                return
        self.end(("trace", trace_id))

    def get(self, key: ScopeKey) -> Scope | None:
        return self._live.get(key)

    def origin(self, context: SpanContext, request_texts: tuple[str, ...]) -> Origin:
        """The origin of the call with span `context` (the same object for every output of that call)."""
        key = self.key_for(context)
        with self._lock:
            if key[0] == "trace" and key[1] not in self._roots:
                key = PROCESS  # its last local root ended meanwhile: nothing would end a new scope
            scope = self._live.get(key)
            if scope is None:
                scope = self._live[key] = Scope(key, self._make_content())
            found = scope.origins.get(context.span_id)
            if found is None or found.context.trace_id != context.trace_id:
                if len(scope.origins) >= MAX_ORIGINS:
                    del scope.origins[next(iter(scope.origins))]
                found = scope.origins[context.span_id] = Origin(context, scope, request_texts)
            return found

    def end(self, key: ScopeKey) -> None:
        """End a scope: its labels stop linking and what was kept for it is released."""
        with self._lock:
            scope = self._live.pop(key, None)
        if scope is not None:
            scope.alive = False
            scope.origins.clear()
            scope.links.clear()
            scope.content = None
            refill_budget()

    def end_all(self) -> None:
        with self._lock:
            self._roots.clear()
        for key in list(self._live):
            self.end(key)

    def live(self) -> list[Scope]:
        with self._lock:
            return list(self._live.values())
