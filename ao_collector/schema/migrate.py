"""Applies the versioned DDL to a store: each migration once, recorded in `schema_migrations`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ao_collector.schema.ddl import load

if TYPE_CHECKING:
    from ao_collector.store.base import Store


def apply_migrations(store: Store, cluster: str | None = None, up_to: int | None = None) -> list[int]:
    """Bring `store` to the newest schema (or to version `up_to`, to test a migration from an older one);
    returns the versions applied now (empty when up to date)."""
    bootstrap, migrations = load(store.database, cluster)
    for statement in bootstrap.statements:
        store.command(statement)
    ledger = f"{store.database}.schema_migrations"
    applied = {row["Version"] for row in store.query(f"SELECT Version FROM {ledger} FINAL")}
    done: list[int] = []
    for migration in migrations:
        if migration.version in applied or (up_to is not None and migration.version > up_to):
            continue
        for statement in migration.statements:
            store.command(statement)
        store.command(
            f"INSERT INTO {ledger} (Version, Name) SELECT {{version:UInt32}}, {{name:String}}",
            {"version": migration.version, "name": migration.name},
        )
        done.append(migration.version)
    return done
