"""The decode query: length-delimited OTLP requests in a file → one Arrow row per span, in ClickHouse.

Each row has the `otel_traces` columns (attribute values as the exporter's text: strings as they are,
booleans `true`/`false`, numbers in decimal, bytes in base64, arrays and key-value lists as JSON).

Short-circuit evaluation is off: the value texts are cheap to compute for every value, and ClickHouse's
masking of lambda arguments for short-circuit `if`/`multiIf` costs more than it saves (~5 us per span).
"""

from __future__ import annotations

from typing import Sequence

from ao_collector.model.otlp_proto import MESSAGE, PROTO, STRUCTURE


def _scalar_json(x: str) -> str:
    """JSON of a decoded scalar value tuple `x`."""
    return (
        f"multiIf({x}.kind = 'string_value', toJSONString({x}.string_value), {x}.kind = 'bool_value', "
        f"if({x}.bool_value, 'true', 'false'), {x}.kind = 'int_value', toString({x}.int_value), "
        f"{x}.kind = 'double_value', toString({x}.double_value), {x}.kind = 'bytes_value', "
        f"toJSONString(base64Encode({x}.bytes_value)), 'null')"
    )


def _text(v: str) -> str:
    """The exporter's text of a decoded value tuple `v` (strings first: the common case short-circuits)."""
    return (
        f"if({v}.kind = 'string_value', {v}.string_value, multiIf("
        f"{v}.kind = 'bool_value', if({v}.bool_value, 'true', 'false'), "
        f"{v}.kind = 'int_value', toString({v}.int_value), {v}.kind = 'double_value', toString({v}.double_value), "
        f"{v}.kind = 'bytes_value', base64Encode({v}.bytes_value), "
        f"{v}.kind = 'array_value', concat('[', arrayStringConcat(arrayMap(x -> {_scalar_json('x')}, {v}.array_value.values), ','), ']'), "
        f"{v}.kind = 'kvlist_value', concat('{{', arrayStringConcat(arrayMap(x -> concat(toJSONString(x.key), ':', "
        f"{_scalar_json('x.value')}), {v}.kvlist_value.values), ','), '}}'), ''))"
    )


def _map(pairs: str) -> str:
    return f"CAST((arrayMap(p -> p.key, {pairs}), arrayMap(p -> {_text('p.value')}, {pairs})), 'Map(String, String)')"


_COLUMNS = f"""
    fromUnixTimestamp64Nano(toInt64(s.start_time_unix_nano), 'UTC') AS Timestamp,
    lower(hex(s.trace_id)) AS TraceId,
    lower(hex(s.span_id)) AS SpanId,
    lower(hex(s.parent_span_id)) AS ParentSpanId,
    s.trace_state AS TraceState,
    s.name AS SpanName,
    if(s.kind BETWEEN 1 AND 5, ['Internal', 'Server', 'Client', 'Producer', 'Consumer'][s.kind], 'Unspecified') AS SpanKind,
    ResourceAttributes['service.name'] AS ServiceName,
    {_map('rs.resource.attributes')} AS ResourceAttributes,
    ss.scope.name AS ScopeName,
    ss.scope.version AS ScopeVersion,
    {_map('s.attributes')} AS SpanAttributes,
    toUInt64(greatest(toInt64(s.end_time_unix_nano) - toInt64(s.start_time_unix_nano), 0)) AS Duration,
    if(s.status.code BETWEEN 1 AND 2, ['Ok', 'Error'][s.status.code], 'Unset') AS StatusCode,
    s.status.message AS StatusMessage,
    arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano), 'UTC'), s.events) AS `Events.Timestamp`,
    arrayMap(e -> e.name, s.events) AS `Events.Name`,
    arrayMap(e -> {_map('e.attributes')}, s.events) AS `Events.Attributes`,
    arrayMap(l -> lower(hex(l.trace_id)), s.links) AS `Links.TraceId`,
    arrayMap(l -> lower(hex(l.span_id)), s.links) AS `Links.SpanId`,
    arrayMap(l -> l.trace_state, s.links) AS `Links.TraceState`,
    arrayMap(l -> {_map('l.attributes')}, s.links) AS `Links.Attributes`"""


_SPANS = "ARRAY JOIN resource_spans AS rs ARRAY JOIN rs.scope_spans AS ss ARRAY JOIN ss.spans AS s"
_SETTINGS = "input_format_protobuf_oneof_presence = 1, short_circuit_function_evaluation = 'disable'"


def decode_select(source: str) -> str:
    """The span rows of the requests read by `source` (a table function reading `STRUCTURE` as Protobuf)."""
    return f"SELECT {_COLUMNS}\nFROM {source}\n{_SPANS}"


def decode_query(data_file: str, proto_file: str) -> str:
    """The query reading length-delimited requests from `data_file` into span rows."""
    source = f"file('{_escape(data_file)}', 'Protobuf', '{_escape(STRUCTURE)}')"
    return f"{decode_select(source)}\nSETTINGS format_schema = '{_escape(proto_file)}:{MESSAGE}', {_SETTINGS}"


def insert_query(table: str, columns: Sequence[str]) -> str:
    """`INSERT INTO table` of the span rows of the length-delimited requests sent as the statement's data
    (`FORMAT Protobuf`): a ClickHouse server decodes them itself, with `SERVER_DECODE_SETTINGS`."""
    names = ", ".join(f"`{name}`" for name in columns)
    rows = decode_select(f"input('{_escape(STRUCTURE)}')")
    return f"INSERT INTO {table} ({names}) SELECT {names} FROM ({rows}) FORMAT Protobuf"


# The settings of `insert_query`: the request schema given inline (`format_schema_source = 'string'`, a recent
# setting: checked on chDB 26.9; the deploy files run ClickHouse 25.8, not run here), and those of `decode_query`.
SERVER_DECODE_SETTINGS = {"format_schema": PROTO, "format_schema_source": "string", "format_schema_message_name": MESSAGE,
                          "input_format_protobuf_oneof_presence": 1, "short_circuit_function_evaluation": "disable"}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
