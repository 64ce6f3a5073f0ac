"""The decode schema ClickHouse reads batches with is a private file of the process, never one found in the temp dir."""

from __future__ import annotations

import glob
import hashlib
import os
import stat
import tempfile
import uuid

from span_builders import ao_call, request, run_root, span_id, trace_id

from ao_collector.model.otlp_proto import PROTO, proto_file
from ao_collector.store import ChdbStore


def _write_run(store: ChdbStore) -> str:
    run, trace, root = uuid.uuid4().hex, trace_id(), span_id()
    store.write([request([run_root(trace, root, run, "schema"), ao_call(trace, span_id(), run, parent=root)])], uuid.uuid4().hex)
    return run


def _runs(store: ChdbStore, run: str) -> int:
    return store.query("SELECT count() AS n FROM ao.ao_llm_calls WHERE RunId = {r:String}", {"r": run})[0]["n"]


def test_planted_schema_files_are_not_used(store: ChdbStore) -> None:
    # The path earlier versions used (and trusted when it existed), and names like the new ones.
    digest = hashlib.sha256(PROTO.encode()).hexdigest()[:16]
    planted = [os.path.join(tempfile.gettempdir(), f"ao-otlp-trace-{digest}.proto")]
    planted += [os.path.join(tempfile.gettempdir(), f"ao-otlp-trace-planted{i}.proto") for i in range(3)]
    for path in planted:
        with open(path, "w") as file:
            file.write('syntax = "proto3"; message Request { string nothing = 1; }')
    try:
        run = _write_run(store)
        assert _runs(store, run) == 1
        path = proto_file()
        assert path not in planted
        mode = os.stat(path)
        assert stat.S_IMODE(mode.st_mode) == 0o600 and mode.st_uid == os.geteuid()
        with open(path) as file:
            assert file.read() == PROTO
    finally:
        for path in planted:
            os.unlink(path)


def test_a_removed_schema_file_is_made_again(store: ChdbStore) -> None:
    first = proto_file()
    os.unlink(first)  # as a temp dir cleaner would
    run = _write_run(store)
    assert _runs(store, run) == 1
    second = proto_file()
    assert second != first and os.path.exists(second)
    assert glob.glob(os.path.join(tempfile.gettempdir(), "ao-otlp-trace-*.proto"))
