"""The ClickHouse schema: one templated DDL source (the `.sql` files here) and its versioned migrations."""

from ao_collector.schema.ddl import Migration, load, render
from ao_collector.schema.migrate import apply_migrations

__all__ = ["Migration", "apply_migrations", "load", "render"]
