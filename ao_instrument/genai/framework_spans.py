"""A framework's own inference span, and ao's call recorded into it rather than beside it.

Agent frameworks that emit OpenTelemetry spans of their own (pydantic-ai's instrumentation:
`invoke_agent`, `execute_tool`, and a `chat {model}` span around each model request) would, with ao,
show every LLM call twice: their inference span and ao's, nested inside it. As with the Anthropic SDK's
native span (`anthropic_sdk/sdk_tracing.py`), one span per call remains: when ao's call starts while a
recording inference span of another instrumentation scope is current, ao writes its attributes and
dataflow links into that span (`FrameworkSpanView`) and leaves its end to the framework. ao's spans of
calls made under a framework's agent or tool span (not an inference span) nest under it as usual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Link, Span, SpanContext, Status, StatusCode
from opentelemetry.util import types

from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error

# `gen_ai.operation.name` values of an inference span (the GenAI conventions' model calls).
INFERENCE = frozenset(("chat", "text_completion", "generate_content", "embeddings"))
_OURS = "ao_instrument"


def framework_inference_span() -> Span | None:
    """The current span when it is another instrumentation's recording inference span, else None."""
    span = trace.get_current_span()
    if not isinstance(span, ReadableSpan) or not span.is_recording():
        return None
    try:
        attributes = span.attributes
        if not attributes or attributes.get(sc.OPERATION_NAME) not in INFERENCE:
            return None
        scope = span.instrumentation_scope
        if scope is None or scope.name.startswith(_OURS):
            return None
    except Exception:
        report_internal_error("reading the current span")
        return None
    return span


class FrameworkSpanView(Span):
    """ao's span of a call, written into the framework's inference span: attributes, links, events,
    status and exceptions go to it; its name stays the framework's, and `end` ends only ao's writes."""

    def __init__(self, span: Span, attributes: Mapping[str, types.AttributeValue], links: Sequence[Link]) -> None:
        self._span = span
        self._ended = False
        span.set_attributes(attributes)
        for link in links:
            span.add_link(link.context, link.attributes)

    def get_span_context(self) -> SpanContext:
        return self._span.get_span_context()

    def is_recording(self) -> bool:
        return not self._ended and self._span.is_recording()

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if self.is_recording():
            self._span.set_attribute(key, value)

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        if self.is_recording():
            self._span.set_attributes(attributes)

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        if self.is_recording():
            self._span.add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self.is_recording():
            self._span.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        """The span keeps the framework's name."""

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self.is_recording():
            self._span.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        if self.is_recording():
            self._span.record_exception(exception, attributes, timestamp, escaped)

    def end(self, end_time: int | None = None) -> None:
        self._ended = True

    def __getattr__(self, name: str) -> Any:  # the SDK span's readable fields (`attributes`, `name`, ...)
        return getattr(self._span, name)
