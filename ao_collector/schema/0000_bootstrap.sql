-- Database and the ledger of applied migrations. Applied on every migrate() before anything else.
-- The ledger is replicated to every node of a cluster (no {shard} in its path), so any node can answer.

CREATE DATABASE IF NOT EXISTS {{db}} {{on_cluster}};

CREATE TABLE IF NOT EXISTS {{object schema_migrations}} {{on_cluster}} (
    Version UInt32,
    Name String,
    AppliedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = {{global_engine ReplacingMergeTree(AppliedAt)}}
ORDER BY Version;
