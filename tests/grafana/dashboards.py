"""The dashboards of `grafana/dashboards/` as the tests read them: panels, targets, variables, and what
each panel type needs from a query's result (the data frame Grafana builds from it)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tests.collector_service.helpers import REPO

GRAFANA = REPO / "grafana"
DASHBOARD_DIR = GRAFANA / "dashboards"
CLICKHOUSE = "grafana-clickhouse-datasource"

# Node Graph panel field names (Grafana docs: "Node graph panel", data API).
NODE_FIELDS = {"id", "title", "subtitle", "mainstat", "secondarystat", "color", "icon", "noderadius", "highlighted"}
EDGE_FIELDS = {"id", "source", "target", "mainstat", "secondarystat", "thickness", "color", "highlighted", "strokedasharray"}
# Fields of Grafana's trace data frame the trace view reads.
TRACE_FIELDS = {"traceID", "spanID", "parentSpanID", "serviceName", "operationName", "startTime", "duration", "tags", "serviceTags"}


def load_dashboards() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(DASHBOARD_DIR.glob("*.json"))}


@dataclass(frozen=True)
class Target:
    dashboard: str
    panel: dict[str, Any]
    target: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.dashboard}: {self.panel['title']} [{self.target['refId']}]"

    @property
    def is_clickhouse(self) -> bool:
        return self.target["datasource"]["type"] == CLICKHOUSE


def targets(dashboard: str, document: dict[str, Any]) -> Iterator[Target]:
    for panel in document["panels"]:
        for target in panel.get("targets", []):
            yield Target(dashboard, panel, target)


_NUMERIC = re.compile(r"^(Nullable\()?(U?Int\d+|Float\d+|Decimal|Bool)")


@dataclass(frozen=True)
class Frame:
    """A query's result as Grafana gets it: column names with their ClickHouse types, and the rows."""

    types: dict[str, str]
    rows: list[dict[str, Any]]

    def numeric(self, name: str) -> bool:
        return bool(_NUMERIC.match(self.types[name]))

    def time(self, name: str) -> bool:
        return self.types.get(name, "").removeprefix("Nullable(").startswith("DateTime")


def frame_problems(target: Target, frame: Frame) -> list[str]:
    """What is missing from `frame` for the target's panel to draw it (empty when nothing)."""
    panel_type, fmt = target.panel["type"], target.target["format"]
    names = list(frame.types)
    problems: list[str] = []
    if panel_type == "nodeGraph":
        role = target.target["refId"]
        required, allowed = ({"id", "title"}, NODE_FIELDS) if role == "nodes" else ({"id", "source", "target"}, EDGE_FIELDS)
        problems += [f"no {name!r} field" for name in sorted(required - set(names))]
        for name in names:
            if name.lower() not in allowed and not name.startswith(("detail__", "arc__")):
                problems.append(f"{name!r} is not a Node Graph {role} field")
        ids = [row["id"] for row in frame.rows]
        if len(set(ids)) != len(ids):
            problems.append(f"{role} ids repeat")
    elif fmt == 0:  # time series
        if not frame.time("time"):
            problems.append("no DateTime column named time")
        if not any(frame.numeric(name) for name in names if name != "time"):
            problems.append("no numeric value column")
    elif fmt == 3:  # traces
        problems += [f"no {name!r} field for the trace view" for name in sorted(TRACE_FIELDS - set(names))]
        problems += [f"{name} is not a number of milliseconds" for name in ("startTime", "duration")
                     if name in frame.types and not frame.numeric(name)]
    elif panel_type == "stat":
        if len(frame.rows) != 1:
            problems.append(f"a stat query gives one row, not {len(frame.rows)}")
        problems += [f"{name!r} is not numeric" for name in names if not frame.numeric(name)]
    elif not names:
        problems.append("no columns")
    return problems
