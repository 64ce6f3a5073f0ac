"""Which spans are LLM calls, and their `ao_llm_calls` rows: one SQL query over a batch of decoded spans.

Recognised conventions (attribute names as those instrumentations write them):

- OpenTelemetry GenAI semantic conventions, used by ao itself (`ao.call.key` / `ao.call.cached` mark its
  spans), the OpenTelemetry GenAI instrumentations, current OpenLLMetry and the Anthropic SDK's own tracing
  (scope `com.anthropic.sdk.python`): `gen_ai.operation.name` other than agent and tool operations;
  content in `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions` /
  `gen_ai.tool.definitions`; usage in `gen_ai.usage.*` (cache reads `gen_ai.usage.cache_read.input_tokens`,
  cache writes `gen_ai.usage.cache_creation.input_tokens`, or `...cache_write...` as the Anthropic SDK writes).
- Older OpenLLMetry: `gen_ai.system` or `llm.request.type`; `gen_ai.usage.prompt_tokens` / `completion_tokens`;
  content in indexed attributes (see `indexed_content`).
- OpenInference: `openinference.span.kind = LLM`; `llm.provider`, `llm.model_name`, `llm.token_count.*`;
  content in indexed attributes; the request model in the `llm.invocation_parameters` JSON.

Input tokens count all input, cache reads and writes included (as the GenAI conventions define them).
Input and output tokens a span does not report are NULL (unknown), never 0; an embeddings call has no
output tokens (0). Cost is NULL for models without a price and for calls whose usage is unknown, 0 for
calls ao answered from its replay cache (`ao.call.cached`).

Everything is computed by ClickHouse (`calls_query`) except the GenAI message JSON of content recorded as
indexed attributes, which Python builds for the few calls that have it (`NeedsContent`, `complete_content`).
Prices are resolved in Python (`PriceTable`), once per distinct model of a batch, and given to the insert
query as literal arrays (`cost_expression`).
"""

from __future__ import annotations

import json
from typing import Sequence

import pyarrow as pa

from ao_collector.model.indexed_content import indexed_content
from ao_collector.model.sql_text import literal
from ao_collector.pricing import PriceTable

ANTHROPIC_SDK_SCOPE = "com.anthropic.sdk.python"
# GenAI operations that are not a call to a model.
NOT_MODEL_CALLS = ("execute_tool", "invoke_agent", "create_agent")
# Characters of a call's previews (the first part of its last input message, the prompt in a chat, and
# of its first output message): what graph views show; the full content stays in otel_traces.
PREVIEW_CHARS = 300
_INDEXED_MARKERS = (
    "gen_ai.prompt.0.role", "gen_ai.prompt.0.content", "gen_ai.completion.0.content",
    "llm.input_messages.0.message.role", "llm.output_messages.0.message.role",
)


def _attr(key: str) -> str:
    return f"SpanAttributes['{key}']"


def _has(key: str) -> str:
    return f"mapContains(SpanAttributes, '{key}')"


def _first(*keys: str) -> str:
    """The first non-empty value among attributes `keys` ('' when none has one)."""
    branches = ", ".join(f"{_attr(key)} != '', {_attr(key)}" for key in keys[:-1])
    return f"multiIf({branches}, {_attr(keys[-1])})" if branches else _attr(keys[0])


def _count(expression: str) -> str:
    """A token count from attribute text: integers (or decimals) >= 0; NULL (unknown) when absent or malformed."""
    return f"if(toFloat64OrNull({expression}) IS NULL, NULL, toUInt64(greatest(toFloat64OrNull({expression}), 0)))"


def _count_or_zero(expression: str) -> str:
    """A token count that most calls never report (cache reads and writes): absent or malformed as 0."""
    return f"toUInt64(greatest(ifNull(toFloat64OrNull({expression}), 0), 0))"


