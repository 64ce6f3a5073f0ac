"""Content capture: whether message content goes on spans, and the size cap per attribute."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_BYTES = 256 * 1024
# Built once; content values are trees, so the circular-reference bookkeeping is skipped.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"), check_circular=False)
_TRUE = {"1", "true", "yes", "on", "span_only", "span_and_event"}
_FALSE = {"0", "false", "no", "off", "no_content", "event_only"}


@dataclass(frozen=True)
class JsonText:
    """Content that an instrumentor already wrote as semconv JSON text: `dumps` only caps it.

    Writing the JSON directly from SDK objects is several times cheaper than building dicts and
    encoding them, which matters on the call path.
    """

    text: str


@dataclass(frozen=True)
class ContentPolicy:
    """`enabled`: capture content at all; `max_bytes`: cap for one attribute's JSON text."""

    enabled: bool
    max_bytes: int = DEFAULT_MAX_BYTES

    def dumps(self, value: Any) -> str:
        """JSON text of `value` (a semconv message list or object, or `JsonText`), capped at `max_bytes`."""
        text = value.text if isinstance(value, JsonText) else _ENCODER.encode(value)
        if len(text) <= self.max_bytes // 4 or len(text.encode()) <= self.max_bytes:
            return text
        return truncate(json.loads(text) if isinstance(value, JsonText) else value, text, self.max_bytes)


def truncate(value: Any, text: str, max_bytes: int) -> str:
    """Shorten the long strings inside `value` so its JSON stays valid and fits in `max_bytes`.

    Each shortened string ends with a marker `…[ao: truncated N chars]`. When the structure alone is
    still too large, the JSON text itself is cut and ends with the same marker.
    """
    budget = max(64, max_bytes // max(1, _count_strings(value)) // 2)
    shortened = _shorten(value, budget)
    out = json.dumps(shortened, ensure_ascii=False, default=str, separators=(",", ":"))
    if len(out.encode()) <= max_bytes:
        return out
    cut = out.encode()[: max(0, max_bytes - 40)].decode(errors="ignore")
    return f"{cut}…[ao: truncated {len(out) - len(cut)} chars]"


def _count_strings(value: Any) -> int:
    if isinstance(value, str):
        return 1
    if isinstance(value, dict):
        return sum(_count_strings(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_count_strings(v) for v in value)
    return 0


def _shorten(value: Any, budget: int) -> Any:
    if isinstance(value, str):
        if len(value) <= budget:
            return value
        return f"{value[:budget]}…[ao: truncated {len(value) - budget} chars]"
    if isinstance(value, dict):
        return {k: _shorten(v, budget) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shorten(v, budget) for v in value]
    return value


def _flag(name: str) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    return None


def content_policy() -> ContentPolicy:
    """Read the policy from the environment.

    `AO_CAPTURE_CONTENT` wins; else `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`; else content is
    captured under the `ao-instrument` launcher (which sets `AO_LAUNCHER=1`) and not under plain
    `opentelemetry-instrument`. `AO_CAPTURE_MAX_BYTES` sets the cap per attribute.
    """
    enabled = _flag("AO_CAPTURE_CONTENT")
    if enabled is None:
        enabled = _flag("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    if enabled is None:
        enabled = os.environ.get("AO_LAUNCHER") == "1"
    try:
        max_bytes = int(os.environ.get("AO_CAPTURE_MAX_BYTES", DEFAULT_MAX_BYTES))
    except ValueError:
        max_bytes = DEFAULT_MAX_BYTES
    return ContentPolicy(enabled=enabled, max_bytes=max(1024, max_bytes))
