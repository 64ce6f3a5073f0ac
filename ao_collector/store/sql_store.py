"""What both backends share: migrations (and the prices the views read), and writing a batch of spans."""

from __future__ import annotations

import os
import re
import uuid
from abc import ABC, abstractmethod
from typing import Any, Sequence

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.model.otlp_proto import length_delimited, proto_file
from ao_collector.model.span_sql import decode_query
from ao_collector.pricing.price_rows import load_prices
from ao_collector.schema import apply_migrations
from ao_collector.schema.ddl import check_cluster, check_database
from ao_collector.store.base import TRANSIENT_ERROR_CODES, StoreUnavailable

_ERROR_CODE = re.compile(r"Code: (\d+)")
# The reason in a decoder error, without the scratch file's name and the processor stack.
_DECODE_REASON = re.compile(r"DB::Exception: (.*?)(?:: \(in file/uri|: While executing|\. Please note|$)", re.S)
_WIRE_MISMATCH = 444  # UNKNOWN_PROTOBUF_FORMAT: the bytes do not follow the schema


def error_code(error: BaseException) -> int | None:
    """The ClickHouse error code in an exception's message, if any."""
    match = _ERROR_CODE.search(str(error))
    return int(match.group(1)) if match else None


def is_transient(error: BaseException) -> bool:
    """Whether a ClickHouse error is worth retrying (overload, timeouts, disk or memory pressure)."""
    return error_code(error) in TRANSIENT_ERROR_CODES


def decode_refusal(error: BaseException) -> str:
    """A decoder error as a short reason for the sender."""
    if error_code(error) == _WIRE_MISMATCH:
        return "a field has the wrong wire type for its number, or a group is malformed"
    match = _DECODE_REASON.search(str(error))
    return (match.group(1) if match else str(error)).strip()[:300]


class SqlStore(ABC):
    """A store speaking ClickHouse SQL; subclasses provide query, command and a columnar insert."""

    def __init__(self, database: str, cluster: str | None) -> None:
        self.database = check_database(database)
        self.cluster = check_cluster(cluster)

    @abstractmethod
    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read query as dicts."""

    @abstractmethod
    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert Arrow `rows` (columns named as in the table) into `table` of this database, deduplicated by `token`."""

    @property
    @abstractmethod
    def scratch_dir(self) -> str:
        """A directory for the request bytes of a batch while it is decoded."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def migrate(self) -> None:
        """Create or upgrade the schema (versioned, idempotent), and load the current prices."""
        apply_migrations(self, self.cluster)
        load_prices(self)

    @abstractmethod
    def _check_decode(self, sql: str) -> None:
        """Run a decode check query on an engine that answers it without waiting behind a batch write."""

    def check(self, request: bytes) -> str | None:
        """Why the decoder of `write` refuses the serialized request `request`, or None when it takes it.

        Runs the very decode query of a batch write on this one request; see `Store.check`."""
        path = os.path.join(self.scratch_dir, f"check-{uuid.uuid4().hex}.otlp")
        with open(path, "wb") as file:
            file.write(length_delimited([request]))
        try:
            self._check_decode(f"SELECT count() FROM ({decode_query(path, proto_file())})")
        except StoreUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - any refusal of the decoder is the answer
            return decode_refusal(error)
        finally:
            os.unlink(path)
        return None

    @abstractmethod
    def write_file(self, path: str, token: str) -> None:
        """Insert every span of the length-delimited requests in the file at `path`; see `Store.write_file`."""

    @abstractmethod
    def write(self, requests: Sequence[ExportTraceServiceRequest | bytes], token: str) -> None:
        """Insert every span of `requests` into otel_traces, whose views fill ao's tables; see `Store.write`."""
