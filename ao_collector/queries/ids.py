"""Ids as users type them: a run or span id, or a unique prefix of one."""

from __future__ import annotations

import re

from ao_collector.store.base import Store

_PREFIX = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
SPAN_ID_LENGTH = 16  # hex digits of an OTLP span id


class AmbiguousId(Exception):
    """A prefix that matches more than one id (the message lists some)."""


def resolve_run(store: Store, text: str) -> str | None:
    """The run id `text` names (the id itself, or a unique prefix); None when none matches."""
    return _resolve(store, text, "ao_runs", "RunId", "run")


def resolve_span(store: Store, text: str) -> str | None:
    """The LLM call span id `text` names (the id itself, or a unique prefix); None when none matches."""
    return _resolve(store, text, "ao_llm_calls", "SpanId", "call", full_length=SPAN_ID_LENGTH)


def _resolve(store: Store, text: str, table: str, column: str, kind: str, full_length: int | None = None) -> str | None:
    """`text` when it is an id (a lookup by key or skip index), else the one id it is a prefix of. Ids are
    `full_length` long when given: text that long is no other id's prefix, so it is not searched for as one."""
    if not _PREFIX.match(text):
        return None
    exact = store.query(f"SELECT 1 AS found FROM {store.database}.{table} WHERE {column} = {{id:String}} LIMIT 1", {"id": text})
    if exact:
        return text
    if full_length is not None and len(text) >= full_length:
        return None
    rows = store.query(
        f"SELECT DISTINCT {column} AS id FROM {store.database}.{table} "
        f"WHERE startsWith({column}, {{prefix:String}}) ORDER BY id LIMIT 6",
        {"prefix": text},
    )
    ids = [row["id"] for row in rows]
    if len(ids) <= 1:
        return ids[0] if ids else None
    listed = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
    raise AmbiguousId(f"{kind} id prefix {text!r} matches more than one {kind}: {listed}")
