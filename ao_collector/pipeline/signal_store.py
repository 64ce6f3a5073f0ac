"""The store as a metrics or logs pipeline writes to it: each batch's rows, built per table, in one insert
per table named by the batch's token (so a batch written again leaves one copy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from ao_collector.pipeline.spool import read_requests
from ao_collector.store.base import Store, StoreUnavailable


class SignalStore:
    """What `Pipeline` needs of a store, for the rows `rows` makes of serialized requests.

    The schema is migrated by the trace pipeline; until `migrated()` says so, writes wait (as for a store
    that is down), so that two writers never migrate at once."""

    def __init__(self, store: Store, rows: Callable[[Sequence[bytes]], dict[str, pa.Table]],
                 migrated: Callable[[], bool]) -> None:
        self._store = store
        self._rows = rows
        self._migrated = migrated

    def migrate(self) -> None:
        if not self._migrated():
            raise StoreUnavailable("the schema is not migrated yet")

    def write(self, payloads: Sequence[bytes], token: str) -> int:
        """Insert the rows of `payloads`; returns how many."""
        written = 0
        for table, rows in self._rows(payloads).items():
            self._store.insert(table, rows, token)
            written += rows.num_rows
        return written

    def write_file(self, path: str, token: str) -> int:
        """`write` of the requests of a sealed spool segment."""
        return self.write(read_requests(Path(path), verify=False), token)

    def check(self, payload: bytes) -> str | None:
        """Rows are built before a request is accepted (`Signal.accept`): nothing is left to check."""
        return None
