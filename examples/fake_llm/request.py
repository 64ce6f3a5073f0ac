"""A request received by the fake server, with provider-neutral views of its content."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

CHAT_PATH = "/v1/chat/completions"
RESPONSES_PATH = "/v1/responses"
EMBEDDINGS_PATH = "/v1/embeddings"
MESSAGES_PATH = "/v1/messages"


@dataclass
class Request:
    """One HTTP request: path, parsed JSON body, lower-cased headers, and its 1-based number."""

    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    number: int = 0

    @property
    def provider(self) -> str:
        return "anthropic" if self.path.startswith(MESSAGES_PATH) else "openai"

    @property
    def model(self) -> str:
        model = self.body.get("model") if isinstance(self.body, dict) else None
        return model if isinstance(model, str) else "fake-model"

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def last_user_text(self) -> str:
        """Text of the last user-side message (user, tool or function output), "" if none."""
        if not isinstance(self.body, dict):
            return ""
        if self.path == RESPONSES_PATH:
            return _last_responses_input_text(self.body.get("input"))
        messages = self.body.get("messages")
        if not isinstance(messages, list):
            return ""
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") in ("user", "tool", "function"):
                return _text_of(message.get("content"))
        return ""

    @property
    def has_tool_result(self) -> bool:
        """Whether the conversation already holds a tool's result (a tool loop's later turn): a `tool`
        message, a Responses `function_call_output` item, or an Anthropic `tool_result` block."""
        if not isinstance(self.body, dict):
            return False
        items = self.body.get("input") if self.path == RESPONSES_PATH else self.body.get("messages")
        if not isinstance(items, list):
            return False
        for item in items:
            if not isinstance(item, dict):
                continue
            if item.get("role") in ("tool", "function") or item.get("type") == "function_call_output":
                return True
            content = item.get("content")
            if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "tool_result" for p in content):
                return True
        return False

    @property
    def prompt_text(self) -> str:
        """Everything the model would read, as one string (used to count input tokens)."""
        if not isinstance(self.body, dict):
            return ""
        keys = ("system", "instructions", "messages", "input", "tools", "functions")
        return json.dumps([self.body[key] for key in keys if key in self.body])

    @property
    def response_schema(self) -> dict[str, Any] | None:
        """The JSON schema the reply must fit (structured output), if the request asks for one."""
        fmt = self._response_format()
        if fmt.get("type") == "json_schema":
            schema = fmt.get("schema", fmt.get("json_schema", {}).get("schema"))
            return schema if isinstance(schema, dict) else {}
        if fmt.get("type") == "json_object":
            return {"type": "object", "properties": {"reply": {"type": "string"}}}
        return None

    def _response_format(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            return {}
        if self.path == CHAT_PATH:
            fmt = self.body.get("response_format")
        elif self.path == RESPONSES_PATH:
            fmt = (self.body.get("text") or {}).get("format")
        else:
            fmt = (self.body.get("output_config") or {}).get("format") or self.body.get("output_format")
        return fmt if isinstance(fmt, dict) else {}

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "path": self.path, "body": self.body, "headers": self.headers}


def _last_responses_input_text(items: Any) -> str:
    if isinstance(items, str):
        return items
    if not isinstance(items, list):
        return ""
    for item in reversed(items):
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output":
            return _text_of(item.get("output"))
        if item.get("role") == "user":
            return _text_of(item.get("content"))
    return ""


def _text_of(content: Any) -> str:
    """Concatenated text of a message content: a string or a list of parts of any provider."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif part.get("type") == "tool_result":
                texts.append(_text_of(part.get("content")))
    return " ".join(text for text in texts if text)


class RequestLog:
    """Thread-safe, numbered record of the requests received since the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[Request] = []

    def record(self, path: str, body: Any, headers: dict[str, str]) -> Request:
        with self._lock:
            request = Request(path, body, headers, len(self._requests) + 1)
            self._requests.append(request)
            return request

    def snapshot(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
