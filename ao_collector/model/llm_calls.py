"""Which spans are LLM calls, and their `ao_llm_calls` rows, computed column-wise over a batch of spans.

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
  content in indexed attributes.

Input tokens count all input, cache reads and writes included (as the GenAI conventions define them).
Cost is NULL for models without a price, 0 for calls ao answered from its replay cache (`ao.call.cached`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ao_collector.model import tables
from ao_collector.model.attribute_columns import first_of
from ao_collector.model.indexed_content import indexed_content, invocation_model
from ao_collector.pricing import PriceTable

ANTHROPIC_SDK_SCOPE = "com.anthropic.sdk.python"
_SPAN_FIELDS = ("TraceId", "SpanId", "ParentSpanId", "Timestamp", "Duration", "SpanName", "ServiceName", "ScopeName",
                "StatusCode", "FinishReasons", "TaintOrigins")
# GenAI operations that are not a call to a model.
NOT_MODEL_CALLS = ("execute_tool", "invoke_agent", "create_agent")
_LEGACY_OPERATIONS = {"": "chat", "completion": "text_completion", "embedding": "embeddings"}
_INDEXED_MARKERS = (
    "gen_ai.prompt.0.role", "gen_ai.prompt.0.content", "gen_ai.completion.0.content",
    "llm.input_messages.0.message.role", "llm.output_messages.0.message.role",
)

# Span attributes read for calls (and runs).
CALL_ATTRIBUTES = (
    "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "llm.request.type", "llm.provider",
    "llm.system", "openinference.span.kind", "gen_ai.request.model", "gen_ai.response.model",
    "llm.model_name", "llm.response.model_name", "llm.invocation_parameters",
    "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
    "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion",
    "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read", "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write", "ao.call.key", "ao.call.cached", "error.type",
    "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions",
    "anthropic.message.stop_reason", "llm.finish_reason", *_INDEXED_MARKERS,
)


def call_mask(attrs: dict[str, pa.Array]) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Per span: (GenAI-convention call, older-OpenLLMetry call, OpenInference call); at most one is true."""
    operation = attrs["gen_ai.operation.name"]
    has_operation = pc.is_valid(operation)
    semconv = pc.and_(has_operation, pc.invert(pc.is_in(operation, pa.array(NOT_MODEL_CALLS))))
    legacy = pc.and_(pc.invert(has_operation), pc.or_(pc.is_valid(attrs["gen_ai.system"]), pc.is_valid(attrs["llm.request.type"])))
    openinference = pc.and_(
        pc.invert(pc.or_(has_operation, legacy)), pc.equal(attrs["openinference.span.kind"], "LLM").fill_null(False)
    )
    return semconv, legacy, openinference


