"""Raw responses (`with_raw_response`, `with_streaming_response`) whose call's span ends with their body.

The SDK hands the user a response object whose body is read later, if at all: parsed (`parse()`, a
model, or for a streamed request an SDK stream), read whole (`read()`, `text()`, `json()`), iterated
(`iter_bytes()`, `iter_text()`, `iter_lines()`), or closed unread (`close()`, which the
`with_streaming_response` context manager calls on exit). `ObservedRawResponse` ends the call's span
once, from whatever the user read, with the same attributes as the call without a raw response:

- a parsed model is recorded as it is; a parsed stream is handed out as an `ObservedStream` (or
  `ObservedAsyncStream`) on the call's recorder, which ends the span with the stream;
- a body read as bytes or text is decoded (JSON, or server-sent events for a streamed request) into
  SDK objects with the SDK's own loose model construction, and recorded as parsed ones would be;
- a body closed unread, dropped, or still open at exit ends the span with what is known.

Only the body the user reads through the raw response is seen; one read through its `http_response`
directly ends the span at `close()`, collection or exit, without response attributes.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.genai.stream_wrapper import ObservedAsyncStream, ObservedStream, StreamRecorder, _Observed

Construct = Callable[[Any], Any]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def event_data(text: str) -> Iterator[Any]:
    """The JSON data of each server-sent event in `text`; events whose data is not JSON (`[DONE]`, a
    last event cut short) are skipped."""
    data: list[str] = []
    for line in [*_LINE_BREAK.split(text), ""]:
        if not line:
            if data:
                try:
                    yield json.loads("\n".join(data))
                except ValueError:
                    pass
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)


def _body_read(response: Any) -> bytes | None:
    """The body of `response` when the SDK or the user has read it whole, else `None`."""
    try:
        content = response.http_response.content  # raises `ResponseNotRead` before the body is read whole
    except Exception:
        return None
    return content if isinstance(content, bytes) else None


def observed_raw_response(response: Any, recorder: StreamRecorder, streamed: bool, construct: Construct) -> Any:
    """The proxy that the user gets for `response`: the legacy kind (OpenAI's `with_raw_response`, whose
    `content` and `text` are properties and whose body is only parsed) or the current one."""
    legacy = isinstance(inspect.getattr_static(type(response), "text", None), property)
    return (ObservedRawResponse if legacy else ObservedReadableResponse)(response, recorder, streamed, construct)


class ObservedRawResponse(_Observed):
    """A raw SDK response of one call (see the module docstring), read through `parse()`.

    `recorder` takes the parsed body (one item) of a plain request, or the stream items of a streamed
    one, and ends the call's span; `construct` turns one decoded JSON value (the body, or one event's
    data) into the SDK object the recorder takes, `None` to skip it.
    """

    def __init__(self, response: Any, recorder: StreamRecorder, streamed: bool, construct: Construct) -> None:
        super().__init__(response, recorder)
        self._self_streamed = streamed
        self._self_construct = construct
        self._self_stream: Any = None  # the observed stream that `parse()` handed out
        self._self_read: list[Any] = []  # pieces of the body read by iteration, and how to join them
        if not streamed:
            self._self_record_parsed_body()  # `with_raw_response` reads a plain body before it returns

    # --- parsing --------------------------------------------------------------------------------

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = self.__wrapped__.parse(*args, **kwargs)
        except BaseException:
            self._self_record_body()
            raise
        if inspect.isawaitable(parsed):
            return self._self_parsed_later(parsed, bool(args or kwargs))
        return self._self_parsed(parsed, bool(args or kwargs))

    async def _self_parsed_later(self, parsed: Awaitable[Any], custom: bool) -> Any:
        try:
            value = await parsed
        except BaseException:
            self._self_record_body()
            raise
        return self._self_parsed(value, custom)

    def _self_parsed(self, parsed: Any, custom: bool) -> Any:
        """What the user gets for `parsed`: an observed stream, or the labelled model once recorded."""
        recorder = self._self_recorder
        try:
            if self._self_streamed:
                return self._self_observed_stream(parsed)
            if custom:  # parsed to a type of the user's: record the body as the SDK returns it
                self._self_record_body()
            elif self._self_open:
                recorder.add(parsed)
                self._self_end()
        except Exception:
            report_internal_error("observing a parsed raw response")
            self._self_end()
            return parsed
        return recorder.label(parsed)

    def _self_observed_stream(self, parsed: Any) -> Any:
        stream = self._self_stream
        if stream is not None and stream.__wrapped__ is parsed:
            return stream  # the SDK caches what `parse()` returns: one proxy for it too
        if hasattr(parsed, "__next__"):
            stream = ObservedStream(parsed, self._self_recorder)
        elif hasattr(parsed, "__anext__"):
            stream = ObservedAsyncStream(parsed, self._self_recorder)
        else:
            return self._self_recorder.label(parsed)
        self._self_stream = stream
        self._self_open = False  # the stream proxy ends the span now, also when it is dropped
        return stream

    # --- recording a body read as bytes ------------------------------------------------------------

    def _self_record_parsed_body(self) -> None:
        """End the span from the body read whole, parsed by the SDK where that can be done here: it
        caches what it parses, so the user's `parse()` costs nothing more. A parse that fails (a
        `post_parser` refusing the body) fails again for the user, who sees the SDK's error."""
        if _body_read(self.__wrapped__) is None:
            return
        parse = getattr(self.__wrapped__, "parse", None)
        if parse is not None and not inspect.iscoroutinefunction(parse):
            try:
                parsed = parse()
            except Exception:
                parsed = None
            if parsed is not None and not inspect.isawaitable(parsed):
                try:
                    self._self_recorder.add(parsed)
                except Exception:
                    report_internal_error("observing a parsed raw response")
                self._self_end()
                return
        self._self_record_body()

    def _self_record_body(self) -> None:
        """End the span from the body, if it has been read whole."""
        if not self._self_open:
            return
        body = _body_read(self.__wrapped__)
        if body is not None:
            self._self_record_text(body.decode("utf-8", "replace"))

    def _self_record_text(self, text: str) -> None:
        """End the span from the body's text (whole, or the part read before the body ended)."""
        if not self._self_open:
            return
        recorder = self._self_recorder
        try:
            if self._self_streamed:
                values: Any = event_data(text)
            else:
                values = (json.loads(text),)
            for value in values:
                item = self._self_construct(value)
                if item is not None:
                    recorder.add(item)
        except ValueError:
            pass  # not JSON (an error page, a body cut short): the span ends without a response
        except Exception:
            report_internal_error("decoding a raw response's body")
        self._self_end()


