"""The store interface shared by the embedded (chDB) and server (clickhouse-connect) backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

if TYPE_CHECKING:
    import pyarrow as pa


class StoreUnavailable(Exception):
    """The store cannot take writes or answer reads right now; the caller keeps the data and retries."""


class Store(Protocol):
    """Where spans end up. Implementations: `ao_collector.store.chdb_store`, `ao_collector.store.server_store`."""

    database: str

    def migrate(self) -> None:
        """Create or upgrade the schema (versioned, idempotent)."""

    def write(self, requests: Sequence[ExportTraceServiceRequest | bytes], token: str) -> None:
        """Write every span of `requests` to otel_traces, whose views fill ao_llm_calls, ao_dataflow_edges,
        ao_runs and ao_content_pending (content edges come from `pipeline.content_matching` passes).

        Requests may be given as serialized protobuf bytes (cheapest: they are decoded by ClickHouse) or as messages.

        `token` names this batch: writing the same batch again with the same token (after a crash or a
        retry) must not duplicate rows (the spool knows how many spans a batch holds). Raises
        StoreUnavailable when the store cannot be reached.
        """

    def write_file(self, path: str, token: str) -> None:
        """`write` of the requests in the file at `path`, length-delimited (ClickHouse's `Protobuf` format; a
        sealed spool segment is one), read in place."""

    def check(self, request: bytes) -> str | None:
        """Why `write` would refuse the serialized request `request` when it decodes it (a field with the
        wrong wire type, a oneof with two members set, a value out of its column's range...), or None.
        Raises StoreUnavailable when the decoder cannot run now."""

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query (ClickHouse SQL, `{name:Type}` parameters) and return rows as dicts."""

    def query_json(self, sql: str, parameters: dict[str, Any] | None = None) -> bytes:
        """Run a read query and return its rows as one JSON array of objects, encoded by ClickHouse
        (`JSON_OUTPUT_SETTINGS`): large answers skip building Python objects."""

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing (DDL, INSERT ... SELECT, mutations)."""

    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert Arrow `rows` (columns named as in the table) into `table` of this database in one columnar
        insert; the same `token` inserted twice into a table leaves one copy."""

    def close(self) -> None:
        """Release the store (the chDB session lock on the data dir)."""


# Settings of every insert of a batch. Rows sent twice are folded by the Replacing/Aggregating engines when
# parts merge, and every read already folds them (FINAL, GROUP BY); folding them within each insert as well
# (`optimize_on_insert`, the default) costs about a third of an ao_llm_calls insert.
INSERT_SETTINGS: dict[str, int] = {"optimize_on_insert": 0}


def insert_settings(token: str | None) -> dict[str, Any]:
    """The settings of an insert of a batch: INSERT_SETTINGS, and with `token` its deduplication, in the table
    and in the views that depend on it."""
    if not token:
        return dict(INSERT_SETTINGS)
    return {**INSERT_SETTINGS, "insert_deduplication_token": token, "deduplicate_blocks_in_dependent_materialized_views": 1}

# JSON as `json.dumps` would write the same rows: 64-bit integers as numbers, slashes unescaped, one array.
JSON_OUTPUT_SETTINGS: dict[str, int] = {
    "output_format_json_quote_64bit_integers": 0,
    "output_format_json_escape_forward_slashes": 0,
    "output_format_json_array_of_rows": 1,
    "output_format_json_validate_utf8": 1,
}

# ClickHouse error codes that mean "not now" rather than "never": the caller keeps the batch and retries.
TRANSIENT_ERROR_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        164,  # READONLY
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE
        252,  # TOO_MANY_PARTS
        319,  # UNKNOWN_STATUS_OF_INSERT
        394,  # QUERY_WAS_CANCELLED
        425,  # SYSTEM_ERROR
        999,  # KEEPER_EXCEPTION
    }
)
