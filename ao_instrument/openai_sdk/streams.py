"""Streamed results: recorders that turn chunks or events into the span's output (the shared stream
proxies end the span with the stream), and the proxies of the helper streams that label what they hand out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from ao_instrument.genai.call_span import LLMCall
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.stream_wrapper import AsyncLabelledStream, LabelledStream
from ao_instrument.openai_sdk import attributes as attrs
from ao_instrument.openai_sdk import messages
from ao_instrument.openai_sdk.results import finish_responses


class _Recorder(ABC):
    """What the chat and Responses recorders share: the call, and ending its span once, fail-open."""

    __slots__ = ("call", "capture", "label")

    def __init__(self, call: LLMCall) -> None:
        self.call = call
        self.capture = call.capture
        self.label = call.label

    def first_item(self) -> None:
        self.call.first_chunk()

    @abstractmethod
    def add(self, item: Any) -> None:
        """Take in one chunk or event."""

    @abstractmethod
    def finish(self) -> None:
        """End the span from what was read."""

    def end(self) -> None:
        if self.call.ended:
            return
        try:
            self.finish()
        except Exception:
            report_internal_error("ending a streamed call")
            self.call.finish({})

    def fail(self, error: BaseException) -> None:
        self.call.fail(error)

    def drop(self, stream: Any) -> None:
        self.end()


class ResultRecorder(_Recorder):
    """The parsed body of a call made through a raw response: the span ends from it when it is read."""

    __slots__ = ("result", "finish_result")

    def __init__(self, call: LLMCall, finish: Callable[[LLMCall, Any], None]) -> None:
        super().__init__(call)
        self.result: Any = None
        self.finish_result = finish

    def add(self, result: Any) -> None:
        self.result = result

    def finish(self) -> None:
        if self.result is None:
            self.call.finish({})
        else:
            self.finish_result(self.call, self.result)


class _Choice:
    __slots__ = ("text", "refusal", "tool_calls", "finish_reason")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.refusal: list[str] = []
        self.tool_calls: dict[int, list[Any]] = {}  # index -> [id, name, argument pieces]
        self.finish_reason: str | None = None

    def message(self) -> str:
        parts: list[str] = []
        if self.text:
            parts.append(messages.text_part("".join(self.text)))
        if self.refusal:
            parts.append(messages.typed_part("refusal", "".join(self.refusal)))
        for call_id, name, pieces in self.tool_calls.values():
            parts.append(messages.tool_call_part(call_id, name, "".join(pieces)))
        return messages.message("assistant", parts, attrs.finish_reason(self.finish_reason))


class ChatRecorder(_Recorder):
    """Chat completion chunks: ids, finish reasons, usage (last chunk), and with capture the deltas."""

    __slots__ = ("chunk", "usage", "choices")

    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self.chunk: Any = None
        self.usage: Any = None
        self.choices: dict[int, _Choice] = {}

    def add(self, chunk: Any) -> None:
        self.chunk = chunk
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            state = self.choices.get(choice.index)
            if state is None:
                state = self.choices[choice.index] = _Choice()
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
            if self.capture:
                self._add_delta(state, choice.delta)

    @staticmethod
    def _add_delta(state: _Choice, delta: Any) -> None:
        if delta is None:
            return
        if delta.content:
            state.text.append(delta.content)
        if delta.refusal:
            state.refusal.append(delta.refusal)
        for call in delta.tool_calls or ():
            entry = state.tool_calls.get(call.index)
            if entry is None:
                entry = state.tool_calls[call.index] = [None, None, []]
            if call.id:
                entry[0] = call.id
            function = call.function
            if function is not None:
                if function.name:
                    entry[1] = function.name
                if function.arguments:
                    entry[2].append(function.arguments)
        if delta.function_call is not None:
            entry = state.tool_calls.setdefault(-1, [None, None, []])
            if delta.function_call.name:
                entry[1] = delta.function_call.name
            if delta.function_call.arguments:
                entry[2].append(delta.function_call.arguments)

    def finish(self) -> None:
        attributes = attrs.chat_identity(self.chunk) if self.chunk is not None else {}
        choices = [self.choices[index] for index in sorted(self.choices)]
        if any(choice.finish_reason for choice in choices):
            attributes[sc.RESPONSE_FINISH_REASONS] = tuple(attrs.finish_reason(c.finish_reason) for c in choices)
        input_tokens, output_tokens = attrs.chat_usage(attributes, self.usage)
        output = messages.json_list([choice.message() for choice in choices]) if self.capture else None
        self.call.finish(attributes, output, input_tokens, output_tokens)


_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesRecorder(_Recorder):
    """Responses API events: the final response when it arrives, else what was streamed so far."""

    __slots__ = ("response", "items", "text")

    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self.response: Any = None
        self.items: list[Any] = []
        self.text: list[str] = []

    def add(self, event: Any) -> None:
        kind = event.type
        if kind in _FINAL_EVENTS or kind == "response.created":
            self.response = event.response
        elif self.capture:
            if kind == "response.output_text.delta":
                self.text.append(event.delta)
            elif kind == "response.output_item.done":
                self.items.append(event.item)
                self.text.clear()

    def finish(self) -> None:
        response = self.response
        if response is not None and response.status in ("completed", "incomplete", "failed"):
            finish_responses(self.call, response)
            return
        attributes, input_tokens, output_tokens = attrs.responses_response(response) if response else ({}, None, None)
        attributes.pop(sc.RESPONSE_FINISH_REASONS, None)
        output = None
        if self.capture:
            parts = messages.output_parts(self.items)
            if self.text:
                parts.append(messages.text_part("".join(self.text)))
            output = messages.json_list([messages.message("assistant", parts, "")])
        self.call.finish(attributes, output, input_tokens, output_tokens)


class ChatCompletionStream(LabelledStream):
    """The `chat.completions.stream()` helper's stream: events, snapshot and final completion labelled."""

    def get_final_completion(self) -> Any:
        return self._self_label(self.__wrapped__.get_final_completion())

    @property
    def current_completion_snapshot(self) -> Any:
        return self._self_label(self.__wrapped__.current_completion_snapshot)


class AsyncChatCompletionStream(AsyncLabelledStream):
    """The async `chat.completions.stream()` helper's stream: events, snapshot and final completion labelled."""

    async def get_final_completion(self) -> Any:
        return self._self_label(await self.__wrapped__.get_final_completion())

    @property
    def current_completion_snapshot(self) -> Any:
        return self._self_label(self.__wrapped__.current_completion_snapshot)


class ResponseStream(LabelledStream):
    """The `responses.stream()` helper's stream: events and final response labelled."""

    def get_final_response(self) -> Any:
        return self._self_label(self.__wrapped__.get_final_response())


class AsyncResponseStream(AsyncLabelledStream):
    """The async `responses.stream()` helper's stream: events and final response labelled."""

    async def get_final_response(self) -> Any:
        return self._self_label(await self.__wrapped__.get_final_response())
