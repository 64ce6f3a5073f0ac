"""Streams: the span of a streamed call ends once, when its stream is exhausted, fails, is closed or dropped.

`TracedStream` wraps the SDK's `Stream` of raw events, whether the user reads it (`create(stream=True)`)
or the `messages.stream()` helper does; `TracedMessageStream` wraps that helper's stream to label
what the user gets from it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from wrapt import ObjectProxy

from ao_instrument.anthropic_sdk import messages
from ao_instrument.anthropic_sdk.call import TracedCall
from ao_instrument.genai.fail_open import report_internal_error

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


class _StreamEnd:
    """Shared by the sync and async raw streams: accumulate, label, end once."""

    _self_call: TracedCall
    _self_state: StreamState
    _self_label: bool
    __wrapped__: Any

    def _self_init(self, call: TracedCall, label: bool) -> None:
        self._self_call = call
        self._self_state = StreamState(call.capture)
        self._self_label = label

    def _self_event(self, event: Any) -> Any:
        self._self_state.add(event)
        return self._self_call.label(event) if self._self_label else event

    def _self_finish(self) -> None:
        if not self._self_call.ended:
            self._self_call.finish(self._self_state.result())

    def __del__(self) -> None:
        call = getattr(self, "_self_call", None)
        if call is None or call.ended:
            return
        try:
            if call.sdk_claimed:
                # Dropped unread: let the SDK record what it read before ao's span ends.
                observer = getattr(self.__wrapped__, "_observer", None)
                if observer is not None:
                    observer.end("closed")
        except Exception:
            report_internal_error("anthropic: ending a dropped stream")
        self._self_finish()


class TracedStream(_StreamEnd, ObjectProxy):  # type: ignore[misc]
    """An SDK `Stream` of raw events, recorded on its call's span."""

    def __init__(self, stream: Any, call: TracedCall, label: bool = True) -> None:
        ObjectProxy.__init__(self, stream)
        self._self_init(call, label)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            event = self.__wrapped__.__next__()
        except StopIteration:
            self._self_finish()
            raise
        except BaseException as error:
            self._self_call.fail(error)
            raise
        return self._self_event(event)

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_finish()


class AsyncTracedStream(_StreamEnd, ObjectProxy):  # type: ignore[misc]
    """An SDK `AsyncStream` of raw events, recorded on its call's span."""

    def __init__(self, stream: Any, call: TracedCall, label: bool = True) -> None:
        ObjectProxy.__init__(self, stream)
        self._self_init(call, label)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        try:
            event = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_finish()
            raise
        except BaseException as error:
            self._self_call.fail(error)
            raise
        return self._self_event(event)

    async def __aenter__(self) -> AsyncTracedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_finish()


class TracedMessageStream(ObjectProxy):  # type: ignore[misc]
    """The `messages.stream()` helper's `MessageStream`, labelling what the user reads from it."""

    def __init__(self, stream: Any, call: TracedCall) -> None:
        super().__init__(stream)
        self._self_call = call
        self._self_text: Iterator[str] | None = None

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return self._self_call.label(self.__wrapped__.__next__())

    def __enter__(self) -> TracedMessageStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.__wrapped__.__exit__(*exc_info)

    @property
    def text_stream(self) -> Iterator[str]:
        if self._self_text is None:
            self._self_text = _labelled(self.__wrapped__.text_stream, self._self_call)
        return self._self_text

    @property
    def current_message_snapshot(self) -> Any:
        return self._self_call.label(self.__wrapped__.current_message_snapshot)

    def get_final_message(self) -> Any:
        return self._self_call.label(self.__wrapped__.get_final_message())

    def get_final_text(self) -> str:
        return self._self_call.label(self.__wrapped__.get_final_text())  # type: ignore[no-any-return]


class AsyncTracedMessageStream(ObjectProxy):  # type: ignore[misc]
    """The async `messages.stream()` helper's `AsyncMessageStream`, labelling what the user reads from it."""

    def __init__(self, stream: Any, call: TracedCall) -> None:
        super().__init__(stream)
        self._self_call = call
        self._self_text: AsyncIterator[str] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        return self._self_call.label(await self.__wrapped__.__anext__())

    async def __aenter__(self) -> AsyncTracedMessageStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.__wrapped__.__aexit__(*exc_info)

    @property
    def text_stream(self) -> AsyncIterator[str]:
        if self._self_text is None:
            self._self_text = _alabelled(self.__wrapped__.text_stream, self._self_call)
        return self._self_text

    @property
    def current_message_snapshot(self) -> Any:
        return self._self_call.label(self.__wrapped__.current_message_snapshot)

    async def get_final_message(self) -> Any:
        return self._self_call.label(await self.__wrapped__.get_final_message())

    async def get_final_text(self) -> str:
        return self._self_call.label(await self.__wrapped__.get_final_text())  # type: ignore[no-any-return]


def _labelled(texts: Iterator[str], call: TracedCall) -> Iterator[str]:
    for text in texts:
        yield call.label(text)


async def _alabelled(texts: AsyncIterator[str], call: TracedCall) -> AsyncIterator[str]:
    async for text in texts:
        yield call.label(text)


def trace_message_stream(stream: Any, call: TracedCall, is_async: bool) -> Any:
    """Record the helper's raw stream on `call`'s span; returns what the user gets in its place."""
    raw_proxy = AsyncTracedStream if is_async else TracedStream
    stream._raw_stream = raw_proxy(stream._raw_stream, call, label=False)
    return AsyncTracedMessageStream(stream, call) if is_async else TracedMessageStream(stream, call)
