"""ao instrumentation of the Anthropic SDK: one GenAI `chat {model}` CLIENT span per Messages call.

Instrumented: `messages.create` (with and without `stream=True`), `messages.parse` and
`messages.stream(...)`, on `Anthropic` and `AsyncAnthropic`, also through `with_raw_response` and
`with_streaming_response`. A streamed call's span ends when its stream is exhausted, fails, is closed,
or is dropped and garbage-collected; a raw response's when its body is read, closed or dropped
(`genai.raw_response`).

The SDK's own tracing
---------------------
The SDK (2.x) starts its own CLIENT span per API call (scope `com.anthropic.sdk.python`) unless
told not to (`ANTHROPIC_OPEN_TELEMETRY=false`, or the client option `open_telemetry=False`). While
instrumented, ao's span is the only one: for an instrumented call the SDK is handed, instead of a
span of its tracer, a view of ao's span (`sdk_tracing.SdkSpanView`). So:

- everything the SDK records lands on ao's span: `anthropic.request.id`, cache and service tier
  attributes, `anthropic.message.stop_reason`, `http.*`, `url.*`, the resend count, time to first
  chunk, its content in its content mode (unless ao captures content, whose values then stand),
  events, and its status (OK, or ERROR for a stream cut short); where both set one attribute they
  agree, except `error.type`, where ao's (the exception class) stands and the SDK's is kept as
  `anthropic.error.type`;
- the trace context the SDK makes current and injects into request headers is ao's span's;
- it works alike whatever the SDK's tracer provider, content mode, propagation or retries, and
  whether or not the SDK's tracing is on, since ao's span starts before and ends after the SDK's
  part (ao ends a stream's span only after the SDK's stream observer ended; a dropped stream's
  observer is ended first);
- API calls that ao does not instrument (`count_tokens`, batches, beta, the tool runner's own
  spans) keep the SDK's own spans; on `uninstrument` the SDK is untouched again.

`instrument()` does not import the SDK: its methods are wrapped when the program imports `anthropic`
(at once when it already has).

The alternative, letting the SDK's span be the one span, was rejected: that span does not exist
when the SDK's tracing is off or its tracer provider is unset, uses another tracer provider than
the one ao is given, and starts after ao must have chosen its links.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from wrapt import register_post_import_hook, wrap_function_wrapper

from ao_instrument.genai import LLMCallTelemetry, content_policy
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.replay import plan as replay_plan

_METHODS = ("create", "parse", "stream")
_INSTRUMENTS = ("anthropic >= 0.70",)

try:
    __version__ = version("ao")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0"

__all__ = ["AnthropicInstrumentor"]


class AnthropicInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Instruments the Anthropic SDK's Messages API (sync and async)."""

    _pending: dict[str, Any] | None = None  # instrument()'s arguments until the SDK is imported
    _patched = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        self._pending = kwargs
        register_post_import_hook(self._on_import, "anthropic")

    def _on_import(self, _module: ModuleType) -> None:
        kwargs, self._pending = self._pending, None
        if kwargs is None:  # uninstrumented before the program imported the SDK, or patched already
            return
        try:
            self._patch(kwargs)
        except Exception:
            report_internal_error("instrumenting the Anthropic SDK")

    def _patch(self, kwargs: dict[str, Any]) -> None:
        from ao_instrument.anthropic_sdk import patch, sdk_tracing

        self._patched = True
        telemetry = LLMCallTelemetry(
            trace.get_tracer(__name__, __version__, kwargs.get("tracer_provider")),
            metrics.get_meter(__name__, __version__, kwargs.get("meter_provider")),
            content_policy(),
            replay_plan.active(),
        )
        from anthropic.resources.messages import messages as module

        for cls, is_async in ((module.Messages, False), (module.AsyncMessages, True)):
            call = patch.async_create(telemetry) if is_async else patch.create(telemetry)
            wrappers = {"create": call, "parse": call, "stream": patch.stream(telemetry, is_async)}
            for method in _METHODS:
                if hasattr(cls, method):
                    wrap_function_wrapper(cls, method, wrappers[method])
        sdk_tracing.install()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._pending = None
        if not self._patched:
            return
        self._patched = False
        from anthropic.resources.messages import messages as module

        from ao_instrument.anthropic_sdk import sdk_tracing

        for cls in (module.Messages, module.AsyncMessages):
            for method in _METHODS:
                unwrap(cls, method)
        sdk_tracing.uninstall()
