-- Every edit ever written (ao_edits keeps only the newest row per call and kind once merged): the same
-- rows, copied by a materialized view on insert, never replaced. Tombstones (Deleted = 1) are kept too.
CREATE TABLE IF NOT EXISTS {{table ao_edits_history}} {{on_cluster}} (
    RunId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    CreatedAt DateTime64(6) CODEC(Delta(8), ZSTD(1)),
    Deleted UInt8 CODEC(ZSTD(1))
) ENGINE = {{engine MergeTree()}}
ORDER BY (RunId, SpanId, Kind, CreatedAt)
SETTINGS index_granularity = 8192;

{{distributed ao_edits_history BY cityHash64(RunId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{object ao_edits_history_mv}} {{on_cluster}}
TO {{table ao_edits_history}}
AS SELECT RunId, SpanId, Kind, Body, CreatedAt, Deleted FROM {{table ao_edits}};
