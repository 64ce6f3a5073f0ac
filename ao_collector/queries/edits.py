"""Edits of a call's input or output (`ao_edits`): newest row per (run, span, kind) wins, no UPDATE."""

from __future__ import annotations

import json
import time
from typing import Any

import pyarrow as pa

from ao_collector.model import tables
from ao_collector.store.base import Store

KINDS = ("input", "output")


def put_edit(store: Store, run_id: str, span_id: str, kind: str, body: dict[str, Any]) -> None:
    """Record the edit `body` (an API edit object) of a call's `kind` ("input" or "output")."""
    if kind not in KINDS:
        raise ValueError(f"edit kind must be one of {KINDS}, not {kind!r}")
    _write(store, [(run_id, span_id, kind, json.dumps(body, ensure_ascii=False), 0)])


def get_edits(store: Store, run_id: str) -> list[dict[str, Any]]:
    """The live edits of a run: span id, kind, body (parsed), created at."""
    rows = store.query(
        "SELECT SpanId AS span_id, Kind AS kind, Body AS body, "
        "formatDateTime(CreatedAt, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS created_at "
        f"FROM {store.database}.ao_edits FINAL WHERE RunId = {{run:String}} AND Deleted = 0 ORDER BY span_id, kind",
        {"run": run_id},
    )
    for row in rows:
        row["body"] = json.loads(row["body"])
    return rows


def delete_edits(store: Store, run_id: str) -> int:
    """Remove every edit of a run (tombstone rows); returns how many were live."""
    live = get_edits(store, run_id)
    _write(store, [(run_id, edit["span_id"], edit["kind"], "", 1) for edit in live])
    return len(live)


def _write(store: Store, rows: list[tuple[str, str, str, str, int]]) -> None:
    if not rows:
        return
    now = time.time_ns() // 1000
    columns = list(zip(*rows))
    store.insert(
        "ao_edits",
        pa.Table.from_arrays(
            [pa.array(columns[0]), pa.array(columns[1]), pa.array(columns[2]), pa.array(columns[3]),
             pa.array([now] * len(rows), tables.AO_EDITS.field("CreatedAt").type), pa.array(columns[4], pa.uint8())],
            schema=tables.AO_EDITS,
        ),
    )
