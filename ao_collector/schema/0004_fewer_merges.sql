-- Cheaper sustained ingest (issue 4): a merge rewrites every row of the parts it merges (read, sort,
-- compress, skip indexes: about as much CPU as inserting them), and ingest makes one part per table and
-- batch. Merging at least 20 parts at a time (instead of 10) cuts the number of times a row is rewritten
-- on its way to a large part by about a quarter (log 20 instead of log 10 of the parts), at the price of
-- up to twice as many parts to read from (still a few dozen per partition).

ALTER TABLE {{table otel_traces}} {{on_cluster}} MODIFY SETTING min_parts_to_merge_at_once = 20;

ALTER TABLE {{table ao_llm_calls}} {{on_cluster}} MODIFY SETTING min_parts_to_merge_at_once = 20;

ALTER TABLE {{table ao_dataflow_edges}} {{on_cluster}} MODIFY SETTING min_parts_to_merge_at_once = 20;
