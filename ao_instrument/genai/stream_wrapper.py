"""Stream proxies shared by the instrumentors.

`ObservedStream` / `ObservedAsyncStream` wrap an SDK stream of one call: each item goes to the
call's `StreamRecorder` and reaches the user labelled (the first one gives the call's time to first
chunk: `gen_ai.response.time_to_first_chunk` and its metric); the span ends once, when the stream is
exhausted, fails, is closed, is dropped and collected, or is still open when the program exits.
`LabelledStream` / `AsyncLabelledStream` only label what the user reads (helper streams whose span
another proxy ends). `raw_response.ObservedRawResponse` ends the span of a raw response with its body.
"""

from __future__ import annotations

import atexit
from weakref import WeakSet
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from wrapt import ObjectProxy

from ao_instrument.genai.fail_open import report_internal_error

T = TypeVar("T")
Label = Callable[[Any], Any]


class StreamRecorder(Protocol):
    """One streamed call, as its stream proxy reports to it."""

    def first_item(self) -> None:
        """The stream's first item arrived (the call's time to first chunk)."""

    def add(self, item: Any) -> None:
        """Take in one item of the stream."""

    def label(self, item: T) -> T:
        """What the user gets for `item`; never raises."""

    def end(self) -> None:
        """End the call's span from what was read; later calls are ignored."""

    def fail(self, error: BaseException) -> None:
        """End the call's span with `error`."""

    def drop(self, stream: Any) -> None:
        """`stream` is collected, or the program exits, before its end: end the span."""


def _hidden(hide: Callable[[Any], bool], item: Any) -> bool:
    try:
        return hide(item)
    except Exception:
        report_internal_error("reading a stream item")
        return False


def _guarded(action: Callable[..., None], *args: Any, doing: str = "ending a streamed call") -> None:
    try:
        action(*args)
    except Exception:
        report_internal_error(doing)


class _OpenStreams:
    """Streams not ended yet. Those still open at exit are ended by an exit hook, registered with the
    first stream so that it runs before the tracer provider shuts down."""

    def __init__(self) -> None:
        self.streams: WeakSet[_Observed] = WeakSet()
        self.hooked = False

    def add(self, stream: _Observed) -> None:
        if not self.hooked:
            self.hooked = True
            atexit.register(self.drop_all)
        self.streams.add(stream)

    def drop_all(self) -> None:
        for stream in list(self.streams):
            stream._self_drop()


_OPEN = _OpenStreams()


class _Observed(ObjectProxy):  # type: ignore[misc]
    """Common part of the stream proxies: the recorder, and ending abandoned streams.

    A dropped stream is ended in `__del__`: unlike a weakref callback, it runs while the SDK's
    objects around the stream are intact, also in a reference cycle. Streams still open at exit
    are ended by `_OPEN`'s exit hook.
    """

    _self_open = False
    _self_started = False  # a stream's first item has arrived

    def __init__(self, stream: Any, recorder: StreamRecorder, hide: Callable[[Any], bool] | None = None) -> None:
        super().__init__(stream)
        self._self_recorder = recorder
        self._self_hide = hide  # items that ao's own request options added: recorded, not handed out
        self._self_open = True
        _OPEN.add(self)

    def __del__(self) -> None:
        self._self_drop()

    def _self_drop(self) -> None:
        if self._self_open:
            self._self_open = False
            _guarded(self._self_recorder.drop, self.__wrapped__)

    def _self_first(self) -> None:
        self._self_started = True
        _guarded(self._self_recorder.first_item, doing="timing a stream's first item")

    def _self_observe(self, item: Any) -> Any:
        recorder = self._self_recorder
        try:
            recorder.add(item)
        except Exception:
            report_internal_error("accumulating a stream")
        return recorder.label(item)

    def _self_end(self) -> None:
        self._self_open = False
        _guarded(self._self_recorder.end)

    def _self_fail(self, error: BaseException) -> None:
        self._self_open = False
        _guarded(self._self_recorder.fail, error)


class ObservedStream(_Observed):
    """A sync SDK stream whose call's span ends with it."""

    def __iter__(self) -> ObservedStream:
        return self

    def __next__(self) -> Any:
        while True:
            try:
                item = self.__wrapped__.__next__()
            except StopIteration:
                self._self_end()
                raise
            except BaseException as error:
                self._self_fail(error)
                raise
            if not self._self_started:
                self._self_first()
            observed = self._self_observe(item)
            if self._self_hide is None or not _hidden(self._self_hide, item):
                return observed

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
    """An async SDK stream whose call's span ends with it."""

    def __aiter__(self) -> ObservedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        while True:
            try:
                item = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                self._self_end()
                raise
            except BaseException as error:
                self._self_fail(error)
                raise
            if not self._self_started:
                self._self_first()
            observed = self._self_observe(item)
            if self._self_hide is None or not _hidden(self._self_hide, item):
                return observed

    async def __aenter__(self) -> ObservedAsyncStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_end()


class LabelledStream(ObjectProxy):  # type: ignore[misc]
    """A sync stream whose items reach the user labelled by `label`."""

    def __init__(self, stream: Any, label: Label) -> None:
        super().__init__(stream)
        self._self_label = label

    def __iter__(self) -> LabelledStream:
        return self

    def __next__(self) -> Any:
        return self._self_label(self.__wrapped__.__next__())

    def __enter__(self) -> LabelledStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        return self.__wrapped__.__exit__(*exc_info)

    def until_done(self) -> Any:
        done = self.__wrapped__.until_done()
        return self if done is self.__wrapped__ else done


class AsyncLabelledStream(ObjectProxy):  # type: ignore[misc]
    """An async stream whose items reach the user labelled by `label`."""

    def __init__(self, stream: Any, label: Label) -> None:
        super().__init__(stream)
        self._self_label = label

    def __aiter__(self) -> AsyncLabelledStream:
        return self

    async def __anext__(self) -> Any:
        return self._self_label(await self.__wrapped__.__anext__())

    async def __aenter__(self) -> AsyncLabelledStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self.__wrapped__.__aexit__(*exc_info)

    async def until_done(self) -> Any:
        done = await self.__wrapped__.until_done()
        return self if done is self.__wrapped__ else done
