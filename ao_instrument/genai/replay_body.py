"""What a provider tells replay about one API: how to rebuild its HTTP bodies from a recorded call.

A replayed call is answered at the SDK's HTTP transport (`replay.serving`), so the SDK builds its own
response, stream, helper-stream and raw-response objects from the body, exactly as from the network.
Each provider API fills in a `ReplayBody`: the response object from the span's recorded attributes, the
same object as the events of a stream, and where an edit's text goes in a request or a response.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

# One server-sent event: its `event:` name (None for data-only streams) and its JSON data.
Event = tuple[str | None, dict[str, Any]]


class ReplayBody(Protocol):
    """The bodies of one provider API (OpenAI chat, Responses, embeddings; Anthropic messages)."""

    done_marker: bool  # its streams end with `data: [DONE]`

    def response(self, attributes: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON response of a recorded call, from its span attributes; `request` is the request sent."""
        ...

    def events(self, response: Mapping[str, Any], request: Mapping[str, Any]) -> list[Event]:
        """`response` as the events of a stream, for a request with `stream: true`."""
        ...

    def with_output_text(self, response: dict[str, Any], text: str) -> dict[str, Any]:
        """`response` with the text of its first output message replaced."""
        ...

    def with_input_text(self, request: dict[str, Any], text: str) -> dict[str, Any]:
        """`request` with the text of its last user message replaced."""
        ...

    def input_messages(self, request: Mapping[str, Any]) -> Any:
        """`gen_ai.input.messages` of an edited request (semconv messages or their `JsonText`), or None."""
        ...


def server_sent_events(events: Iterable[Event], done: bool) -> bytes:
    """The `text/event-stream` body of `events`, ending with `data: [DONE]` when `done`."""
    lines: list[str] = []
    for name, data in events:
        if name is not None:
            lines.append(f"event: {name}")
        lines.append("data: " + json.dumps(data, separators=(",", ":")))
        lines.append("")
    if done:
        lines += ["data: [DONE]", ""]
    return ("\n".join(lines) + "\n").encode()


def recorded_json(attributes: Mapping[str, Any], name: str) -> Any:
    """A JSON attribute of a recorded span, None when absent or not JSON."""
    text = attributes.get(name)
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def recorded_int(attributes: Mapping[str, Any], name: str) -> int:
    """An integer attribute of a recorded span (stored as text), 0 when absent."""
    try:
        return int(attributes.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def replace_last_user_text(messages: list[Any], text: str, text_type: str = "text") -> list[Any]:
    """`messages` (chat-like dicts) with the last user message's text replaced: its string content, or its
    first part of `text_type`; a message without text gets the text as its whole content."""
    edited = list(messages)
    for index in range(len(edited) - 1, -1, -1):
        message = edited[index]
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        message = dict(message)
        content = message.get("content")
        if isinstance(content, list):
            parts = list(content)
            for position, part in enumerate(parts):
                if isinstance(part, dict) and part.get("type") == text_type:
                    parts[position] = {**part, "text": text}
                    message["content"] = parts
                    break
            else:
                message["content"] = text
        else:
            message["content"] = text
        edited[index] = message
        return edited
    return [*edited, {"role": "user", "content": text}]