class ObservedReadableResponse(ObservedRawResponse):
    """A raw SDK response whose body can also be read whole, iterated or closed unread."""

    def read(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_reading(self.__wrapped__.read, args, kwargs)

    def text(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_reading(self.__wrapped__.text, args, kwargs)

    def json(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_reading(self.__wrapped__.json, args, kwargs)

    def _self_reading(self, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            result = method(*args, **kwargs)
        except BaseException:
            self._self_record_body()
            raise
        if inspect.isawaitable(result):
            return self._self_read_later(result)
        self._self_record_body()
        return result

    async def _self_read_later(self, result: Awaitable[Any]) -> Any:
        try:
            return await result
        finally:
            self._self_record_body()

    # --- iterating the body ----------------------------------------------------------------------

    def iter_bytes(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_tee(self.__wrapped__.iter_bytes(*args, **kwargs), b"")

    def iter_text(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_tee(self.__wrapped__.iter_text(*args, **kwargs), "")

    def iter_lines(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_tee(self.__wrapped__.iter_lines(*args, **kwargs), "\n")

    def _self_tee(self, pieces: Any, separator: str | bytes) -> Any:
        if not self._self_open:
            return pieces
        self._self_read = [separator]
        if hasattr(pieces, "__anext__"):
            return self._self_atee(pieces)
        return self._self_stee(pieces)

    def _self_stee(self, pieces: Iterator[Any]) -> Iterator[Any]:
        read = self._self_read
        try:
            for piece in pieces:
                if self._self_open:
                    read.append(piece)
                yield piece
        except GeneratorExit:
            raise
        except BaseException as error:
            self._self_fail(error)
            raise
        self._self_record_pieces()

    async def _self_atee(self, pieces: AsyncIterator[Any]) -> AsyncIterator[Any]:
        read = self._self_read
        try:
            async for piece in pieces:
                if self._self_open:
                    read.append(piece)
                yield piece
        except GeneratorExit:
            raise
        except BaseException as error:
            self._self_fail(error)
            raise
        self._self_record_pieces()

    def _self_record_pieces(self) -> None:
        read = self._self_read
        if not read:
            return
        separator, pieces = read[0], read[1:]
        self._self_read = []
        try:
            text = separator.join(pieces)
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
        except Exception:
            report_internal_error("joining a raw response's body")
            text = ""
        self._self_record_text(text)

    # --- closing ---------------------------------------------------------------------------------

    def close(self, *args: Any, **kwargs: Any) -> Any:
        result = self.__wrapped__.close(*args, **kwargs)
        if inspect.isawaitable(result):
            return self._self_closed_later(result)
        self._self_closed()
        return result

    async def _self_closed_later(self, result: Awaitable[Any]) -> Any:
        try:
            return await result
        finally:
            self._self_closed()

    def _self_closed(self) -> None:
        """The body is closed: end the span from what was read of it (nothing, in part, or all)."""
        if self._self_read:
            self._self_record_pieces()
        self._self_end()
