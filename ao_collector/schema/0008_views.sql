-- ao's tables computed by ClickHouse from the rows inserted into otel_traces (issue 11), whoever inserts
-- them: ao-collector, or the OpenTelemetry Collector's ClickHouse exporter with its default schema. The
-- views read only the exporter's columns (attribute values as its text: arrays as JSON).
--
-- Every insert into otel_traces runs the views on the inserted block: ao_llm_calls (the calls among the
-- spans, priced from ao_prices), ao_dataflow_edges (their dataflow links), ao_runs (a partial row per run
-- from the spans, another from the calls) and ao_content_pending (calls of other instrumentations, for
-- ao-collector's content matching). An insert with insert_deduplication_token and
-- deduplicate_blocks_in_dependent_materialized_views = 1 sent twice leaves one copy in every table.
-- On a cluster the views run on each shard's local tables, so a span's ao rows live on its shard.
--
-- Rows written before this migration keep what ao-collector wrote for them.

-- Model prices (USD per 1M tokens), loaded by ao-collector from pricing/prices.json at every migrate, a new
-- Version when they changed; the views price with the newest Version. Names are normalised as
-- pricing/prices.py does it (aliases stored as names of their own). Every node of a cluster has all rows.
CREATE TABLE IF NOT EXISTS {{object ao_prices}} {{on_cluster}} (
    Version UInt64,
    Name String,
    Input Float64,
    Output Float64,
    CachedInput Float64,
    CacheWriteInput Float64
) ENGINE = {{global_engine MergeTree()}}
ORDER BY (Version, Name);

-- Calls of other instrumentations, queued for content matching (ao-collector reads them by IngestTime).
CREATE TABLE IF NOT EXISTS {{table ao_content_pending}} {{on_cluster}} (
    RunId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    IngestTime DateTime64(3) DEFAULT now64(3) CODEC(Delta(8), ZSTD(1))
) ENGINE = {{engine MergeTree()}}
PARTITION BY toDate(IngestTime)
ORDER BY IngestTime
TTL toDateTime(IngestTime) + INTERVAL 7 DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1,
    non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000;

{{distributed ao_content_pending BY cityHash64(TraceId)}};

-- How far content matching has read ao_content_pending (one row per name; the newest Updated wins).
CREATE TABLE IF NOT EXISTS {{object ao_content_progress}} {{on_cluster}} (
    Name String,
    IngestTime DateTime64(3),
    Updated DateTime64(3) DEFAULT now64(3)
) ENGINE = {{global_engine ReplacingMergeTree(Updated)}}
ORDER BY Name;

-- Which spans are LLM calls, and their ao_llm_calls rows. Recognised conventions:
-- - OpenTelemetry GenAI (ao itself, marked by ao.call.key / ao.call.cached; the OpenTelemetry GenAI
--   instrumentations; current OpenLLMetry; the Anthropic SDK's own tracing, scope com.anthropic.sdk.python):
--   gen_ai.operation.name other than agent and tool operations.
-- - Older OpenLLMetry: gen_ai.system or llm.request.type; content in indexed attributes gen_ai.prompt.N.*,
--   gen_ai.completion.N.*.
-- - OpenInference: openinference.span.kind = 'LLM'; content in llm.input_messages.N.message.*,
--   llm.output_messages.N.message.*; the request model in the llm.invocation_parameters JSON.
-- Input tokens count all input, cache reads and writes included. Tokens a span does not report are NULL,
-- and so is its cost; cache token counts absent are 0; an embeddings call has 0 output tokens. A call ao
-- answered from its replay cache costs 0. Previews: the first part of the last input message (the prompt,
-- in a chat) and of the first output message, 300 characters.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{object ao_llm_calls_mv}} {{on_cluster}}
TO {{table ao_llm_calls}}
AS SELECT
    RunId, TraceId, SpanId, ParentSpanId, Timestamp, Duration, SpanName, ServiceName, Source, Provider, Operation,
    RequestModel, ResponseModel, InputTokens, OutputTokens, CacheReadInputTokens, CacheCreationInputTokens,
    if(Cached, 0., if(exact.Known = 1 OR undated.Known = 1,
        (greatest(toFloat64(InputTokens) - toFloat64(CacheReadInputTokens) - toFloat64(CacheCreationInputTokens), 0.)
            * if(exact.Known = 1, exact.Input, undated.Input)
         + toFloat64(CacheReadInputTokens) * if(exact.Known = 1, exact.CachedInput, undated.CachedInput)
         + toFloat64(CacheCreationInputTokens) * if(exact.Known = 1, exact.CacheWriteInput, undated.CacheWriteInput)
         + toFloat64(OutputTokens) * if(exact.Known = 1, exact.Output, undated.Output)) / 1000000,
        NULL)) AS CostUsd,
    CallKey, Cached, StatusCode, ErrorType, FinishReasons, TaintOrigins, InputPreview, OutputPreview
FROM (
    SELECT
        mapContains(SpanAttributes, 'gen_ai.operation.name') AS _has_operation,
        _has_operation AND SpanAttributes['gen_ai.operation.name'] NOT IN ('execute_tool', 'invoke_agent', 'create_agent') AS _semconv,
        NOT _has_operation AND (mapContains(SpanAttributes, 'gen_ai.system') OR mapContains(SpanAttributes, 'llm.request.type')) AS _legacy,
        if(SpanAttributes['ao.run.id'] != '', SpanAttributes['ao.run.id'], TraceId) AS RunId,
        TraceId, SpanId, ParentSpanId, Timestamp, Duration, SpanName, ServiceName,
        multiIf(_semconv, multiIf(mapContains(SpanAttributes, 'ao.call.key') OR mapContains(SpanAttributes, 'ao.call.cached'), 'ao',
                                  ScopeName = 'com.anthropic.sdk.python', 'anthropic-sdk', 'genai'),
                _legacy, 'openllmetry', 'openinference') AS Source,
        lower(multiIf(SpanAttributes['gen_ai.provider.name'] != '', SpanAttributes['gen_ai.provider.name'],
                      SpanAttributes['gen_ai.system'] != '', SpanAttributes['gen_ai.system'],
                      SpanAttributes['llm.provider'] != '', SpanAttributes['llm.provider'], SpanAttributes['llm.system'])) AS Provider,
        SpanAttributes['llm.request.type'] AS _request_type,
        multiIf(_semconv, SpanAttributes['gen_ai.operation.name'],
                _legacy, transform(_request_type, ['', 'completion', 'embedding'], ['chat', 'text_completion', 'embeddings'], _request_type),
                mapContains(SpanAttributes, 'llm.input_messages.0.message.role'), 'chat', 'text_completion') AS Operation,
        multiIf(SpanAttributes['gen_ai.request.model'] != '', SpanAttributes['gen_ai.request.model'],
                JSONExtractString(SpanAttributes['llm.invocation_parameters'], 'model') AS _invocation_model != '', _invocation_model,
                SpanAttributes['llm.model_name']) AS RequestModel,
        multiIf(SpanAttributes['gen_ai.response.model'] != '', SpanAttributes['gen_ai.response.model'],
                SpanAttributes['llm.response.model_name'] != '', SpanAttributes['llm.response.model_name'],
                SpanAttributes['llm.model_name']) AS ResponseModel,
        -- Token counts from attribute text: integers (or decimals) >= 0; NULL when absent or malformed.
        toFloat64OrNull(multiIf(SpanAttributes['gen_ai.usage.input_tokens'] != '', SpanAttributes['gen_ai.usage.input_tokens'],
                                SpanAttributes['gen_ai.usage.prompt_tokens'] != '', SpanAttributes['gen_ai.usage.prompt_tokens'],
                                SpanAttributes['llm.token_count.prompt'])) AS _input_tokens,
        if(_input_tokens IS NULL, NULL, toUInt64(greatest(_input_tokens, 0))) AS InputTokens,
        toFloat64OrNull(multiIf(SpanAttributes['gen_ai.usage.output_tokens'] != '', SpanAttributes['gen_ai.usage.output_tokens'],
                                SpanAttributes['gen_ai.usage.completion_tokens'] != '', SpanAttributes['gen_ai.usage.completion_tokens'],
                                SpanAttributes['llm.token_count.completion'])) AS _output_tokens,
        if(_output_tokens IS NULL, if(Operation = 'embeddings', 0, NULL), toUInt64(greatest(_output_tokens, 0))) AS OutputTokens,
        toUInt64(greatest(ifNull(toFloat64OrNull(multiIf(
            SpanAttributes['gen_ai.usage.cache_read.input_tokens'] != '', SpanAttributes['gen_ai.usage.cache_read.input_tokens'],
            SpanAttributes['gen_ai.usage.cache_read_input_tokens'] != '', SpanAttributes['gen_ai.usage.cache_read_input_tokens'],
            SpanAttributes['llm.token_count.prompt_details.cache_read'])), 0), 0)) AS CacheReadInputTokens,
        toUInt64(greatest(ifNull(toFloat64OrNull(multiIf(
            SpanAttributes['gen_ai.usage.cache_creation.input_tokens'] != '', SpanAttributes['gen_ai.usage.cache_creation.input_tokens'],
            SpanAttributes['gen_ai.usage.cache_write.input_tokens'] != '', SpanAttributes['gen_ai.usage.cache_write.input_tokens'],
            SpanAttributes['gen_ai.usage.cache_creation_input_tokens'] != '', SpanAttributes['gen_ai.usage.cache_creation_input_tokens'],
            SpanAttributes['llm.token_count.prompt_details.cache_write'])), 0), 0)) AS CacheCreationInputTokens,
        -- The name to price, normalised as pricing/prices.py does: vendor prefix and -vN[:M] suffix off, then
        -- (when that name has no price) a date or -latest suffix off.
        replaceRegexpOne(replaceRegexpOne(lower(trimBoth(if(ResponseModel = '', RequestModel, ResponseModel))),
                                          '^(?:[\\w-]+/|(?:[a-z]{2}\\.)?anthropic\\.)', ''), '-v\\d+(:\\d+)?$', '') AS _price_name,
        replaceRegexpOne(_price_name, '(-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|@\\d{8}|-latest)$', '') AS _undated_price_name,
        SpanAttributes['ao.call.key'] AS CallKey,
        SpanAttributes['ao.call.cached'] = 'true' AS Cached,
        StatusCode,
        multiIf(SpanAttributes['error.type'] != '', SpanAttributes['error.type'],
                StatusCode = 'Error' AND (arrayFirst(t -> t != '', arrayMap(e -> e['exception.type'], `Events.Attributes`)) AS _event_type) != '',
                _event_type, StatusCode = 'Error', 'error', '') AS ErrorType,
        -- Array attributes are JSON text (a single string is one item).
        SpanAttributes['gen_ai.response.finish_reasons'] AS _finish_text,
        multiIf(startsWith(_finish_text, '['), JSONExtract(_finish_text, 'Array(String)'), _finish_text = '', [], [_finish_text]) AS _finish_reasons,
        SpanAttributes['ao.taint.origins'] AS _origins_text,
        multiIf(startsWith(_origins_text, '['), JSONExtract(_origins_text, 'Array(String)'), _origins_text = '', [], [_origins_text]) AS TaintOrigins,
        -- Content recorded as indexed attributes (older OpenLLMetry, OpenInference) rather than as GenAI JSON.
        SpanAttributes['gen_ai.input.messages'] AS _input_messages,
        SpanAttributes['gen_ai.output.messages'] AS _output_messages,
        mapContains(SpanAttributes, 'gen_ai.prompt.0.role') OR mapContains(SpanAttributes, 'gen_ai.prompt.0.content')
            OR mapContains(SpanAttributes, 'gen_ai.completion.0.content') AS _openllmetry_content,
        NOT _openllmetry_content AND (mapContains(SpanAttributes, 'llm.input_messages.0.message.role')
            OR mapContains(SpanAttributes, 'llm.output_messages.0.message.role')) AS _openinference_content,
        _input_messages = '' AND _output_messages = '' AND (_openllmetry_content OR _openinference_content) AS _indexed,
        if(_openllmetry_content, 'gen_ai.prompt.', 'llm.input_messages.') AS _input_prefix,
        if(_openllmetry_content, '', 'message.') AS _message_prefix,
        -- The last indexed input message, its role and content (a tool result has no text part).
        concat(_input_prefix, toString(arrayMax(arrayMap(k -> toUInt32(extract(k, '^[a-z_.]+?\\.(\\d+)\\.')),
            arrayFilter(k -> startsWith(k, _input_prefix) AND match(substring(k, length(_input_prefix) + 1), '^\\d+\\..'),
                        mapKeys(SpanAttributes))))), '.', _message_prefix) AS _last_input,
        if(SpanAttributes[concat(_last_input, 'role')] = 'tool' AND mapContains(SpanAttributes, concat(_last_input, 'tool_call_id')), '',
           if(SpanAttributes[concat(_last_input, 'content')] != '', SpanAttributes[concat(_last_input, 'content')],
              SpanAttributes[concat(_last_input, 'contents.0.message_content.text')])) AS _indexed_input_preview,
        if(_openllmetry_content, 'gen_ai.completion.0.', 'llm.output_messages.0.message.') AS _first_output,
        if(SpanAttributes[concat(_first_output, 'content')] != '', SpanAttributes[concat(_first_output, 'content')],
           SpanAttributes[concat(_first_output, 'contents.0.message_content.text')]) AS _indexed_output_preview,
        leftUTF8(if(_indexed, _indexed_input_preview, JSONExtractString(_input_messages, -1, 'parts', 1, 'content')), 300) AS InputPreview,
        leftUTF8(if(_indexed, _indexed_output_preview, JSONExtractString(_output_messages, 1, 'parts', 1, 'content')), 300) AS OutputPreview,
        -- Finish reasons: the GenAI attribute, else the Anthropic SDK's or OpenInference's single one, else
        -- those of indexed output messages, in their order.
        multiIf(notEmpty(_finish_reasons), _finish_reasons,
                mapContains(SpanAttributes, 'anthropic.message.stop_reason') OR mapContains(SpanAttributes, 'llm.finish_reason'),
                [if(SpanAttributes['anthropic.message.stop_reason'] != '', SpanAttributes['anthropic.message.stop_reason'],
                    SpanAttributes['llm.finish_reason'])],
                _indexed, arrayFilter(r -> r != '', arrayMap(k -> SpanAttributes[k], arraySort(
                    k -> toUInt32(extract(k, '\\.(\\d+)\\.finish_reason$')),
                    arrayFilter(k -> match(k, '^(gen_ai\\.completion|llm\\.output_messages)\\.\\d+\\.finish_reason$'), mapKeys(SpanAttributes))))),
                []) AS FinishReasons
    FROM {{table otel_traces}}
    WHERE _semconv OR _legacy OR (NOT _has_operation AND SpanAttributes['openinference.span.kind'] = 'LLM')
) AS calls
LEFT ANY JOIN (
    SELECT Name, Input, Output, CachedInput, CacheWriteInput, toUInt8(1) AS Known FROM {{object ao_prices}}
    WHERE Version = (SELECT max(Version) FROM {{object ao_prices}})
) AS exact ON exact.Name = calls._price_name
LEFT ANY JOIN (
    SELECT Name, Input, Output, CachedInput, CacheWriteInput, toUInt8(1) AS Known FROM {{object ao_prices}}
    WHERE Version = (SELECT max(Version) FROM {{object ao_prices}})
) AS undated ON undated.Name = calls._undated_price_name;

-- One edge per span link with ao.link.type = 'dataflow': linked span -> the span, under the span's run.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{object ao_dataflow_edges_mv}} {{on_cluster}}
TO {{table ao_dataflow_edges}}
AS SELECT
    if(SpanAttributes['ao.run.id'] != '', SpanAttributes['ao.run.id'], TraceId) AS RunId,
    link.1 AS SourceTraceId, link.2 AS SourceSpanId, TraceId AS TargetTraceId, SpanId AS TargetSpanId,
    link.3['ao.dataflow.via'] AS Via, link.3['ao.dataflow.path'] AS Path, Timestamp
FROM {{table otel_traces}}
ARRAY JOIN arrayFilter(l -> l.3['ao.link.type'] = 'dataflow', arrayZip(`Links.TraceId`, `Links.SpanId`, `Links.Attributes`)) AS link;

-- A partial ao_runs row per run from its spans. A run's root span is `ao.run {name}` with ao.run.name (for
-- spans outside any ao run, keyed by their TraceId: the trace's root span); it gives the name, parent run,
-- replay origin, status, command (process.command_args, a JSON array, or process.command_line) and
-- directory (process.cwd or process.working_directory; span attributes first, then the resource's).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{object ao_runs_spans_mv}} {{on_cluster}}
TO {{table ao_runs}}
AS SELECT
    RunId,
    anyIf(if(_ao_run, if(SpanAttributes['ao.run.name'] != '', SpanAttributes['ao.run.name'],
                       if(startsWith(SpanName, 'ao.run '), substring(SpanName, 8), SpanName)), SpanName), IsRoot) AS Name,
    anyIf(SpanAttributes['ao.run.parent_id'], IsRoot) AS ParentRunId,
    anyIf(SpanAttributes['ao.run.replay_of'], IsRoot) AS ReplayOf,
    anyIf(TraceId, IsRoot) AS TraceId,
    anyIf(SpanId, IsRoot) AS RootSpanId,
    max(if(startsWith(ServiceName, 'unknown_service'), '', ServiceName)) AS ServiceName,
    anyIf(if(notEmpty(_span_command), _span_command, _resource_command), IsRoot) AS CommandArgs,
    anyIf(multiIf(SpanAttributes['process.cwd'] != '', SpanAttributes['process.cwd'],
                  SpanAttributes['process.working_directory'] != '', SpanAttributes['process.working_directory'],
                  ResourceAttributes['process.cwd'] != '', ResourceAttributes['process.cwd'],
                  ResourceAttributes['process.working_directory']), IsRoot) AS Cwd,
    min(Timestamp) AS StartTime,
    max(addNanoseconds(Timestamp, Duration)) AS EndTime,
    anyIf(StatusCode, IsRoot) AS RootStatus,
    toUInt8(max(_ao_run)) AS AoRun,
    count() AS SpanCount
FROM (
    SELECT *,
        if(SpanAttributes['ao.run.id'] != '', SpanAttributes['ao.run.id'], TraceId) AS RunId,
        mapContains(SpanAttributes, 'ao.run.id') AS _ao_run,
        if(_ao_run, mapContains(SpanAttributes, 'ao.run.name') OR startsWith(SpanName, 'ao.run '), ParentSpanId = '') AS IsRoot,
        SpanAttributes['process.command_args'] AS _span_args,
        multiIf(startsWith(_span_args, '[') AND isValidJSON(_span_args),
                    arrayMap(x -> if(JSONType(x) = 'String', JSONExtractString(x), x), JSONExtractArrayRaw(_span_args)),
                _span_args != '', [_span_args],
                SpanAttributes['process.command_line'] != '', [SpanAttributes['process.command_line']], []) AS _span_command,
        ResourceAttributes['process.command_args'] AS _resource_args,
        multiIf(startsWith(_resource_args, '[') AND isValidJSON(_resource_args),
                    arrayMap(x -> if(JSONType(x) = 'String', JSONExtractString(x), x), JSONExtractArrayRaw(_resource_args)),
                _resource_args != '', [_resource_args],
                ResourceAttributes['process.command_line'] != '', [ResourceAttributes['process.command_line']], []) AS _resource_command
    FROM {{table otel_traces}}
)
GROUP BY RunId;

-- The other partial ao_runs row per run: sums over its calls (token sums of the calls whose usage is known).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{object ao_runs_calls_mv}} {{on_cluster}}
TO {{table ao_runs}}
AS SELECT
    c.RunId AS RunId,
    min(c.Timestamp) AS StartTime,
    max(addNanoseconds(c.Timestamp, c.Duration)) AS EndTime,
    count() AS CallCount,
    countIf(c.ErrorType != '') AS ErrorCount,
    countIf(c.Cached) AS CachedCount,
    ifNull(sum(c.InputTokens), 0) AS InputTokens,
    ifNull(sum(c.OutputTokens), 0) AS OutputTokens,
    ifNull(sum(c.CostUsd), 0) AS CostUsd,
    countIf(c.CostUsd IS NULL) AS UnpricedCount,
    countIf(c.InputTokens IS NULL OR c.OutputTokens IS NULL) AS UnknownUsageCount
FROM {{table ao_llm_calls}} AS c
GROUP BY c.RunId;

-- Calls of other instrumentations: content matching may find where their input came from.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{object ao_content_pending_mv}} {{on_cluster}}
TO {{table ao_content_pending}}
AS SELECT RunId, TraceId, SpanId, Timestamp
FROM {{table ao_llm_calls}}
WHERE Source != 'ao';
