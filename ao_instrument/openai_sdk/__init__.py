"""OpenTelemetry GenAI instrumentation of the OpenAI Python SDK (sync and async clients).

Observed: `chat.completions.create` / `.parse` (and `.stream`, which calls `create`),
`responses.create` / `.parse` / `.stream`, `embeddings.create`, also through `with_raw_response` and
`with_streaming_response`, whose span ends when the user reads the body (`genai.raw_response`).

    from ao_instrument.openai_sdk import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=..., meter_provider=...)
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.metrics import get_meter
from opentelemetry.trace import get_tracer
from wrapt import wrap_function_wrapper

from ao_instrument.genai import LLMCallTelemetry, content_policy
from ao_instrument.openai_sdk import patch
from ao_instrument.replay import plan as replay_plan

try:
    __version__ = version("ao")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0"

__all__ = ["OpenAIInstrumentor"]


class OpenAIInstrumentor(BaseInstrumentor):
    """One GenAI CLIENT span per OpenAI SDK call, with the GenAI client metrics."""

    _state: patch.State | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("openai >= 2",)

    def _instrument(self, **kwargs: Any) -> None:
        tracer = get_tracer(__name__, __version__, kwargs.get("tracer_provider"))
        meter = get_meter(__name__, __version__, kwargs.get("meter_provider"))
        state = self._state = patch.State(LLMCallTelemetry(tracer, meter, content_policy(), replay_plan.active()))
        for module, cls, method, api in patch.CALLS:
            wrapper = patch.async_wrapper(state, api) if cls.startswith("Async") else patch.sync_wrapper(state, api)
            wrap_function_wrapper(module, f"{cls}.{method}", wrapper)
        for module, cls, proxy in patch.HELPERS:
            is_async = cls.startswith("Async")
            enter = "__aenter__" if is_async else "__enter__"
            wrap_function_wrapper(module, f"{cls}Manager.{enter}", patch.helper_enter(proxy))
            wrap_function_wrapper(module, f"{cls}.close", patch.async_helper_close if is_async else patch.helper_close)

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._state is not None:
            self._state.active = False
            self._state = None
        for module, cls, method, _ in patch.CALLS:
            unwrap(getattr(import_module(module), cls), method)
        for module, cls, _ in patch.HELPERS:
            unwrap(getattr(import_module(module), cls), "close")
            unwrap(getattr(import_module(module), f"{cls}Manager"), "__aenter__" if cls.startswith("Async") else "__enter__")