# Columns of the `calls` stage, in ao_llm_calls order, except CostUsd (priced later from PriceModel).
# Aliases prefixed `_` are intermediate.
_CALL_COLUMNS = f"""
    {_has('gen_ai.operation.name')} AS _has_operation,
    _has_operation AND {_attr('gen_ai.operation.name')} NOT IN {literal(list(NOT_MODEL_CALLS))} AS _semconv,
    NOT _has_operation AND ({_has('gen_ai.system')} OR {_has('llm.request.type')}) AS _legacy,
    {_attr('llm.request.type')} AS _request_type,
    SpanRow, RunId, TraceId, SpanId, ParentSpanId, Timestamp, Duration, SpanName, ServiceName,
    multiIf(_semconv, multiIf({_has('ao.call.key')} OR {_has('ao.call.cached')}, 'ao',
                              ScopeName = '{ANTHROPIC_SDK_SCOPE}', 'anthropic-sdk', 'genai'),
            _legacy, 'openllmetry', 'openinference') AS Source,
    lower({_first('gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system')}) AS Provider,
    multiIf(_semconv, {_attr('gen_ai.operation.name')},
            _legacy, transform(_request_type, ['', 'completion', 'embedding'], ['chat', 'text_completion', 'embeddings'], _request_type),
            {_has('llm.input_messages.0.message.role')}, 'chat', 'text_completion') AS Operation,
    multiIf({_attr('gen_ai.request.model')} != '', {_attr('gen_ai.request.model')},
            JSONExtractString({_attr('llm.invocation_parameters')}, 'model') AS _invocation_model != '', _invocation_model,
            {_attr('llm.model_name')}) AS RequestModel,
    {_first('gen_ai.response.model', 'llm.response.model_name', 'llm.model_name')} AS ResponseModel,
    {_count(_first('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt'))} AS InputTokens,
    {_count(_first('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion'))} AS _output_tokens,
    if(Operation = 'embeddings', ifNull(_output_tokens, 0), _output_tokens) AS OutputTokens,
    {_count_or_zero(_first('gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens',
                   'llm.token_count.prompt_details.cache_read'))} AS CacheReadInputTokens,
    {_count_or_zero(_first('gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_write.input_tokens',
                   'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write'))} AS CacheCreationInputTokens,
    if(ResponseModel = '', RequestModel, ResponseModel) AS PriceModel,
    {_attr('ao.call.key')} AS CallKey,
    {_attr('ao.call.cached')} = 'true' AS Cached,
    StatusCode,
    multiIf({_attr('error.type')} != '', {_attr('error.type')},
            StatusCode = 'Error' AND (arrayFirst(t -> t != '', arrayMap(e -> e['exception.type'], `Events.Attributes`)) AS _event_type) != '',
            _event_type, StatusCode = 'Error', 'error', '') AS ErrorType,
    {_attr('gen_ai.input.messages')} AS InputMessages,
    {_attr('gen_ai.output.messages')} AS OutputMessages,
    {_attr('gen_ai.system_instructions')} AS SystemInstructions,
    {_attr('gen_ai.tool.definitions')} AS ToolDefinitions,
    if(empty(ResponseFinishReasons) AND ({_has('anthropic.message.stop_reason')} OR {_has('llm.finish_reason')}),
       [if({_attr('anthropic.message.stop_reason')} != '', {_attr('anthropic.message.stop_reason')}, {_attr('llm.finish_reason')})],
       ResponseFinishReasons) AS FinishReasons,
    TaintOrigins,
    leftUTF8(JSONExtractString(InputMessages, -1, 'parts', 1, 'content'), {PREVIEW_CHARS}) AS InputPreview,
    leftUTF8(JSONExtractString(OutputMessages, 1, 'parts', 1, 'content'), {PREVIEW_CHARS}) AS OutputPreview,
    InputMessages = '' AND OutputMessages = '' AND ({' OR '.join(_has(key) for key in _INDEXED_MARKERS)}) AS NeedsContent"""

_IS_CALL = (
    f"_semconv OR _legacy OR (NOT _has_operation AND NOT _legacy AND {_attr('openinference.span.kind')} = 'LLM')"
)


def calls_query(spans: str) -> str:
    """The calls among the decoded spans of table `spans`: ao_llm_calls columns (but CostUsd), plus `PriceModel`
    (the model to price) and `NeedsContent` (content to build from indexed attributes, see `complete_content`)."""
    return f"SELECT {_CALL_COLUMNS}\nFROM {spans}\nWHERE {_IS_CALL}"


def cost_expression(prices: PriceTable, models: Sequence[str]) -> str:
    """CostUsd of a row of the calls stage, for a batch whose calls price `models` (USD; NULL for unknown
    models, 0 for cached replays). The arithmetic is that of `PriceTable.cost`, in the same order."""
    known = [(model, price) for model in models if (price := prices.price(model)) is not None]
    if not known:
        return "if(Cached, 0., NULL)"
    names = literal([model for model, _ in known])

    def rate(field: str) -> str:
        return f"transform(PriceModel, {names}, {literal([float(getattr(price, field)) for _, price in known])}, 0.)"

    inputs, reads, writes, outputs = (f"toFloat64({c})" for c in (
        "InputTokens", "CacheReadInputTokens", "CacheCreationInputTokens", "OutputTokens"))
    cost = (
        f"(greatest({inputs} - {reads} - {writes}, 0.) * {rate('input')} + {reads} * {rate('cached_input')} "
        f"+ {writes} * {rate('cache_write_input')} + {outputs} * {rate('output')}) / 1000000"
    )
    return f"if(Cached, 0., if(has({names}, PriceModel), {cost}, NULL))"


def complete_content(calls: pa.Table) -> pa.Table:
    """Rows of the calls stage with `NeedsContent` (plus their `SpanAttributes`), with InputMessages,
    OutputMessages, ToolDefinitions (when empty), FinishReasons (when empty) and the previews built from
    indexed attributes."""
    patched: dict[str, list] = {name: calls[name].to_pylist() for name in (
        "InputMessages", "OutputMessages", "ToolDefinitions", "FinishReasons", "InputPreview", "OutputPreview")}
    for row, attributes in enumerate(calls["SpanAttributes"].to_pylist()):
        content = indexed_content(dict(attributes))
        patched["InputMessages"][row] = content.input_messages
        patched["OutputMessages"][row] = content.output_messages
        patched["InputPreview"][row] = preview(content.input_messages, -1)
        patched["OutputPreview"][row] = preview(content.output_messages, 0)
        if not patched["ToolDefinitions"][row]:
            patched["ToolDefinitions"][row] = content.tool_definitions
        if content.finish_reasons and not patched["FinishReasons"][row]:
            patched["FinishReasons"][row] = content.finish_reasons
    for name, values in patched.items():
        index = calls.schema.get_field_index(name)
        calls = calls.set_column(index, name, pa.array(values, calls.schema.field(name).type))
    return calls.drop_columns(["SpanAttributes"])


def preview(messages: str, index: int) -> str:
    """The first part's content of message `index` of GenAI message JSON, cut to PREVIEW_CHARS ('' when none):
    what the calls query computes for content recorded in the GenAI attributes."""
    try:
        content = json.loads(messages)[index]["parts"][0]["content"]
    except (ValueError, LookupError, TypeError):
        return ""
    return content[:PREVIEW_CHARS] if isinstance(content, str) else ""
