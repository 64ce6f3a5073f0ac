"""Streams: the span of a streamed call ends once, when its stream is exhausted, fails, is closed or dropped.

`traced_stream` wraps the SDK's `Stream` of raw events, whether the user reads it (`create(stream=True)`)
or the `messages.stream()` helper does; `TracedMessageStream` wraps that helper's stream to label
what the user gets from it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ao_instrument.anthropic_sdk import messages
from ao_instrument.anthropic_sdk.call import TracedCall
from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.stream_wrapper import (
    AsyncLabelledStream,
    Label,
    LabelledStream,
    ObservedAsyncStream,
    ObservedStream,
)

_DELTA_FIELDS = {"text_delta": "text", "input_json_delta": "partial_json", "thinking_delta": "thinking"}


class StreamState:
    """What the raw events of one streamed Message say of its response; content only when captured."""

    __slots__ = ("capture", "started", "id", "model", "stop_reason", "tokens", "blocks")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.started = False
        self.id: Any = None
        self.model: Any = None
        self.stop_reason: Any = None
        self.tokens: list[int | None] = [None, None, None, None]
        self.blocks: dict[int, tuple[Any, list[str]]] = {}

    def add(self, event: Any) -> None:
        try:
            kind = event.type
            if kind == "content_block_delta":
                if self.capture:
                    delta = event.delta
                    field = _DELTA_FIELDS.get(delta.type)
                    if field is not None:
                        self.blocks[event.index][1].append(getattr(delta, field))
            elif kind == "content_block_start":
                if self.capture:
                    self.blocks[event.index] = (event.content_block, [])
            elif kind == "message_start":
                message = event.message
                self.started = True
                self.id, self.model = message.id, message.model
                self.tokens = list(messages.usage_tokens(message.usage))
            elif kind == "message_delta":
                self.stop_reason = event.delta.stop_reason
                # Cumulative counts; the input ones only when the server sends them again.
                for i, count in enumerate(messages.usage_tokens(event.usage)):
                    if count is not None:
                        self.tokens[i] = count
        except Exception:
            report_internal_error("anthropic: reading a stream event")

    def result(self) -> messages.Result:
        content = self.content() if self.capture and self.started else None
        return messages.result(self.id, self.model, self.stop_reason, tuple(self.tokens), content, self.capture)  # type: ignore[arg-type]

    def content(self) -> list[Any]:
        blocks = []
        for index in sorted(self.blocks):
            block, chunks = self.blocks[index]
            kind = messages.get(block, "type")
            if not chunks:
                blocks.append(block)
            elif kind == "text":
                blocks.append({"type": "text", "text": "".join(chunks)})
            elif kind == "thinking":
                blocks.append({"type": "thinking", "thinking": "".join(chunks)})
            else:
                blocks.append({"type": kind, "id": messages.get(block, "id"), "name": messages.get(block, "name"),
                               "input": _json("".join(chunks))})  # fmt: skip
        return blocks


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


class Recorder:
    """One streamed call as its stream proxy reports to it: events go to a `StreamState`, the span ends once."""

    __slots__ = ("call", "state", "label")

    def __init__(self, call: TracedCall, label: bool) -> None:
        self.call = call
        self.state = StreamState(call.capture)
        self.label = call.label if label else _unlabelled

    def first_item(self) -> None:
        self.call.llm.first_chunk()

    def add(self, event: Any) -> None:
        self.state.add(event)

    def end(self) -> None:
        if not self.call.ended:
            self.call.finish(*self.state.result())

    def fail(self, error: BaseException) -> None:
        self.call.fail(error)

    def drop(self, stream: Any) -> None:
        if self.call.ended:
            return
        end_sdk_observer(self.call, stream)
        self.end()


class MessageRecorder:
    """The body of a call made through a raw response: the span ends from its `Message` when it is read."""

    __slots__ = ("call", "message", "label")

    def __init__(self, call: TracedCall) -> None:
        self.call = call
        self.message: Any = None
        self.label = call.label

    def first_item(self) -> None:
        self.call.llm.first_chunk()

    def add(self, message: Any) -> None:
        self.message = message

    def end(self) -> None:
        if self.message is None:
            self.call.finish({})
        else:
            self.call.finish_message(self.message)

    def fail(self, error: BaseException) -> None:
        self.call.fail(error)

    def drop(self, response: Any) -> None:
        if self.call.ended:
            return
        end_sdk_observer(self.call, response)
        self.end()


def end_sdk_observer(call: TracedCall, body: Any) -> None:
    """Before ao's span of a dropped stream or raw response ends, let the SDK record what it read."""
    try:
        if call.sdk_claimed:
            observer = getattr(body, "_observer", None)  # a `Stream`
            if observer is None:  # a raw response
                http_body = getattr(getattr(body, "http_response", None), "stream", None)
                observer = getattr(http_body, "stream_observer", None)
            if observer is not None:
                observer.end("closed")
    except Exception:
        report_internal_error("anthropic: ending a dropped stream")


def _unlabelled(event: Any) -> Any:
    return event


def traced_stream(stream: Any, call: TracedCall, is_async: bool, label: bool = True) -> Any:
    """An SDK `Stream` or `AsyncStream` of raw events, recorded on `call`'s span."""
    proxy = ObservedAsyncStream if is_async else ObservedStream
    return proxy(stream, Recorder(call, label))


class TracedMessageStream(LabelledStream):
    """The `messages.stream()` helper's `MessageStream`, labelling what the user reads from it."""

    def __init__(self, stream: Any, call: TracedCall) -> None:
        super().__init__(stream, call.label)
        self._self_text: Iterator[str] | None = None

    @property
    def text_stream(self) -> Iterator[str]:
        if self._self_text is None:
            self._self_text = map(self._self_label, self.__wrapped__.text_stream)
        return self._self_text

    @property
    def current_message_snapshot(self) -> Any:
        return self._self_label(self.__wrapped__.current_message_snapshot)

    def get_final_message(self) -> Any:
        return self._self_label(self.__wrapped__.get_final_message())

    def get_final_text(self) -> str:
        return self._self_label(self.__wrapped__.get_final_text())  # type: ignore[no-any-return]


class AsyncTracedMessageStream(AsyncLabelledStream):
    """The async `messages.stream()` helper's `AsyncMessageStream`, labelling what the user reads from it."""

    def __init__(self, stream: Any, call: TracedCall) -> None:
        super().__init__(stream, call.label)
        self._self_text: AsyncIterator[str] | None = None

    @property
    def text_stream(self) -> AsyncIterator[str]:
        if self._self_text is None:
            self._self_text = _alabelled(self.__wrapped__.text_stream, self._self_label)
        return self._self_text

    @property
    def current_message_snapshot(self) -> Any:
        return self._self_label(self.__wrapped__.current_message_snapshot)

    async def get_final_message(self) -> Any:
        return self._self_label(await self.__wrapped__.get_final_message())

    async def get_final_text(self) -> str:
        return self._self_label(await self.__wrapped__.get_final_text())  # type: ignore[no-any-return]


async def _alabelled(texts: AsyncIterator[str], label: Label) -> AsyncIterator[str]:
    async for text in texts:
        yield label(text)


def trace_message_stream(stream: Any, call: TracedCall, is_async: bool) -> Any:
    """Record the helper's raw stream on `call`'s span; returns what the user gets in its place."""
    stream._raw_stream = traced_stream(stream._raw_stream, call, is_async, label=False)
    return AsyncTracedMessageStream(stream, call) if is_async else TracedMessageStream(stream, call)
