"""Edit bodies checked against the provider SDK's own types.

`{"text": str}` replaces a text; `{"request": {...}}` (an input) and `{"response": {...}}` (an output) are
whole provider objects, validated with the installed SDK: OpenAI chat completion create params or
`ChatCompletion`, Responses create params or `Response`, embeddings create params or
`CreateEmbeddingResponse`; Anthropic `MessageCreateParams` or `Message`. The SDKs are not dependencies of
the collector: they are imported when an edit needs them, and a missing one is said plainly.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import TypeAdapter, ValidationError

# (provider, operation, kind, which object) -> (module, type name); "which" tells OpenAI chat from Responses.
_TYPES: dict[tuple[str, str, str, str], tuple[str, str]] = {
    ("openai", "chat", "input", "chat"): ("openai.types.chat.completion_create_params", "CompletionCreateParamsBase"),
    ("openai", "chat", "output", "chat"): ("openai.types.chat", "ChatCompletion"),
    ("openai", "chat", "input", "responses"): ("openai.types.responses.response_create_params", "ResponseCreateParamsBase"),
    ("openai", "chat", "output", "responses"): ("openai.types.responses", "Response"),
    ("openai", "embeddings", "input", "embeddings"): ("openai.types", "EmbeddingCreateParams"),
    ("openai", "embeddings", "output", "embeddings"): ("openai.types", "CreateEmbeddingResponse"),
    ("anthropic", "chat", "input", "messages"): ("anthropic.types.message_create_params", "MessageCreateParamsBase"),
    ("anthropic", "chat", "output", "messages"): ("anthropic.types", "Message"),
}
_PACKAGE = {"openai": "openai", "anthropic": "anthropic"}


class EditRefused(Exception):
    """A bad edit body; `status` is the HTTP status to answer (422, or 501 when the SDK is missing)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def check(body: Any, kind: str, provider: str, operation: str) -> dict[str, Any]:
    """The edit `body` of a call's `kind` when valid; raises EditRefused naming the wrong field."""
    whole = "request" if kind == "input" else "response"
    if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in ("text", whole):
        raise EditRefused(f"an {kind} edit is an object with exactly one field, 'text' or '{whole}'")
    if "text" in body:
        if not isinstance(body["text"], str):
            raise EditRefused("field 'text' must be a string")
        return body
    value = body[whole]
    if not isinstance(value, dict):
        raise EditRefused(f"field '{whole}' must be an object")
    _validate(value, kind, provider, operation, whole)
    return body


def _which(value: dict[str, Any], kind: str, provider: str, operation: str) -> str:
    if provider == "anthropic":
        return "messages"
    if operation == "embeddings":
        return "embeddings"
    if kind == "input":
        return "chat" if "messages" in value or "input" not in value else "responses"
    return "responses" if value.get("object") == "response" else "chat"


def _validate(value: dict[str, Any], kind: str, provider: str, operation: str, whole: str) -> None:
    key = (provider, operation, kind, _which(value, kind, provider, operation))
    if key not in _TYPES:
        raise EditRefused(f"whole-object edits are not supported for {provider or '?'} {operation or '?'} calls; "
                          "use {\"text\": ...}")
    module_name, type_name = _TYPES[key]
    try:
        sdk_type = getattr(importlib.import_module(module_name), type_name)
    except ImportError:
        raise EditRefused(f"the {_PACKAGE[provider]} package is not installed beside the collector, so a "
                          f"'{whole}' edit cannot be checked; install it (pip install {_PACKAGE[provider]})",
                          status=501) from None
    adapter = TypeAdapter(sdk_type)  # alive while its lazy iterators are consumed
    path: list[object] = []
    try:
        _consume(adapter.validate_python(value), [], path)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in (whole, *path, *first["loc"]))
        raise EditRefused(f"field '{field}': {first['msg']} ({type_name})") from None


def _consume(value: Any, path: list[object], failed_at: list[object]) -> None:
    """Walk a validated value so that lazily validated iterables (the SDKs' `Iterable[...]` params) are
    checked too; on a ValidationError, `failed_at` holds the path of the iterable that raised it."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    elif isinstance(value, (str, bytes, int, float, bool)) or value is None or not hasattr(value, "__iter__"):
        return
    else:
        try:
            items = enumerate(list(value))
        except ValidationError:
            failed_at[:] = path
            raise
    for key, item in items:
        _consume(item, [*path, key], failed_at)
