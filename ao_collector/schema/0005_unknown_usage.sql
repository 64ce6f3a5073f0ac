-- Usage that a span does not report is unknown, not zero (issue 10.6): a stream cut before its usage
-- chunk, a response without usage, another instrumentation's span without token counts. Input and output
-- tokens become NULL there, and so does the cost; cache token counts stay 0 when absent (most calls never
-- report them). Rows written before keep their 0: it cannot be told now which of them were unknown.
-- ao_runs counts the calls of a run whose usage is unknown; its token sums are of the known calls.

ALTER TABLE {{table ao_llm_calls}} {{on_cluster}}
    MODIFY COLUMN InputTokens Nullable(UInt64) CODEC(T64, ZSTD(1)),
    MODIFY COLUMN OutputTokens Nullable(UInt64) CODEC(T64, ZSTD(1));

ALTER TABLE {{distributed_table ao_llm_calls}} {{on_cluster}}
    MODIFY COLUMN InputTokens Nullable(UInt64),
    MODIFY COLUMN OutputTokens Nullable(UInt64);

ALTER TABLE {{table ao_runs}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS UnknownUsageCount SimpleAggregateFunction(sum, UInt64) DEFAULT 0 CODEC(ZSTD(1));

ALTER TABLE {{distributed_table ao_runs}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS UnknownUsageCount SimpleAggregateFunction(sum, UInt64) DEFAULT 0;
