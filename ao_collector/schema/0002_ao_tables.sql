-- ao's own tables. Every one is sorted by RunId first: a run's calls, edges and edits are one key range,
-- and on a cluster each is sharded by RunId so one shard answers for a run.

-- One row per LLM call span, whatever instrumentation produced it (ao, OpenTelemetry GenAI, OpenLLMetry,
-- OpenInference, the Anthropic SDK), with messages normalised to the GenAI semantic-convention JSON.
-- Replacing: a span sent twice (an exporter retry) is one call under FINAL.
CREATE TABLE IF NOT EXISTS {{table ao_llm_calls}} {{on_cluster}} (
    RunId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Source LowCardinality(String) CODEC(ZSTD(1)),
    Provider LowCardinality(String) CODEC(ZSTD(1)),
    Operation LowCardinality(String) CODEC(ZSTD(1)),
    RequestModel LowCardinality(String) CODEC(ZSTD(1)),
    ResponseModel LowCardinality(String) CODEC(ZSTD(1)),
    InputTokens UInt64 CODEC(T64, ZSTD(1)),
    OutputTokens UInt64 CODEC(T64, ZSTD(1)),
    CacheReadInputTokens UInt64 CODEC(T64, ZSTD(1)),
    CacheCreationInputTokens UInt64 CODEC(T64, ZSTD(1)),
    CostUsd Nullable(Float64) CODEC(ZSTD(1)),
    CallKey String CODEC(ZSTD(1)),
    Cached Bool CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    ErrorType LowCardinality(String) CODEC(ZSTD(1)),
    InputMessages String CODEC(ZSTD(1)),
    OutputMessages String CODEC(ZSTD(1)),
    SystemInstructions String CODEC(ZSTD(1)),
    ToolDefinitions String CODEC(ZSTD(1)),
    FinishReasons Array(LowCardinality(String)) CODEC(ZSTD(1)),
    TaintOrigins Array(String) CODEC(ZSTD(1)),
    -- Short texts for graph views, computed by the server on insert: the first part of the last input
    -- message (the prompt, in a chat) and of the first output message.
    InputPreview String MATERIALIZED leftUTF8(JSONExtractString(InputMessages, -1, 'parts', 1, 'content'), 300) CODEC(ZSTD(1)),
    OutputPreview String MATERIALIZED leftUTF8(JSONExtractString(OutputMessages, 1, 'parts', 1, 'content'), 300) CODEC(ZSTD(1)),
    INDEX idx_span_id SpanId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_call_key CallKey TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = {{engine ReplacingMergeTree()}}
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (RunId, SpanId)
SETTINGS index_granularity = 8192,
    non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

{{distributed ao_llm_calls BY cityHash64(RunId)}};

-- Dataflow edges source -> target, from the span links of each target (ao.link.type = "dataflow") and
-- from content matching of calls that carry no links (via = "content"). Stored under the target's run.
CREATE TABLE IF NOT EXISTS {{table ao_dataflow_edges}} {{on_cluster}} (
    RunId String CODEC(ZSTD(1)),
    SourceTraceId String CODEC(ZSTD(1)),
    SourceSpanId String CODEC(ZSTD(1)),
    TargetTraceId String CODEC(ZSTD(1)),
    TargetSpanId String CODEC(ZSTD(1)),
    Via LowCardinality(String) CODEC(ZSTD(1)),
    Path String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    INDEX idx_source_span_id SourceSpanId TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = {{engine ReplacingMergeTree()}}
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (RunId, TargetSpanId, SourceSpanId, Via, Path)
SETTINGS index_granularity = 8192,
    non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

{{distributed ao_dataflow_edges BY cityHash64(RunId)}};

-- One row per run after merges; each written batch adds a partial row that the engine folds in
-- (min start, max end, sums of counts, the one non-empty name/parent/...). Read with GROUP BY RunId
-- and the same functions (or FINAL), never UPDATE.
CREATE TABLE IF NOT EXISTS {{table ao_runs}} {{on_cluster}} (
    RunId String CODEC(ZSTD(1)),
    Name SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    ParentRunId SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    ReplayOf SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    TraceId SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    RootSpanId SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    ServiceName SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    CommandArgs SimpleAggregateFunction(max, Array(String)) CODEC(ZSTD(1)),
    Cwd SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    StartTime SimpleAggregateFunction(min, DateTime64(9)) CODEC(ZSTD(1)),
    EndTime SimpleAggregateFunction(max, DateTime64(9)) CODEC(ZSTD(1)),
    RootStatus SimpleAggregateFunction(max, String) CODEC(ZSTD(1)),
    -- 1 for runs of ao (spans with ao.run.id); 0 for a trace of other instrumentation, keyed by its TraceId.
    AoRun SimpleAggregateFunction(max, UInt8) CODEC(ZSTD(1)),
    SpanCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    CallCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    ErrorCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    CachedCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    InputTokens SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    OutputTokens SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
    CostUsd SimpleAggregateFunction(sum, Float64) CODEC(ZSTD(1)),
    UnpricedCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1))
) ENGINE = {{engine AggregatingMergeTree()}}
ORDER BY RunId
SETTINGS index_granularity = 8192,
    non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

{{distributed ao_runs BY cityHash64(RunId)}};

-- Edits of a call's input or output (body: the edit JSON of the API). The newest row per
-- (run, span, kind) wins; a row with Deleted = 1 removes the edit under FINAL.
CREATE TABLE IF NOT EXISTS {{table ao_edits}} {{on_cluster}} (
    RunId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    CreatedAt DateTime64(6) CODEC(Delta(8), ZSTD(1)),
    Deleted UInt8 CODEC(ZSTD(1))
) ENGINE = {{engine ReplacingMergeTree(CreatedAt, Deleted)}}
ORDER BY (RunId, SpanId, Kind)
SETTINGS index_granularity = 8192;

{{distributed ao_edits BY cityHash64(RunId)}};
