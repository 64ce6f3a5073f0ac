"""Sources: label what an SDK call returns with the call's origin.

SDK responses are pydantic models, and pydantic hands out exactly the `str` objects it stores, so
the labelled copies are written into the model's `__dict__` (lists and dicts inside it are updated
in place): attribute access, `model_dump()` and `copy` then give labelled values. Text fields of
the SDK's own models are labelled except metadata (ids of the model, roles, finish reasons, usage,
embeddings); inside user data (parsed outputs, tool-call inputs) numbers are labelled too.
Each labelled string is also collected for content matching.
"""

from __future__ import annotations

from typing import Any

from ao_instrument.dataflow import ranges as rg
from ao_instrument.dataflow.labels import LStr, number, plain, text
from ao_instrument.dataflow.scopes import Origin
from ao_instrument.genai.provider import providers

# Fields of SDK models that describe the call rather than carry what the model produced.
METADATA = frozenset(
    (
        "object", "model", "role", "type", "finish_reason", "stop_reason", "stop_sequence", "status",
        "system_fingerprint", "service_tier", "created", "created_at", "usage", "index", "logprobs",
        "embedding", "encoding_format", "incomplete_details", "error", "event", "sequence_number",
        "output_index", "content_index", "item_id",
    )
)  # fmt: skip
# Identifiers the SDK's models carry (and their private attributes, `_request_id`): labelled (an id
# passed back links its call) but not indexed for content matching, where they would be glued to the
# output text (so a short answer was never found whole).
IDENTIFIERS = frozenset(("id", "call_id", "tool_call_id", "tool_use_id", "previous_response_id"))
SDK_PACKAGES = tuple(provider.module_prefix for provider in providers())  # ("openai.", "anthropic.")
MAX_DEPTH = 16


def label_output(value: Any, origin: Origin, collected: list[str]) -> Any:
    """`value` with its text (and user-data numbers) labelled with `origin`; texts go to `collected`."""
    return _label(value, (origin,), not _is_sdk(value), 0, collected)


def _is_sdk(value: Any) -> bool:
    return type(value).__module__.startswith(SDK_PACKAGES)


def _label(value: Any, origins: rg.Origins, user_data: bool, depth: int, collected: list[str]) -> Any:
    cls = type(value)
    if cls is str:
        if not value:
            return value
        collected.append(value)
        return text(value, rg.whole(origins, len(value)))
    if cls is LStr:
        if rg.covers(value._ao, len(value), origins[0]):
            return value
        collected.append(plain(value))
        return text(plain(value), rg.whole(origins, len(value)))
    if cls is int or cls is float:
        return number(value, origins) if user_data else value
    if depth > MAX_DEPTH:
        return value
    if cls is list:
        for i, item in enumerate(value):
            new = _label(item, origins, user_data, depth + 1, collected)
            if new is not item:
                value[i] = new
        return value
    if cls is dict:
        for key, item in list(value.items()):
            new = _label(item, origins, True, depth + 1, collected)
            if new is not item:
                value[key] = new
        return value
    if getattr(cls, "__pydantic_fields__", None) is None:
        return value
    sdk = not user_data and _is_sdk(value)
    attrs = value.__dict__
    for name, item in list(attrs.items()):
        if sdk and name in METADATA:
            continue
        new = _label(item, origins, not sdk, depth + 1, [] if sdk and (name in IDENTIFIERS or name[:1] == "_") else collected)
        if new is not item:
            attrs[name] = new
    extra = getattr(value, "__pydantic_extra__", None)
    if type(extra) is dict:
        _label(extra, origins, not sdk, depth + 1, collected)
    return value
