"""The embedded backend: chDB (ClickHouse in-process) persisting to a data directory.

chDB allows one data directory per process and one process per data directory (the second fails on the
lock of `DIR/status`). A chDB session runs one query at a time, so the store keeps three sessions on the
directory: one for ingest (decode and insert), one for reads and DDL, so that API queries do not wait
behind a large insert, and one for the receivers' decode checks of single requests (`check`).
"""

from __future__ import annotations

import datetime
import os
import tempfile
import threading
from typing import Any, Sequence

import pyarrow as pa

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import write_batch, write_file
from ao_collector.model.sql_text import literal
from ao_collector.store.base import JSON_OUTPUT_SETTINGS, StoreUnavailable, insert_settings
from ao_collector.store.chdb_loading import chdb_session
from ao_collector.store.sql_store import SqlStore, is_transient


class ChdbStore(SqlStore):
    """Tables in a chDB data directory."""

    def __init__(self, data_dir: str, database: str = "ao") -> None:
        super().__init__(database, None)
        self.data_dir = os.path.abspath(os.path.expanduser(data_dir))
        try:
            os.makedirs(self.data_dir, exist_ok=True)
        except OSError as error:
            raise ValueError(f"cannot create data dir {self.data_dir}: {error}") from error
        _check_writable(self.data_dir)
        try:
            self._sessions = {purpose: chdb_session.Session(self.data_dir) for purpose in ("ingest", "read", "check")}
        except Exception as error:
            raise StoreUnavailable(
                f"cannot open chDB data dir {self.data_dir} (is another process using it? "
                f"while a collector runs, go through its API): {error}"
            ) from error
        self._locks = {purpose: threading.Lock() for purpose in self._sessions}
        self._closed = False
        self._scratch = os.path.join(self.data_dir, "ao-ingest")
        os.makedirs(self._scratch, exist_ok=True)

    @property
    def scratch_dir(self) -> str:
        """`DATA_DIR/ao-ingest`: request bytes of the batch being decoded."""
        return self._scratch

    def execute(self, sql: str) -> None:
        """Run a statement on the ingest session (where batches are decoded and written)."""
        self._run("ingest", sql, "Null", None)

    def write(self, requests: Sequence[ExportTraceServiceRequest | bytes], token: str) -> None:
        """Decode `requests` on the ingest session in the insert of their spans into otel_traces, whose views
        fill ao's tables. See `Store.write`."""
        write_batch(self, requests, token, self.scratch_dir)

    def write_file(self, path: str, token: str) -> None:
        """chDB reads the file where it is. See `Store.write_file`."""
        write_file(self, path, token)

    def _check_decode(self, sql: str) -> None:
        self._run("check", sql, "Null", None)

    def insert_select(self, table: str, columns: Sequence[str], select: str, token: str) -> None:
        """`INSERT ... SELECT` on the ingest session: the staged rows never leave ClickHouse."""
        names = ", ".join(f"`{name}`" for name in columns)
        self._run("ingest", f"INSERT INTO {self.database}.{table} ({names}){_insert_settings(token)} {select}", "Null", None)

    def _run(self, purpose: str, sql: str, fmt: str, parameters: dict[str, Any] | None) -> Any:
        params = {name: _param_text(value) for name, value in parameters.items()} if parameters else None
        with self._locks[purpose]:
            if self._closed:
                raise StoreUnavailable(f"chDB store {self.data_dir} is closed")
            try:
                return self._sessions[purpose].query(sql, fmt, params=params)
            except Exception as error:
                if is_transient(error):
                    raise StoreUnavailable(str(error)) from error
                raise

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read query as dicts (Map columns as dicts)."""
        table = self._run("read", sql, "ArrowTable", parameters)
        rows = table.to_pylist()
        maps = [f.name for f in table.schema if pa.types.is_map(f.type)]
        for row in rows if maps else ():
            for name in maps:
                if row[name] is not None:
                    row[name] = dict(row[name])
        return rows

    def query_json(self, sql: str, parameters: dict[str, Any] | None = None) -> bytes:
        """Rows of a read query as one JSON array, encoded by ClickHouse."""
        settings = ", ".join(f"{name} = {value}" for name, value in JSON_OUTPUT_SETTINGS.items())
        return self._run("read", f"{sql} SETTINGS {settings}", "JSONEachRow", parameters).bytes()

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        self._run("read", sql, "Null", parameters)

    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert Arrow `rows` through chDB's Python() table function (columnar, no serialisation)."""
        columns = ", ".join(f"`{name}`" for name in rows.column_names)
        # chDB finds `rows` by name in the calling frames.
        sql = f"INSERT INTO {self.database}.{table} ({columns}){_insert_settings(token)} SELECT {columns} FROM Python(rows)"
        self._run("ingest", sql, "Null", None)

    def close(self) -> None:
        """Close the session, releasing the data dir for other processes."""
        with self._locks["ingest"], self._locks["read"], self._locks["check"]:
            if not self._closed:
                self._closed = True
                for session in self._sessions.values():
                    session.close()


def _check_writable(data_dir: str) -> None:
    """Raise ValueError naming the cause when the data dir cannot be written (read-only file system, permissions):
    chDB's own error would only say it cannot initialise."""
    try:
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as error:
        raise ValueError(
            f"data dir {data_dir} is not writable ({error.strerror}); the store keeps its tables there: "
            "make it writable or pick another with --data-dir or AO_HOME"
        ) from None


def _insert_settings(token: str | None) -> str:
    """The SETTINGS clause of an insert of a batch (`insert_settings`)."""
    return " SETTINGS " + ", ".join(f"{name} = {literal(value)}" for name, value in insert_settings(token).items())


def _param_text(value: Any) -> str:
    """A query parameter in the text form ClickHouse parses for `{name:Type}` (escaped; arrays as literals)."""
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if value is None:
        return "\\N"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(literal(item) for item in value) + "]"
    return literal(value)
