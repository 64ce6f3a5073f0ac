"""The origin tracker behind the instrumentors' seam (`ao_instrument.genai.origins.OriginTracker`)."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Link, SpanContext

from ao_instrument.dataflow import sinks, sources
from ao_instrument.dataflow.sinks import format_path
from ao_instrument.dataflow.content_match import ContentIndex
from ao_instrument.dataflow.scopes import Origin, Scopes
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.runs import root_span_name

T = TypeVar("T")
MAX_LINKS = 128
LINK_TYPE = "ao.link.type"
VIA = "ao.dataflow.via"
PATH = "ao.dataflow.path"


MAX_CACHED_LINKS = 4096


def _link(origin: Origin, via: str, path: Any) -> Link:
    """The span link to `origin` (links are immutable: made once per origin, via and path)."""
    cache = origin.scope.links
    key = (origin, via, path)
    link = cache.get(key)
    if link is None:
        if len(cache) >= MAX_CACHED_LINKS:
            cache.clear()
        link = cache[key] = Link(origin.context, {LINK_TYPE: "dataflow", VIA: via, PATH: format_path(path)})
    return link


def _sampled_out(call: SpanContext) -> bool:
    """Whether the call is part of a trace this process does not record (a request sampled out): its
    span is not exported, so a link to it would lead nowhere, and nothing would end a scope for it."""
    if call.trace_flags.sampled:
        return False
    current = trace.get_current_span()
    return current.get_span_context().is_valid and not current.is_recording()


class Tracker:
    """Labels SDK outputs with their call's origin, and turns the origins found in a request into links."""

    def __init__(self, content_matching: bool = True) -> None:
        self.scopes = Scopes(ContentIndex)
        self.content_matching = content_matching
        # The strings of the last request seen in this context, given to the origin of the call's outputs.
        self._request_texts: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
            "ao_request_texts", default=()
        )

    def request_links(self, request: Mapping[str, Any]) -> Sequence[Link]:
        try:
            return self._links(request)
        except Exception:
            report_internal_error("finding the dataflow links of a request")
            return ()

    def label_output(self, value: T, origin: SpanContext) -> T:
        try:
            return self._label(value, origin)
        except Exception:
            report_internal_error("labelling an output")
            return value

    def _links(self, request: Mapping[str, Any]) -> list[Link]:
        scan = sinks.scan(request)
        self._request_texts.set(tuple(scan.texts))
        links = [_link(origin, "taint", path) for origin, path in scan.found.items() if origin.scope.alive]
        if self.content_matching and scan.fragments and len(links) < MAX_LINKS:
            scope = self.scopes.get(self.scopes.key_for())
            content = scope.content if scope is not None else None
            if content is not None and len(content):
                for origin, path in content.match(scan.fragments, scan.found).items():
                    if origin.scope.alive:
                        links.append(_link(origin, "content", path))
        return links[:MAX_LINKS]

    def _label(self, value: T, origin: SpanContext) -> T:
        if _sampled_out(origin):
            return value
        found = self.scopes.origin(origin, self._request_texts.get())
        collected: list[str] = []
        value = sources.label_output(value, found, collected)
        content = found.scope.content
        if collected and self.content_matching and content is not None:
            content.add(found, collected)
        return value


class ScopeEnd(SpanProcessor):
    """Ends a run's scope when its `ao.run` span ends, and a trace's when the last of its local root
    spans open in this process ends (requests of one trace, fanned out by a caller, may overlap)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker: Tracker | None = tracker

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        tracker = self.tracker
        if tracker is None:
            return
        try:
            if span.parent is None or span.parent.is_remote:
                tracker.scopes.root_started(span.context.trace_id)
        except Exception:
            report_internal_error("starting a dataflow scope")

    def on_end(self, span: ReadableSpan) -> None:
        tracker = self.tracker
        if tracker is None:
            return
        try:
            attributes = span.attributes or {}
            run_id = attributes.get(sc.AO_RUN_ID)
            if run_id and span.name.startswith(root_span_name("")):
                tracker.scopes.end(("run", run_id))
            if span.parent is None or span.parent.is_remote:
                tracker.scopes.root_ended(span.context.trace_id)
        except Exception:
            report_internal_error("ending a dataflow scope")
