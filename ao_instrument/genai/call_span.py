"""One LLM call, one CLIENT span: start, input, output or failure, metrics, end exactly once."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from opentelemetry.metrics import Meter
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from ao_instrument import runs
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.call_key import call_key
from ao_instrument.genai.capture import ContentPolicy, JsonText
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.framework_spans import FrameworkSpanView, framework_inference_span
from ao_instrument.genai.metrics import GenAIMetrics
from ao_instrument.genai.origins import tracker
from ao_instrument.genai.peers import Peers


class CallPlan(Protocol):
    """What a replay decides per call (`replay.plan.ReplayPlan`): served, edited, or live."""

    def decide(self, key: str) -> Any: ...

    def report(self, decision: Any, span_id: str) -> None: ...


class LLMCallTelemetry:
    """What an instrumentor holds while instrumented: tracer, metrics, content policy, the replay
    plan when the program is replayed, and the other instrumentations of its SDK that stand aside."""

    __slots__ = ("tracer", "metrics", "policy", "plan", "peers")

    def __init__(self, tracer: Tracer, meter: Meter, policy: ContentPolicy, plan: CallPlan | None = None) -> None:
        self.tracer = tracer
        self.metrics = GenAIMetrics.create(meter)
        self.policy = policy
        self.plan = plan
        self.peers: Peers | None = None  # set by `provider.settle_peers`


class LLMCall:
    """The span of one SDK call.

    Created before the request is sent (`start`), then `set_input` when content is captured, `first_chunk`
    when a stream's first item arrives, and exactly one of `finish` or `fail`. Later calls after the end are
    ignored, so a stream that is exhausted, closed and collected still ends its span once.
    """

    __slots__ = ("telemetry", "span", "provider", "operation", "model", "server_address", "server_port",
                 "replay", "_start", "_first_chunk", "_ended")  # fmt: skip

    def __init__(
        self,
        telemetry: LLMCallTelemetry,
        *,
        provider: str,
        operation: str,
        model: str | None,
        request: Mapping[str, Any],
        attributes: dict[str, AttributeValue],
        server_address: str | None = None,
        server_port: int | None = None,
    ) -> None:
        self.telemetry = telemetry
        self.provider = provider
        self.operation = operation
        self.model = model
        self.server_address = server_address
        self.server_port = server_port
        self._ended = False
        self._first_chunk: float | None = None  # perf_counter() when a stream's first item arrived
        self.replay: Any = None  # the replay plan's decision for this call, when replayed
        attributes[sc.OPERATION_NAME] = operation
        attributes[sc.PROVIDER_NAME] = provider
        if model:
            attributes[sc.REQUEST_MODEL] = model
        if server_address:
            attributes[sc.SERVER_ADDRESS] = server_address
        if server_port:
            attributes[sc.SERVER_PORT] = server_port
        attributes[sc.AO_CALL_CACHED] = False
        run_id = runs.current_run_id()
        if run_id:
            attributes[sc.AO_RUN_ID] = run_id
        links: Sequence[Any] = ()
        plan = telemetry.plan
        try:
            key = attributes[sc.AO_CALL_KEY] = call_key(provider, operation, request)
            if plan is not None:
                self.replay = plan.decide(key)
                attributes.update(self.replay.span_attributes())
            links = tracker().request_links(request)
            if links:
                attributes[sc.AO_TAINT_ORIGINS] = [format(link.context.span_id, "016x") for link in links]
        except Exception:
            report_internal_error("call key and dataflow links")
        name = f"{operation} {model}" if model else operation
        self._start = time.perf_counter()
        framework = framework_inference_span()
        if framework is not None:  # one span per call: ao records into a framework's own inference span
            self.span: Span = FrameworkSpanView(framework, attributes, links)
        else:
            self.span = telemetry.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes, links=links)
        if self.replay is not None:
            plan.report(self.replay, format(self.span.get_span_context().span_id, "016x"))  # type: ignore[union-attr]

    @property
    def capture(self) -> bool:
        return self.telemetry.policy.enabled and self.span.is_recording()

    @property
    def context(self) -> SpanContext:
        return self.span.get_span_context()

    def set_input(
        self,
        messages: list[dict[str, Any]] | JsonText | None,
        system_instructions: list[dict[str, Any]] | JsonText | None = None,
        tool_definitions: list[dict[str, Any]] | JsonText | None = None,
    ) -> None:
        """Record request content (semconv JSON shapes, or their `JsonText`); call only when `capture` is true."""
        dumps = self.telemetry.policy.dumps
        attrs: dict[str, AttributeValue] = {}
        if messages:
            attrs[sc.INPUT_MESSAGES] = dumps(messages)
        if system_instructions:
            attrs[sc.SYSTEM_INSTRUCTIONS] = dumps(system_instructions)
        if tool_definitions:
            attrs[sc.TOOL_DEFINITIONS] = dumps(tool_definitions)
        if attrs:
            self.span.set_attributes(attrs)

    def first_chunk(self) -> None:
        """A stream's first item arrived: the span and the metrics get the time to first chunk."""
        if self._first_chunk is None:
            self._first_chunk = time.perf_counter()

    @property
    def time_to_first_chunk(self) -> float | None:
        """Seconds from the start to a stream's first item (None before one, and for a call without a stream)."""
        return None if self._first_chunk is None else self._first_chunk - self._start

    def label(self, value: Any) -> Any:
        """Hand an output to origin tracking; returns what the user should get. Never raises."""
        try:
            return tracker().label_output(value, self.context)
        except Exception:
            report_internal_error("labelling an output")
            return value

    def finish(
        self,
        attributes: dict[str, AttributeValue],
        output_messages: list[dict[str, Any]] | JsonText | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
    ) -> None:
        """Record the response (`gen_ai.response.*` and usage attributes) and end the span.

        A response that reports a failure of its own (a Responses API `failed` status) carries `error.type`
        in `attributes`, and the caller has set the span's ERROR status; the metrics carry it too.
        """
        if self._ended:
            return
        self._ended = True
        span = self.span
        if input_tokens is not None:
            attributes[sc.USAGE_INPUT_TOKENS] = input_tokens
        if output_tokens is not None:
            attributes[sc.USAGE_OUTPUT_TOKENS] = output_tokens
        if output_messages is not None and self.capture:
            attributes[sc.OUTPUT_MESSAGES] = self.telemetry.policy.dumps(output_messages)
        first_chunk = self.time_to_first_chunk
        if first_chunk is not None:
            attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK] = first_chunk
        span.set_attributes(attributes)
        span.end()
        error_type = attributes.get(sc.ERROR_TYPE)
        self._record_metrics(
            attributes.get(sc.RESPONSE_MODEL), error_type if isinstance(error_type, str) else None,
            input_tokens, output_tokens,
        )  # fmt: skip

    def fail(self, error: BaseException) -> None:
        """Record `error` (`error.type`, ERROR status) and end the span; the caller re-raises it."""
        if self._ended:
            return
        self._ended = True
        error_type = _error_type(error)
        self.span.set_attribute(sc.ERROR_TYPE, error_type)
        first_chunk = self.time_to_first_chunk
        if first_chunk is not None:
            self.span.set_attribute(sc.RESPONSE_TIME_TO_FIRST_CHUNK, first_chunk)
        self.span.record_exception(error)
        self.span.set_status(Status(StatusCode.ERROR, str(error)[:512]))
        self.span.end()
        self._record_metrics(None, error_type, None, None)

    @property
    def ended(self) -> bool:
        return self._ended

    def _record_metrics(
        self, response_model: Any, error_type: str | None, input_tokens: int | None, output_tokens: int | None
    ) -> None:
        attrs: dict[str, AttributeValue] = {sc.OPERATION_NAME: self.operation, sc.PROVIDER_NAME: self.provider}
        if self.model:
            attrs[sc.REQUEST_MODEL] = self.model
        if response_model:
            attrs[sc.RESPONSE_MODEL] = response_model
        if self.server_address:
            attrs[sc.SERVER_ADDRESS] = self.server_address
        if self.server_port:
            attrs[sc.SERVER_PORT] = self.server_port
        if error_type:
            attrs[sc.ERROR_TYPE] = error_type
        metrics = self.telemetry.metrics
        metrics.record(metrics.duration, time.perf_counter() - self._start, attrs)
        if input_tokens is not None:
            metrics.record(metrics.token_usage, input_tokens, {**attrs, sc.TOKEN_TYPE: "input"})
        if output_tokens is not None:
            metrics.record(metrics.token_usage, output_tokens, {**attrs, sc.TOKEN_TYPE: "output"})
        first_chunk = self.time_to_first_chunk
        if first_chunk is not None:
            metrics.record(metrics.time_to_first_chunk, first_chunk, attrs)


def _error_type(error: BaseException) -> str:
    """`error.type`: the exception's class name, as the GenAI conventions and contrib instrumentations use."""
    return type(error).__qualname__
