"""Query text as the Grafana ClickHouse plugin (grafana-clickhouse-datasource v4) sends it to ClickHouse.

In the browser, `applyTemplateVariables` first rewrites `$__conditionalAll(condition, $var)` to `1=1`
when the variable is All (`$__all`) or empty, else to the condition; then Grafana's template service
replaces `$var` / `${var}` with the plugin's formatter (a multi-value selection becomes `'a','b'`, a
single value is inserted as is). On the server, the plugin's Go macros (pkg/macros/macros.go, through
grafana/sqlds) expand `$__timeFilter(c)` and friends with the dashboard's time range and interval; sqlds
ends a macro's arguments at the first `)`, so arguments must be plain columns or aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

ALL = "$__all"
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_MACRO = re.compile(r"\$__(\w+)")


@dataclass
class Variable:
    """A dashboard variable's selection: `current` is a value, a list of values, or `ALL` (then `options`)."""

    current: str | list[str]
    options: list[str] = field(default_factory=list)

    def values(self) -> str | list[str]:
        return self.options if self.current == ALL else self.current


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    interval_seconds: float = 60.0


def _arguments(text: str, open_paren: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose `(` is at `open_paren`, and the index after `)`."""
    depth, start, args, quote = 0, open_paren + 1, [], ""
    for index in range(open_paren, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote and text[index - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(text[start:index])
                return [arg.strip() for arg in args], index + 1
        elif char == "," and depth == 1:
            args.append(text[start:index])
            start = index + 1
    raise ValueError(f"unbalanced parentheses after {text[:open_paren]!r}")


def conditional_all(sql: str, variables: dict[str, Variable]) -> str:
    """`$__conditionalAll(condition, $var)` → `1=1` for All or empty, else `condition` (browser side)."""
    marker = "$__conditionalAll("
    while (index := sql.rfind(marker)) != -1:
        args, end = _arguments(sql, index + len(marker) - 1)
        if len(args) != 2:
            raise ValueError(f"$__conditionalAll takes 2 arguments, got {args}")
        variable = variables.get(args[1].lstrip("$").strip("{}"))
        current = variable.current if variable else ""
        phrase = "1=1" if current in ("", ALL) or current == [] else args[0]
        sql = sql[:index] + phrase + sql[end:]
    return sql


def _format(value: str | list[str]) -> str:
    """The plugin's formatter for template values."""
    if isinstance(value, list):
        return "'" + "','".join(value) + "'"
    return value


def replace_variables(sql: str, variables: dict[str, Variable]) -> str:
    """Grafana's template replacement of `$var` and `${var}` (names starting with `__` are macros)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name.startswith("__"):
            return match.group(0)
        if name not in variables:
            raise KeyError(f"query uses ${name}, which the dashboard does not define")
        return _format(variables[name].values())

    return _VARIABLE.sub(replace, sql)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def backend_macros(sql: str, time: TimeRange) -> str:
    """The plugin's server-side macros, expanded as its Go code does."""
    start, end = time.start, time.end
    interval = max(int(time.interval_seconds), 1)
    out, position = [], 0
    for match in _MACRO.finditer(sql):
        if match.start() < position:
            continue
        name = match.group(1)
        after = match.end()
        args: list[str] = []
        if after < len(sql) and sql[after] == "(":
            close = sql.index(")", after)
            if "(" in sql[after + 1 : close]:
                raise ValueError(f"$__{name}: an argument with parentheses; the plugin's macro parser "
                                 "(sqlds) ends the arguments at the first ')', give a column or an alias")
            args, after = [arg.strip() for arg in sql[after + 1 : close].split(",")], close + 1
        if name == "timeFilter":
            (column,) = args
            text = f"{column} >= toDateTime({_seconds(start)}) AND {column} <= toDateTime({_seconds(end)})"
        elif name == "timeFilter_ms":
            (column,) = args
            text = (f"{column} >= fromUnixTimestamp64Milli({_millis(start)}) AND "
                    f"{column} <= fromUnixTimestamp64Milli({_millis(end)})")
        elif name == "dateFilter":
            (column,) = args
            text = f"{column} >= toDate('{start:%Y-%m-%d}') AND {column} <= toDate('{end:%Y-%m-%d}')"
        elif name == "fromTime":
            text = f"toDateTime({_seconds(start)})"
        elif name == "toTime":
            text = f"toDateTime({_seconds(end)})"
        elif name == "fromTime_ms":
            text = f"fromUnixTimestamp64Milli({_millis(start)})"
        elif name == "toTime_ms":
            text = f"fromUnixTimestamp64Milli({_millis(end)})"
        elif name == "timeInterval":
            (column,) = args
            text = f"toStartOfInterval(toDateTime({column}), INTERVAL {interval} second)"
        elif name == "interval_s":
            text = str(interval)
        else:
            raise ValueError(f"unknown macro $__{name}")
        out.append(sql[position : match.start()] + text)
        position = after
    out.append(sql[position:])
    return "".join(out)


def expand(sql: str, variables: dict[str, Variable], time: TimeRange) -> str:
    """The SQL the plugin sends for a panel target or a variable query."""
    return backend_macros(replace_variables(conditional_all(sql, variables), variables), time)
