"""OpenTelemetry GenAI instrumentation of the OpenAI Python SDK (sync and async clients).

Observed: `chat.completions.create` / `.parse` (and `.stream`, which calls `create`),
`responses.create` / `.parse` / `.stream`, `embeddings.create`, also through `with_raw_response` and
`with_streaming_response`, whose span ends when the user reads the body (`genai.raw_response`).

    from ao_instrument.openai_sdk import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=..., meter_provider=...)

A chat stream whose request did not ask for usage is asked for it (`stream_options.include_usage`), so
that its span has token counts; the usage-only chunk this adds never reaches the program
(`AO_STREAM_USAGE=off` turns this off; raw responses are sent as the program made them).

`instrument()` does not import the SDK: its methods are wrapped when the program imports `openai`
(at once when it already has), so a program that never uses it pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from types import ModuleType
from typing import TYPE_CHECKING

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.metrics import get_meter
from opentelemetry.trace import get_tracer
from wrapt import register_post_import_hook, wrap_function_wrapper

from ao_instrument.genai import LLMCallTelemetry, content_policy
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.replay import plan as replay_plan

if TYPE_CHECKING:
    from ao_instrument.openai_sdk import patch

try:
    __version__ = version("ao")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0"

__all__ = ["OpenAIInstrumentor"]


class OpenAIInstrumentor(BaseInstrumentor):
    """One GenAI CLIENT span per OpenAI SDK call, with the GenAI client metrics."""

    _state: patch.State | None = None
    _pending: dict[str, Any] | None = None  # instrument()'s arguments until the SDK is imported

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("openai >= 2",)

    def _instrument(self, **kwargs: Any) -> None:
        self._pending = kwargs
        register_post_import_hook(self._on_import, "openai")

    def _on_import(self, _module: ModuleType) -> None:
        kwargs, self._pending = self._pending, None
        if kwargs is None:  # uninstrumented before the program imported the SDK, or patched already
            return
        try:
            self._patch(kwargs)
        except Exception:
            report_internal_error("instrumenting the OpenAI SDK")

    def _patch(self, kwargs: dict[str, Any]) -> None:
        from ao_instrument.openai_sdk import patch

        tracer = get_tracer(__name__, __version__, kwargs.get("tracer_provider"))
        meter = get_meter(__name__, __version__, kwargs.get("meter_provider"))
        telemetry = LLMCallTelemetry(tracer, meter, content_policy(), replay_plan.active())
        state = self._state = patch.State(telemetry, patch.asks_usage())
        for module, cls, method, api in patch.CALLS:
            wrapper = patch.async_wrapper(state, api) if cls.startswith("Async") else patch.sync_wrapper(state, api)
            wrap_function_wrapper(module, f"{cls}.{method}", wrapper)
        for module, cls, proxy in patch.HELPERS:
            is_async = cls.startswith("Async")
            enter = "__aenter__" if is_async else "__enter__"
            wrap_function_wrapper(module, f"{cls}Manager.{enter}", patch.helper_enter(proxy))
            wrap_function_wrapper(module, f"{cls}.close", patch.async_helper_close if is_async else patch.helper_close)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._pending = None
        if self._state is None:  # the SDK was never patched
            return
        from ao_instrument.openai_sdk import patch

        self._state.active = False
        self._state = None
        for module, cls, method, _ in patch.CALLS:
            unwrap(getattr(import_module(module), cls), method)
        for module, cls, _ in patch.HELPERS:
            unwrap(getattr(import_module(module), cls), "close")
            unwrap(getattr(import_module(module), f"{cls}Manager"), "__aenter__" if cls.startswith("Async") else "__enter__")
