-- Cheaper ingest (issue 4). ao_llm_calls keeps a second copy of each call's content (otel_traces has the
-- first): LZ4 compresses and decompresses it at a fraction of ZSTD's CPU, on insert and in every merge.
-- Merging at least 10 parts at a time (instead of ~5) rewrites each row fewer times as batches pile up.
-- New parts take the codecs; existing ones keep theirs until merged.

ALTER TABLE {{table ao_llm_calls}} {{on_cluster}}
    MODIFY COLUMN InputMessages String CODEC(LZ4),
    MODIFY COLUMN OutputMessages String CODEC(LZ4),
    MODIFY COLUMN SystemInstructions String CODEC(LZ4),
    MODIFY COLUMN ToolDefinitions String CODEC(LZ4),
    MODIFY SETTING min_parts_to_merge_at_once = 10;

ALTER TABLE {{table ao_dataflow_edges}} {{on_cluster}} MODIFY SETTING min_parts_to_merge_at_once = 10;

ALTER TABLE {{table otel_traces}} {{on_cluster}} MODIFY SETTING min_parts_to_merge_at_once = 10;
