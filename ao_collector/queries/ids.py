"""Ids as users type them: a run or span id, or a unique prefix of one."""

from __future__ import annotations

import re

from ao_collector.store.base import Store

_PREFIX = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class AmbiguousId(Exception):
    """A prefix that matches more than one id (the message lists some)."""


def resolve_run(store: Store, text: str) -> str | None:
    """The run id `text` names (the id itself, or a unique prefix); None when none matches."""
    return _resolve(store, text, "ao_runs", "RunId", "run")


def resolve_span(store: Store, text: str) -> str | None:
    """The LLM call span id `text` names (the id itself, or a unique prefix); None when none matches."""
    return _resolve(store, text, "ao_llm_calls", "SpanId", "call")


def _resolve(store: Store, text: str, table: str, column: str, kind: str) -> str | None:
    if not _PREFIX.match(text):
        return None
    rows = store.query(
        f"SELECT DISTINCT {column} AS id FROM {store.database}.{table} "
        f"WHERE startsWith({column}, {{prefix:String}}) ORDER BY id LIMIT 6",
        {"prefix": text},
    )
    ids = [row["id"] for row in rows]
    if text in ids or len(ids) == 1:
        return text if text in ids else ids[0]
    if not ids:
        return None
    listed = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
    raise AmbiguousId(f"{kind} id prefix {text!r} matches more than one {kind}: {listed}")
