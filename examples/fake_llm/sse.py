"""Server-sent events: encoding, and streaming responses that can break on purpose."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.responses import StreamingResponse

DONE = "[DONE]"


@dataclass(frozen=True)
class Event:
    """One SSE event: a JSON payload (or a raw string such as "[DONE]") and an optional name."""

    data: Any
    name: str | None = None

    def encode(self) -> bytes:
        data = self.data if isinstance(self.data, str) else json.dumps(self.data)
        head = f"event: {self.name}\n" if self.name else ""
        return f"{head}data: {data}\n\n".encode()


class StreamCut(Exception):
    """Raised inside a streaming body to drop the connection mid-stream (a deliberate fault)."""


class _HideStreamCut(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamCut))


HIDE_STREAM_CUT = _HideStreamCut()


def pieces(text: str, size: int = 3) -> list[str]:
    """`text` split into deltas of `size` words (each keeps its trailing spaces); [""] for ""."""
    words = text.split(" ")
    groups = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [group + " " for group in groups[:-1]] + groups[-1:]


def slices(text: str, width: int = 12) -> list[str]:
    """`text` cut into deltas of `width` characters (for streamed JSON arguments)."""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def stream_response(
    chunks: list[bytes],
    *,
    cut: bool = False,
    media_type: str = "text/event-stream",
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    """A response sending `chunks`, then dropping the connection when `cut`."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk
        if cut:
            raise StreamCut("fake_llm cut the stream on purpose")

    return StreamingResponse(body(), media_type=media_type, headers=headers)