def call_table(spans: pa.RecordBatch, attrs: dict[str, pa.Array], run_ids: pa.Array, prices: PriceTable) -> pa.Table:
    """The `ao_llm_calls` rows of the LLM-call spans among `spans` (attribute columns `attrs`, runs `run_ids`)."""
    semconv, legacy, openinference = call_mask(attrs)
    rows = pc.indices_nonzero(pc.or_(pc.or_(semconv, legacy), openinference))
    if len(rows) == 0:
        return tables.AO_LLM_CALLS.empty_table()
    if len(rows) == spans.num_rows:
        a, span = attrs, {name: spans[name] for name in _SPAN_FIELDS}
    else:
        a = {key: column.take(rows) for key, column in attrs.items()}
        semconv, legacy, openinference = semconv.take(rows), legacy.take(rows), openinference.take(rows)
        span = {name: spans[name].take(rows) for name in _SPAN_FIELDS}
    ao = pc.or_(pc.is_valid(a["ao.call.key"]), pc.is_valid(a["ao.call.cached"]))
    source = pc.if_else(
        semconv,
        pc.if_else(ao, "ao", pc.if_else(pc.equal(span["ScopeName"], ANTHROPIC_SDK_SCOPE), "anthropic-sdk", "genai")),
        pc.if_else(legacy, "openllmetry", "openinference"),
    )
    request_type = a["llm.request.type"].fill_null("")
    legacy_operation = request_type
    for name, operation in _LEGACY_OPERATIONS.items():
        legacy_operation = pc.if_else(pc.equal(request_type, name), operation, legacy_operation)
    chat_like = pc.is_valid(a["llm.input_messages.0.message.role"])
    operation = pc.if_else(
        semconv, a["gen_ai.operation.name"],
        pc.if_else(legacy, legacy_operation, pc.if_else(chat_like, "chat", "text_completion")),
    )
    request_model = first_of(a["gen_ai.request.model"])
    response_model = first_of(a["gen_ai.response.model"], a["llm.response.model_name"], a["llm.model_name"])
    input_tokens = _count(first_of(a["gen_ai.usage.input_tokens"], a["gen_ai.usage.prompt_tokens"],
                                   a["llm.token_count.prompt"]))
    output_tokens = _count(first_of(a["gen_ai.usage.output_tokens"], a["gen_ai.usage.completion_tokens"],
                                    a["llm.token_count.completion"]))
    cache_read = _count(first_of(a["gen_ai.usage.cache_read.input_tokens"], a["gen_ai.usage.cache_read_input_tokens"],
                                 a["llm.token_count.prompt_details.cache_read"]))
    cache_write = _count(first_of(a["gen_ai.usage.cache_creation.input_tokens"], a["gen_ai.usage.cache_write.input_tokens"],
                                  a["gen_ai.usage.cache_creation_input_tokens"], a["llm.token_count.prompt_details.cache_write"]))
    cached = pc.equal(a["ao.call.cached"], "true").fill_null(False)
    provider = first_of(a["gen_ai.provider.name"], a["gen_ai.system"], a["llm.provider"], a["llm.system"])
    columns = {
        "RunId": run_ids.take(rows),
        "TraceId": span["TraceId"],
        "SpanId": span["SpanId"],
        "ParentSpanId": span["ParentSpanId"],
        "Timestamp": span["Timestamp"],
        "Duration": span["Duration"],
        "SpanName": span["SpanName"],
        "ServiceName": span["ServiceName"],
        "Source": source,
        "Provider": pc.utf8_lower(provider).fill_null(""),
        "Operation": operation,
        "RequestModel": request_model.fill_null(""),
        "ResponseModel": response_model.fill_null(""),
        "InputTokens": input_tokens,
        "OutputTokens": output_tokens,
        "CacheReadInputTokens": cache_read,
        "CacheCreationInputTokens": cache_write,
        "CallKey": a["ao.call.key"].fill_null(""),
        "Cached": cached,
        "StatusCode": span["StatusCode"],
        "ErrorType": a["error.type"].fill_null(""),
        "InputMessages": a["gen_ai.input.messages"].fill_null(""),
        "OutputMessages": a["gen_ai.output.messages"].fill_null(""),
        "SystemInstructions": a["gen_ai.system_instructions"].fill_null(""),
        "ToolDefinitions": a["gen_ai.tool.definitions"].fill_null(""),
        "FinishReasons": span["FinishReasons"],
        "TaintOrigins": span["TaintOrigins"],
    }
    _complete_from_attributes(columns, a, spans, rows)
    columns["RequestModel"] = first_of(columns["RequestModel"], a["llm.model_name"]).fill_null("")
    columns["CostUsd"] = _costs(prices, columns, cached)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in tables.AO_LLM_CALLS], schema=tables.AO_LLM_CALLS)


