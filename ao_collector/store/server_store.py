"""The server backend: a ClickHouse server or cluster through clickhouse-connect (HTTP interface).

URL forms: `clickhouse://user:pass@host:8123/db`, `http://host:8123`, `https://host:8443/db`
(`clickhouses://` is https too). User and password come from the URL, else from `CLICKHOUSE_USER` /
`CLICKHOUSE_PASSWORD`. A database in the URL path overrides the `database` argument. The connection is
made on first use and again after a failure, so the collector starts while the server is down.
A batch is sent as the OTLP requests themselves, in one `INSERT ... SELECT ... FROM input() FORMAT Protobuf`
that the server decodes (the request schema inline, `span_sql.SERVER_DECODE_SETTINGS`); its views fill ao's tables.
The receivers' checks of single requests run the same decode on a local in-memory chDB engine: chDB holds one
data path per process, so this store cannot share a process with an embedded (data dir) store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import Any, Iterator, Sequence
from urllib.parse import unquote, urlsplit

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.exceptions import OperationalError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model import serialized, tables
from ao_collector.model.otlp_proto import length_delimited
from ao_collector.model.span_sql import SERVER_DECODE_SETTINGS, insert_query
from ao_collector.store.base import JSON_OUTPUT_SETTINGS, StoreUnavailable, insert_settings
from ao_collector.store.chdb_loading import chdb_session
from ao_collector.store.sql_store import SqlStore, is_transient

_CHUNK = 1 << 20  # bytes of a batch file sent at a time

_SECURE_SCHEMES = {"https": True, "clickhouses": True, "http": False, "clickhouse": False}


@dataclass(frozen=True)
class ServerAddress:
    """Where and as whom to connect."""

    host: str
    port: int
    secure: bool
    username: str
    password: str
    database: str | None


def parse_clickhouse_url(url: str) -> ServerAddress:
    """The address in a `--clickhouse-url`; raises ValueError with the accepted forms when it is malformed."""
    parts = urlsplit(url)
    if parts.scheme not in _SECURE_SCHEMES or not parts.hostname:
        raise ValueError(
            f"invalid ClickHouse URL {url!r}: expected clickhouse://[user:pass@]host[:8123][/db], "
            "http://host:8123[/db] or https://host:8443[/db]"
        )
    secure = _SECURE_SCHEMES[parts.scheme]
    try:
        port = parts.port or (8443 if secure else 8123)
    except ValueError as error:
        raise ValueError(f"invalid port in ClickHouse URL {url!r}") from error
    database = parts.path.strip("/") or None
    return ServerAddress(
        host=parts.hostname,
        port=port,
        secure=secure,
        username=unquote(parts.username) if parts.username else os.environ.get("CLICKHOUSE_USER", "default"),
        password=unquote(parts.password) if parts.password else os.environ.get("CLICKHOUSE_PASSWORD", ""),
        database=database,
    )


class ServerStore(SqlStore):
    """Tables on a ClickHouse server; with `cluster`, replicated local tables behind Distributed ones."""

    def __init__(self, url: str, database: str = "ao", cluster: str | None = None) -> None:
        self.address = parse_clickhouse_url(url)
        super().__init__(self.address.database or database, cluster)
        self._client: Any = None
        self._lock = threading.Lock()
        self._write_statement = (insert_query(f"{self.database}.otel_traces", tables.OTEL_TRACES.names) + "\n").encode()
        # Requests that are not in protobuf's canonical encoding are checked on an in-memory chDB engine
        # (made on first use) before they are accepted (`check`).
        self._decoder: chdb_session.Session | None = None
        self._decoder_lock = threading.Lock()
        self._scratch = tempfile.mkdtemp(prefix="ao-ingest-")

    @property
    def scratch_dir(self) -> str:
        """A private temp dir: request bytes of the batch being decoded."""
        return self._scratch

    def _decode(self, sql: str, fmt: str) -> Any:
        with self._decoder_lock:
            if self._decoder is None:
                self._decoder = chdb_session.Session()
            return self._decoder.query(sql, fmt)

    def _check_decode(self, sql: str) -> None:
        """On the local decoding engine."""
        self._decode(sql, "Null")

    def write(self, requests: Sequence[ExportTraceServiceRequest | bytes], token: str) -> None:
        """Send the requests to the server, which decodes them into otel_traces (its views fill ao's tables).
        See `Store.write`."""
        self._send_insert(length_delimited(serialized(requests), head=self._write_statement), token)

    def write_file(self, path: str, token: str) -> None:
        """`write` of the length-delimited requests in the file at `path`, streamed to the server as they are.
        See `Store.write_file`."""
        self._send_insert(self._file_body(path), token)

    def _send_insert(self, body: bytes | Iterator[bytes], token: str) -> None:
        """Send a body that starts with the insert statement: as ClickHouse's HTTP interface allows for an
        INSERT, the data starts after the newline that ends it. (As `command(..., data=...)`, clickhouse-connect
        would decode the megabytes of the body as text to see whether the statement is a read it may retry.)"""
        self._call("raw_insert", insert_block=body, settings={**self._insert_settings(token), **SERVER_DECODE_SETTINGS})

    def _file_body(self, path: str) -> Iterator[bytes]:
        """The insert statement, then the file in chunks (sent chunked: no copy of the batch is held)."""
        yield self._write_statement
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                yield chunk

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                a = self.address
                try:
                    self._client = clickhouse_connect.get_client(
                        host=a.host, port=a.port, username=a.username, password=a.password, secure=a.secure,
                        database="default", autogenerate_session_id=False,
                    )
                except Exception as error:
                    raise StoreUnavailable(f"cannot reach ClickHouse at {a.host}:{a.port}: {error}") from error
            return self._client

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client = self._connected()
        try:
            return getattr(client, method)(*args, **kwargs)
        except Exception as error:
            if _is_unreachable(error) or is_transient(error):
                with self._lock:
                    self._client = None
                raise StoreUnavailable(str(error)) from error
            raise

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""
        return list(self._call("query", sql, parameters=parameters).named_results())

    def query_json(self, sql: str, parameters: dict[str, Any] | None = None) -> bytes:
        """Rows of a read query as one JSON array, encoded by the server."""
        return self._call("raw_query", sql, parameters=parameters, settings=JSON_OUTPUT_SETTINGS, fmt="JSONEachRow")

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""
        self._call("command", sql, parameters=parameters)

    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert Arrow `rows` in Arrow format; on a cluster synchronously through the Distributed table."""
        self._call("insert_arrow", table, rows, database=self.database, settings=self._insert_settings(token))

    def _insert_settings(self, token: str | None) -> dict[str, Any]:
        """`insert_settings`; on a cluster, Distributed inserts return once the shards have the rows."""
        settings = insert_settings(token)
        if self.cluster:
            settings["insert_distributed_sync"] = 1
        return settings

    def close(self) -> None:
        """Close the HTTP connection pool and the decoding engine."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        with self._decoder_lock:
            if self._decoder is not None:
                self._decoder.close()
                self._decoder = None
        shutil.rmtree(self._scratch, ignore_errors=True)


def _is_unreachable(error: Exception) -> bool:
    return isinstance(error, (OperationalError, ConnectionError, TimeoutError))
