"""Storage of spans in ClickHouse: embedded chDB by default, or a ClickHouse server / cluster."""

from __future__ import annotations

import os

from ao_collector.store.base import Store, StoreUnavailable
from ao_collector.store.chdb_store import ChdbStore
from ao_collector.store.server_store import ServerStore, parse_clickhouse_url

__all__ = ["ChdbStore", "ServerStore", "Store", "StoreUnavailable", "default_data_dir", "open_store", "parse_clickhouse_url"]


def default_data_dir() -> str:
    """`$AO_HOME`, else `~/.ao`."""
    return os.environ.get("AO_HOME") or os.path.join(os.path.expanduser("~"), ".ao")


def open_store(
    data_dir: str | None = None,
    clickhouse_url: str | None = None,
    database: str = "ao",
    cluster: str | None = None,
) -> Store:
    """The store to write to: a ClickHouse server when `clickhouse_url` is given, else chDB in `data_dir`
    (default `default_data_dir()`). Call `migrate()` before the first write. Raises ValueError on bad
    configuration and StoreUnavailable when the chDB data dir is held by another process."""
    if clickhouse_url:
        if data_dir:
            raise ValueError("give either a data dir (embedded chDB) or a ClickHouse URL, not both")
        return ServerStore(clickhouse_url, database=database, cluster=cluster)
    if cluster:
        raise ValueError("--cluster needs a ClickHouse server (--clickhouse-url); embedded chDB has no cluster")
    return ChdbStore(data_dir or default_data_dir(), database=database)