def _complete_from_attributes(columns: dict, a: dict[str, pa.Array], spans: pa.RecordBatch, rows: pa.Array) -> None:
    """Fields that need a look at whole rows, for the few calls that need them: content in indexed
    attributes, OpenInference's invocation model, finish reasons named otherwise, the type of an error
    recorded only as an exception event."""
    indexed = pc.and_(
        pc.and_(pc.equal(columns["InputMessages"], ""), pc.equal(columns["OutputMessages"], "")),
        _any_valid(a, _INDEXED_MARKERS),
    )
    no_reason = pc.and_(pc.equal(pc.list_value_length(columns["FinishReasons"]), 0),
                        pc.or_(pc.is_valid(a["anthropic.message.stop_reason"]), pc.is_valid(a["llm.finish_reason"])))
    unnamed_error = pc.and_(pc.equal(columns["ErrorType"], ""), pc.equal(columns["StatusCode"], "Error"))
    needs_model = pc.and_(pc.equal(columns["RequestModel"], ""), pc.is_valid(a["llm.invocation_parameters"]))
    fix = pc.indices_nonzero(pc.or_(pc.or_(indexed, no_reason), pc.or_(unnamed_error, needs_model))).to_pylist()
    if not fix:
        return
    patched = ("InputMessages", "OutputMessages", "ToolDefinitions", "FinishReasons", "ErrorType", "RequestModel")
    patches: dict[str, dict[int, object]] = {name: {} for name in patched}
    for row in fix:
        index = rows[row].as_py()
        attrs = dict(spans["SpanAttributes"][index].as_py())
        if indexed[row].as_py():
            content = indexed_content(attrs)
            patches["InputMessages"][row] = content.input_messages
            patches["OutputMessages"][row] = content.output_messages
            if not columns["ToolDefinitions"][row].as_py():
                patches["ToolDefinitions"][row] = content.tool_definitions
            if content.finish_reasons and not columns["FinishReasons"][row].as_py():
                patches["FinishReasons"][row] = content.finish_reasons
        if no_reason[row].as_py():
            patches["FinishReasons"][row] = [attrs.get("anthropic.message.stop_reason") or attrs["llm.finish_reason"]]
        if unnamed_error[row].as_py():
            events = spans["Events.Attributes"][index].as_py() or []
            types = [dict(event).get("exception.type") for event in events]
            patches["ErrorType"][row] = next((t for t in types if t), "error")
        if needs_model[row].as_py():
            patches["RequestModel"][row] = invocation_model(attrs)
    for name, values in patches.items():
        if values:
            columns[name] = _patch(columns[name], values)


def _any_valid(a: dict[str, pa.Array], keys: tuple[str, ...]) -> pa.Array:
    result = pc.is_valid(a[keys[0]])
    for key in keys[1:]:
        result = pc.or_(result, pc.is_valid(a[key]))
    return result


def _patch(column: pa.Array, values: dict[int, object]) -> pa.Array:
    """`column` with the rows in `values` replaced."""
    index = np.arange(len(column), dtype=np.int64)
    rows = np.fromiter(values.keys(), dtype=np.int64)
    index[rows] = len(column) + np.arange(len(rows))
    replacement = pa.array(list(values.values()), type=column.type)
    return pa.concat_arrays([column, replacement]).take(pa.array(index))


def _count(text: pa.Array) -> pa.Array:
    """Token counts from attribute text: integers (or decimals) ≥ 0; absent or malformed as 0."""
    try:
        numbers = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        numbers = pa.array([_number(value) for value in text.to_pylist()], pa.float64())
    return pc.cast(pc.max_element_wise(numbers.fill_null(0), 0), pa.uint64())


def _number(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


def _costs(prices: PriceTable, columns: dict, cached: pa.Array) -> pa.Array:
    """USD per call (null for unknown models, 0 for cached replays), priced once per distinct model."""
    models = pc.if_else(pc.equal(columns["ResponseModel"], ""), columns["RequestModel"], columns["ResponseModel"])
    encoded = models.dictionary_encode()
    per_model = [prices.price(model) for model in encoded.dictionary.to_pylist()]
    known = np.array([price is not None for price in per_model] + [False])
    codes = encoded.indices.to_numpy()
    rates = {
        field: np.array([getattr(price, field) if price else 0.0 for price in per_model] + [0.0])[codes]
        for field in ("input", "output", "cached_input", "cache_write_input")
    }
    inputs = columns["InputTokens"].to_numpy().astype(np.float64)
    reads = columns["CacheReadInputTokens"].to_numpy().astype(np.float64)
    writes = columns["CacheCreationInputTokens"].to_numpy().astype(np.float64)
    outputs = columns["OutputTokens"].to_numpy().astype(np.float64)
    cost = (
        np.maximum(inputs - reads - writes, 0) * rates["input"]
        + reads * rates["cached_input"]
        + writes * rates["cache_write_input"]
        + outputs * rates["output"]
    ) / 1_000_000
    is_cached = cached.to_numpy(zero_copy_only=False)
    cost[is_cached] = 0.0
    return pa.array(cost, mask=~(known[codes] | is_cached))
