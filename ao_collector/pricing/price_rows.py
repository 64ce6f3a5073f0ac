"""The `ao_prices` table that ClickHouse prices calls with (the `ao_llm_calls` view), loaded from a `PriceTable`.

Each load that changes a price adds a new Version (milliseconds since the epoch) holding every entry; the
view reads the newest Version only. Calls keep the cost they were written with.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pyarrow as pa

from ao_collector.pricing.prices import PriceTable, default_prices

if TYPE_CHECKING:
    from ao_collector.store.base import Store

SCHEMA = pa.schema([("Version", pa.uint64()), ("Name", pa.string()), ("Input", pa.float64()), ("Output", pa.float64()),
                    ("CachedInput", pa.float64()), ("CacheWriteInput", pa.float64())])
_FIELDS = ("Name", "Input", "Output", "CachedInput", "CacheWriteInput")


def load_prices(store: Store, prices: PriceTable | None = None) -> int | None:
    """Make `prices` (default: `default_prices()`) the newest Version of the store's `ao_prices`; returns the new
    Version, or None when the newest one already holds exactly these prices."""
    wanted = [(name, p.input, p.output, p.cached_input, p.cache_write_input)
              for name, p in (prices or default_prices()).entries()]
    current = store.query(
        f"SELECT Version, {', '.join(_FIELDS)} FROM {store.database}.ao_prices "
        f"WHERE Version = (SELECT max(Version) FROM {store.database}.ao_prices) ORDER BY Name"
    )
    if [tuple(row[field] for field in _FIELDS) for row in current] == wanted:
        return None
    version = max(time.time_ns() // 1_000_000, int(current[0]["Version"]) + 1 if current else 0)
    columns = list(zip(*wanted)) if wanted else [[] for _ in _FIELDS]
    rows = pa.Table.from_arrays([pa.array([version] * len(wanted), pa.uint64()),
                                 *(pa.array(c, SCHEMA.field(f).type) for c, f in zip(columns, _FIELDS))], schema=SCHEMA)
    store.insert("ao_prices", rows)
    return version
