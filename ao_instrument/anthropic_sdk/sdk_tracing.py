"""The merge of the Anthropic SDK's own call span into ao's span.

The SDK starts the span of each API call with `anthropic._base_client.start_api_call_span(tracer, ...)`.
While an instrumented call is current, that function is given a tracer whose "span" is an
`SdkSpanView`: everything the SDK records (start attributes, response headers and body fields,
retries, status, events) is written into ao's span, and its trace context (which the SDK makes
current and injects into request headers) is ao's. Any other API call keeps the SDK's own span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.util import types
from wrapt import wrap_function_wrapper

from ao_instrument.anthropic_sdk.call import CALL_KEY, TracedCall
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error

FUNCTION = "start_api_call_span"
SPAN_NAME = "anthropic.messages.create"

# Content the SDK records in its content mode; when ao captures content its own values stand.
_CONTENT = frozenset({sc.INPUT_MESSAGES, sc.OUTPUT_MESSAGES, sc.SYSTEM_INSTRUCTIONS, "anthropic.content.truncated"})


class SdkSpanView(Span):
    """The span the SDK is given for an instrumented call: a writer into ao's span.

    Attributes and events go to ao's span, except content that ao captures itself; the status is
    kept for ao to set when it ends its span; `end` only stops further writes. It records while ao's
    span records and neither has ended.
    """

    def __init__(self, call: TracedCall) -> None:
        self._call = call
        self._ended = False

    def get_span_context(self) -> SpanContext:
        return self._call.llm.span.get_span_context()

    def is_recording(self) -> bool:
        return not self._ended and not self._call.ended and self._call.llm.span.is_recording()

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if not self.is_recording():
            return
        if key == sc.ERROR_TYPE:
            self._call.sdk_error_type = str(value)
        elif key in _CONTENT and self._call.capture:
            return
        self._call.llm.span.set_attribute(key, value)

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        if self.is_recording():
            self._call.llm.span.add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self.is_recording():
            self._call.llm.span.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        """ao's span keeps its `{operation} {model}` name."""

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self.is_recording():
            self._call.sdk_status = status if isinstance(status, Status) else Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        if self.is_recording():
            self._call.llm.span.record_exception(exception, attributes, timestamp, escaped)

    def end(self, end_time: int | None = None) -> None:
        self._ended = True


class _ViewTracer:
    """Gives the SDK the view of one call's span; the SDK calls only `start_span`."""

    __slots__ = ("_call",)

    def __init__(self, call: TracedCall) -> None:
        self._call = call

    def start_span(
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Span:
        view = SdkSpanView(self._call)
        if attributes:
            view.set_attributes(attributes)
        for link in links or ():
            view.add_link(link.context, link.attributes)
        return view


def _start_api_call_span(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`start_api_call_span`, given the view of ao's span for the first Messages API call of an ao call."""
    call = context.get_value(CALL_KEY)
    if not isinstance(call, TracedCall) or call.sdk_claimed:
        return wrapped(*args, **kwargs)
    try:
        options = args[2] if len(args) > 2 else kwargs.get("options")
        if getattr(options, "span_name", None) == SPAN_NAME:
            call.sdk_claimed = True
            tracer = _ViewTracer(call)
            if args:
                args = (tracer, *args[1:])
            else:
                kwargs = {**kwargs, "tracer": tracer}
    except Exception:
        report_internal_error("anthropic: merging the SDK's span")
    return wrapped(*args, **kwargs)


def install() -> None:
    """Merge the SDK's call spans into ao's while instrumented (an SDK without its own tracing is left as is)."""
    import anthropic._base_client as module

    if hasattr(module, FUNCTION):
        wrap_function_wrapper(module, FUNCTION, _start_api_call_span)


def uninstall() -> None:
    import anthropic._base_client as module

    unwrap(module, FUNCTION)
