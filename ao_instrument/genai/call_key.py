"""`ao.call.key`: a digest of the normalised request, the cache key of replays."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Fields that change how a request travels, not what it asks.
TRANSPORT_FIELDS = frozenset(
    {"stream", "stream_options", "timeout", "extra_headers", "extra_query", "max_retries", "background"}
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_unset=True)
    return repr(value)


# Built once (a `json.dumps` with options builds an encoder per call); requests are trees, so the
# circular-reference bookkeeping is skipped (a cycle raises RecursionError, which callers catch).
_ENCODER = json.JSONEncoder(sort_keys=True, default=_jsonable, separators=(",", ":"), check_circular=False)


def call_key(provider: str, operation: str, request: Mapping[str, Any]) -> str:
    """Hex digest of (provider, operation, request without transport-only and omitted fields)."""
    body = {
        k: v
        for k, v in request.items()
        if k not in TRANSPORT_FIELDS and v is not None and type(v).__name__ not in ("NotGiven", "Omit")
    }
    text = _ENCODER.encode([provider, operation, body])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
