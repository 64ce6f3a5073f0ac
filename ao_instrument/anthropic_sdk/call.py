"""One instrumented Anthropic call: ao's span, and what the SDK's own tracing adds to it.

The Anthropic adapter's call object (`genai.provider.Adapter.call`): the shared steps start and end it
as they do an `LLMCall`, whose `finish`, `fail`, `label`, `ended` and `capture` it has.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from ao_instrument.anthropic_sdk import messages
from ao_instrument.anthropic_sdk.replay_bodies import MESSAGES
from ao_instrument.genai.call_span import LLMCall
from ao_instrument.genai.capture import JsonText
from ao_instrument.genai import peers
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.replay.serving import serving

CALL_KEY = context.create_key("ao-anthropic-call")


class TracedCall:
    """ao's `LLMCall` for one user call, plus the status the SDK's merged span reported.

    `finish` and `fail` end it once; later calls are ignored. `with call:` around the SDK's request
    makes the call current (for the SDK's span and HTTP child spans) and fails it on an exception.
    """

    __slots__ = ("llm", "sdk_claimed", "sdk_status", "sdk_error_type", "_token", "_serving")

    def __init__(self, llm: LLMCall) -> None:
        self.llm = llm
        self.sdk_claimed = False
        self.sdk_status: Status | None = None
        self.sdk_error_type: str | None = None
        self._token: object = None
        self._serving: AbstractContextManager[None] | None = None

    @property
    def capture(self) -> bool:
        return self.llm.capture

    @property
    def ended(self) -> bool:
        return self.llm.ended

    def __enter__(self) -> TracedCall:
        current = context.set_value(CALL_KEY, self, trace.set_span_in_context(self.llm.span))
        self._token = context.attach(peers.aside_context(self.llm.telemetry.peers, current))
        if self.llm.replay is not None:
            self._serving = serving(self.llm, MESSAGES)
            self._serving.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any) -> None:
        try:
            if error is not None:
                self.fail(error)
        finally:
            if self._serving is not None:
                self._serving.__exit__(None, None, None)
                self._serving = None
            context.detach(self._token)  # type: ignore[arg-type]

    def label(self, value: Any) -> Any:
        return self.llm.label(value)

    def finish(
        self,
        attributes: dict[str, AttributeValue],
        output_messages: list[dict[str, Any]] | JsonText | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
    ) -> None:
        """End the span as `LLMCall.finish` does, with the ERROR status the SDK reported for a cut stream. An OK that the
        SDK reports is not kept: as the GenAI conventions ask, and as for every provider, a call that
        succeeded leaves its status unset."""
        if self.llm.ended:
            return
        try:
            if self.sdk_status is not None and self.sdk_status.status_code is StatusCode.ERROR:
                self.llm.span.set_status(self.sdk_status)
            self.llm.finish(attributes, output_messages, input_tokens, output_tokens)
        except Exception:
            report_internal_error("anthropic: ending a call span")

    def finish_message(self, message: Any) -> None:
        if self.llm.ended:
            return
        try:
            result = messages.message_result(message, self.capture)
        except Exception:
            report_internal_error("anthropic: reading a response")
            result = messages.Result({}, None, None, None)
        self.finish(*result)

    def fail(self, error: BaseException) -> None:
        """End the span with `error`; the caller re-raises it."""
        if self.llm.ended:
            return
        try:
            sdk_type = self.sdk_error_type
            if sdk_type and sdk_type != type(error).__qualname__:
                # ao's `error.type` is the exception class, as for every provider; the SDK's is kept beside it.
                self.llm.span.set_attribute("anthropic.error.type", sdk_type)
            self.llm.fail(error)
        except Exception:
            report_internal_error("anthropic: failing a call span")
