"""The embedded backend: chDB (ClickHouse in-process) persisting to a data directory.

chDB allows one session per process and one process per data directory (the second fails on the lock of
`DIR/status`); the session is shared by all threads of the process, queries serialised by a lock.
"""

from __future__ import annotations

import datetime
import os
import threading
from typing import Any

import pyarrow as pa
from chdb import session as chdb_session

from ao_collector.store.base import StoreUnavailable
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
        try:
            self._session: chdb_session.Session | None = chdb_session.Session(self.data_dir)
        except Exception as error:
            raise StoreUnavailable(
                f"cannot open chDB data dir {self.data_dir} (is another process using it? "
                f"while a collector runs, go through its API): {error}"
            ) from error
        self._lock = threading.Lock()
        self._scratch = os.path.join(self.data_dir, "ao-ingest")
        os.makedirs(self._scratch, exist_ok=True)

    @property
    def scratch_dir(self) -> str:
        """`DATA_DIR/ao-ingest`: request bytes of the batch being decoded."""
        return self._scratch

    def arrow(self, sql: str) -> pa.Table:
        """The result of a query as Arrow."""
        return self._run(sql, "ArrowTable", None)

    def _run(self, sql: str, fmt: str, parameters: dict[str, Any] | None) -> Any:
        params = {name: _param_text(value) for name, value in parameters.items()} if parameters else None
        with self._lock:
            if self._session is None:
                raise StoreUnavailable(f"chDB store {self.data_dir} is closed")
            try:
                return self._session.query(sql, fmt, params=params)
            except Exception as error:
                if is_transient(error):
                    raise StoreUnavailable(str(error)) from error
                raise

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read query as dicts (Map columns as dicts)."""
        table = self._run(sql, "ArrowTable", parameters)
        rows = table.to_pylist()
        maps = [f.name for f in table.schema if pa.types.is_map(f.type)]
        for row in rows if maps else ():
            for name in maps:
                if row[name] is not None:
                    row[name] = dict(row[name])
        return rows

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        self._run(sql, "Null", parameters)

    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert Arrow `rows` through chDB's Python() table function (columnar, no serialisation)."""
        columns = ", ".join(f"`{name}`" for name in rows.column_names)
        settings = (
            f" SETTINGS insert_deduplication_token = {_quote(token)}, deduplicate_blocks_in_dependent_materialized_views = 1"
            if token
            else ""
        )
        # chDB finds `rows` by name in the calling frames.
        self._run(f"INSERT INTO {self.database}.{table} ({columns}){settings} SELECT {columns} FROM Python(rows)", "Null", None)

    def close(self) -> None:
        """Close the session, releasing the data dir for other processes."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None


def _quote(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _param_text(value: Any) -> str:
    """A query parameter in the text form ClickHouse parses for `{name:Type}` (escaped; arrays as literals)."""
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if value is None:
        return "\\N"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(item) for item in value) + "]"
    return _literal(value)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, datetime.datetime):
        return _quote(value.isoformat(sep=" "))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(item) for item in value) + "]"
    raise TypeError(f"unsupported query parameter value {value!r}")
