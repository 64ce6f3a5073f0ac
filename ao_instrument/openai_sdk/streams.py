"""Streamed results: proxies that end the call's span when the stream is exhausted, fails, is closed,
or is abandoned and collected, and accumulators that turn chunks or events into the span's output."""

from __future__ import annotations

import weakref
from typing import Any, Protocol

import wrapt

from ao_instrument.genai import LLMCall
from ao_instrument.genai import semconv as sc
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.openai_sdk import attributes as attrs
from ao_instrument.openai_sdk import messages
from ao_instrument.openai_sdk.results import finish_responses


class Accumulator(Protocol):
    call: LLMCall

    def add(self, item: Any) -> None: ...

    def finish(self) -> None: ...


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
        return messages.message("assistant", parts, messages.finish_reason(self.finish_reason))


class ChatAccumulator:
    """Chat completion chunks: ids, finish reasons, usage (last chunk), and with capture the deltas."""

    __slots__ = ("call", "capture", "chunk", "usage", "choices")

    def __init__(self, call: LLMCall) -> None:
        self.call = call
        self.capture = call.capture
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
        if self.call.ended:
            return
        attributes = attrs.chat_identity(self.chunk) if self.chunk is not None else {}
        choices = [self.choices[index] for index in sorted(self.choices)]
        if any(choice.finish_reason for choice in choices):
            attributes[sc.RESPONSE_FINISH_REASONS] = tuple(choice.finish_reason or "" for choice in choices)
        input_tokens, output_tokens = attrs.chat_usage(attributes, self.usage)
        output = messages.json_list([choice.message() for choice in choices]) if self.capture else None
        self.call.finish(attributes, output, input_tokens, output_tokens)


_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesAccumulator:
    """Responses API events: the final response when it arrives, else what was streamed so far."""

    __slots__ = ("call", "capture", "response", "items", "text")

    def __init__(self, call: LLMCall) -> None:
        self.call = call
        self.capture = call.capture
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
        if self.call.ended:
            return
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


def _end(accumulator: Accumulator) -> None:
    try:
        accumulator.finish()
    except Exception:
        report_internal_error("ending a streamed call")
        accumulator.call.finish({})


def _fail(accumulator: Accumulator, error: BaseException) -> None:
    try:
        accumulator.call.fail(error)
    except Exception:
        report_internal_error("failing a streamed call")


class _Observed(wrapt.ObjectProxy):
    """Common part of the stream proxies: the accumulator, and a finalizer for abandoned streams."""

    def __init__(self, stream: Any, accumulator: Accumulator) -> None:
        super().__init__(stream)
        self._self_accumulator = accumulator
        self._self_finalizer = weakref.finalize(self, _end, accumulator)

    def _self_observe(self, item: Any) -> Any:
        accumulator = self._self_accumulator
        try:
            accumulator.add(item)
        except Exception:
            report_internal_error("accumulating a stream")
        return accumulator.call.label(item)

    def _self_end(self) -> None:
        self._self_finalizer.detach()
        _end(self._self_accumulator)

    def _self_fail(self, error: BaseException) -> None:
        self._self_finalizer.detach()
        _fail(self._self_accumulator, error)


class ObservedStream(_Observed):
    """An `openai.Stream` whose span ends with it."""

    def __iter__(self) -> ObservedStream:
        return self

    def __next__(self) -> Any:
        try:
            item = self.__wrapped__.__next__()
        except StopIteration:
            self._self_end()
            raise
        except BaseException as error:
            self._self_fail(error)
            raise
        return self._self_observe(item)

    def __enter__(self) -> ObservedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_end()


class ObservedAsyncStream(_Observed):
    """An `openai.AsyncStream` whose span ends with it."""

    def __aiter__(self) -> ObservedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_end()
            raise
        except BaseException as error:
            self._self_fail(error)
            raise
        return self._self_observe(item)

    async def __aenter__(self) -> ObservedAsyncStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_end()
