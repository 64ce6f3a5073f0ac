"""The DDL source: templated `.sql` files in this folder, rendered for one server or for a cluster.

Placeholders (`{{...}}`, never valid ClickHouse SQL, so they cannot collide with `{shard}`-style macros or
`{name:Type}` query parameters):

- `{{db}}` the database; `{{on_cluster}}` ` ON CLUSTER 'name'` or nothing.
- `{{table NAME}}` where rows of NAME are stored: `db.NAME`, or on a cluster the shard-local `db.NAME_local`.
- `{{object NAME}}` `db.NAME` whatever the topology (views, the migrations ledger).
- `{{engine Kind(args)}}` `Kind(args)`, or on a cluster `ReplicatedKind('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', args)`.
- `{{global_engine Kind(args)}}` the same, replicated to every node (no `{shard}` in the path).
- `{{distributed NAME BY key}}` a whole statement: on a cluster the `Distributed` table NAME over NAME_local
  sharded by `key`; without a cluster nothing (the statement is dropped).
- `{{distributed_table NAME}}` the `Distributed` table NAME (`db.NAME`) in a statement that only a cluster
  needs (an `ALTER` that the Distributed table must follow); without a cluster the statement is dropped.

Files are named `NNNN_description.sql`; `0000_bootstrap.sql` is applied on every migration run, the others once each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)(?:\s+(.*?))?\s*\}\}", re.S)
_ENGINE = re.compile(r"^(\w+)\((.*)\)$", re.S)
_DISTRIBUTED = re.compile(r"^(\w+)\s+BY\s+(.+)$", re.S)
_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")
LOCAL_SUFFIX = "_local"
_DROPPED = "\0dropped\0"  # marks a statement that this topology does not need


@dataclass(frozen=True)
class Migration:
    """One versioned DDL file rendered into statements."""

    version: int
    name: str
    statements: tuple[str, ...]


def check_database(database: str) -> str:
    """`database` when it is a plain identifier; raises ValueError otherwise."""
    if not _IDENTIFIER.match(database or ""):
        raise ValueError(f"invalid ClickHouse database name {database!r}: use letters, digits and '_'")
    return database


def check_cluster(cluster: str | None) -> str | None:
    """`cluster` when it is None or a valid cluster name; raises ValueError otherwise."""
    if cluster is not None and not _CLUSTER_NAME.match(cluster):
        raise ValueError(f"invalid ClickHouse cluster name {cluster!r}")
    return cluster


def render(template: str, database: str, cluster: str | None = None) -> list[str]:
    """The statements of `template` with placeholders filled for `database` and `cluster`."""
    check_database(database)
    check_cluster(cluster)

    def fill(match: re.Match[str]) -> str:
        kind, argument = match.group(1), (match.group(2) or "").strip()
        if kind == "db":
            return database
        if kind == "on_cluster":
            return f"ON CLUSTER '{cluster}'" if cluster else ""
        if kind == "table":
            return f"{database}.{argument}{LOCAL_SUFFIX if cluster else ''}"
        if kind == "object":
            return f"{database}.{argument}"
        if kind in ("engine", "global_engine"):
            return _engine(argument, cluster, sharded=kind == "engine")
        if kind == "distributed":
            return _distributed(argument, database, cluster) or _DROPPED
        if kind == "distributed_table":
            return f"{database}.{argument}" if cluster else _DROPPED
        raise ValueError(f"unknown DDL placeholder {{{{{kind}}}}}")

    text = "\n".join(line for line in template.splitlines() if not line.lstrip().startswith("--"))
    statements = (part.strip() for part in _PLACEHOLDER.sub(fill, text).split(";"))
    return [" ".join(statement.split()) for statement in statements if statement and _DROPPED not in statement]


def _engine(spec: str, cluster: str | None, *, sharded: bool) -> str:
    match = _ENGINE.match(spec)
    if not match:
        raise ValueError(f"engine placeholder needs Kind(args), got {spec!r}")
    if not cluster:
        return spec
    kind, args = match.group(1), match.group(2).strip()
    path = "/clickhouse/tables/{shard}/{database}/{table}" if sharded else "/clickhouse/tables/all/{database}/{table}"
    replicated = [f"'{path}'", "'{replica}'"] + ([args] if args else [])
    return f"Replicated{kind}({', '.join(replicated)})"


def _distributed(spec: str, database: str, cluster: str | None) -> str:
    match = _DISTRIBUTED.match(spec)
    if not match:
        raise ValueError(f"distributed placeholder needs 'NAME BY key', got {spec!r}")
    if not cluster:
        return ""
    name, key = match.group(1), match.group(2).strip()
    local = f"{name}{LOCAL_SUFFIX}"
    return (
        f"CREATE TABLE IF NOT EXISTS {database}.{name} ON CLUSTER '{cluster}' AS {database}.{local} "
        f"ENGINE = Distributed('{cluster}', '{database}', '{local}', {key})"
    )


def load(database: str, cluster: str | None = None) -> tuple[Migration, list[Migration]]:
    """The bootstrap and the versioned migrations (in version order), rendered."""
    found: dict[int, Migration] = {}
    for entry in resources.files(__package__).iterdir():
        match = _FILE.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two schema files with version {version:04d}")
        found[version] = Migration(version, match.group(2), tuple(render(entry.read_text(), database, cluster)))
    if 0 not in found:
        raise ValueError("schema bootstrap file 0000_bootstrap.sql is missing")
    bootstrap = found.pop(0)
    return bootstrap, [found[version] for version in sorted(found)]
