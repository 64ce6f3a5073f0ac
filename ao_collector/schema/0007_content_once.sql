-- Content once (issue 11.2): a call's full input and output stay in otel_traces, where every exporter
-- writes them; ao_llm_calls keeps typed columns and short previews, computed when the row is written
-- (they were computed by the server from the content columns dropped here). Rows written before keep
-- their previews; their content was written to otel_traces alongside, so nothing is lost. The API reads
-- a call's content from otel_traces by trace and span id.

ALTER TABLE {{table ao_llm_calls}} {{on_cluster}}
    MODIFY COLUMN InputPreview String DEFAULT '' CODEC(ZSTD(1)),
    MODIFY COLUMN OutputPreview String DEFAULT '' CODEC(ZSTD(1));

ALTER TABLE {{distributed_table ao_llm_calls}} {{on_cluster}}
    MODIFY COLUMN InputPreview String DEFAULT '',
    MODIFY COLUMN OutputPreview String DEFAULT '';

ALTER TABLE {{table ao_llm_calls}} {{on_cluster}}
    DROP COLUMN InputMessages, DROP COLUMN OutputMessages, DROP COLUMN SystemInstructions, DROP COLUMN ToolDefinitions;

ALTER TABLE {{distributed_table ao_llm_calls}} {{on_cluster}}
    DROP COLUMN InputMessages, DROP COLUMN OutputMessages, DROP COLUMN SystemInstructions, DROP COLUMN ToolDefinitions;
