"""Every dashboard in grafana/: its structure (importable by hand, data sources provisioned, links to
dashboards and variables that exist), and every ClickHouse query of its panels and variables expanded as
the plugin does and run against chDB filled with real recorded runs, giving the fields its panel needs
and the same graph as the collector's API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ao_collector import queries
from tests.grafana.conftest import Recorded
from tests.grafana.dashboards import GRAFANA, Frame, frame_problems, load_dashboards, targets
from tests.grafana.plugin_macros import ALL, TimeRange, Variable, expand

DASHBOARDS = load_dashboards()
DATASOURCES = {
    source["uid"]: source
    for path in sorted((GRAFANA / "provisioning" / "datasources").glob("*.yaml"))
    for source in yaml.safe_load(path.read_text())["datasources"]
}


def last_day() -> TimeRange:
    """The dashboards' time range, the day up to now, taken when a query runs (a range taken at import missed
    the runs recorded more than five minutes after the suite was collected)."""
    now = datetime.now(timezone.utc)
    return TimeRange(now - timedelta(days=1), now + timedelta(minutes=5), interval_seconds=60)


def test_the_four_dashboards_exist_with_distinct_uids() -> None:
    assert set(DASHBOARDS) == {"runs", "run-dataflow", "llm-usage", "collector"}
    uids = [document["uid"] for document in DASHBOARDS.values()]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_structure(name: str) -> None:
    document = DASHBOARDS[name]
    assert document["title"] and document["schemaVersion"] >= 36 and "id" not in document  # importable anywhere
    panels = document["panels"]
    assert panels and len({p["id"] for p in panels}) == len(panels)
    variables = {v["name"]: v for v in document["templating"]["list"]}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["datasource"]["uid"] in DATASOURCES, f"{panel['title']}: data source not provisioned"
        assert panel["datasource"]["type"] == DATASOURCES[panel["datasource"]["uid"]]["type"]
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(set(refs)) == len(refs)
        if panel["type"] == "nodeGraph":
            assert set(refs) == {"nodes", "edges"}, "the Node Graph panel recognises refIds nodes and edges"
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            if target["datasource"]["type"] == "grafana-clickhouse-datasource":
                expected = {"timeseries": 0, "traces": 3}.get(panel["type"], 1)
                assert target["format"] == expected and ";" not in target["rawSql"], panel["title"]
            else:
                assert target["expr"]
        for link in _links(panel):
            _check_link(link["url"], variables)


def _links(panel: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(panel.get("links", []))
    for override in panel["fieldConfig"].get("overrides", []):
        for prop in override["properties"]:
            if prop["id"] == "links":
                found += prop["value"]
    return found


def _check_link(url: str, variables: dict[str, Any]) -> None:
    """A link to a dashboard names one in grafana/dashboards and only its variables; `${name}` are defined here."""
    for name in re.findall(r"\$\{(\w+)", url):
        assert name.startswith("__") or name in variables, f"{url}: ${name} undefined"
    match = re.match(r"/d/([\w-]+)/", url)
    if match:
        target = next((d for d in DASHBOARDS.values() if d["uid"] == match.group(1)), None)
        assert target is not None, f"{url}: no dashboard with uid {match.group(1)}"
        defined = {v["name"] for v in target["templating"]["list"]}
        for name in re.findall(r"var-(\w+)=", url):
            assert name in defined, f"{url}: the dashboard has no variable {name}"
    else:
        assert url.startswith("${ao_url}/"), url


def _resolve(document: dict[str, Any], recorded: Recorded, chosen: dict[str, str | list[str]]) -> dict[str, Variable]:
    """Variables in dashboard order, as Grafana resolves them: query variables run (expanded) on the store."""
    resolved: dict[str, Variable] = {}
    for spec in document["templating"]["list"]:
        name = spec["name"]
        if spec["type"] in ("constant", "textbox"):
            resolved[name] = Variable(spec["query"])
            continue
        sql = expand(spec["query"], resolved, last_day())
        rows = recorded.store.query(sql)
        options = [str(next(iter(row.values()))) for row in rows]
        if name in chosen:
            current = chosen[name]
            assert all(value in options for value in ([current] if isinstance(current, str) else current)), (name, options)
        elif spec.get("multi"):
            current = ALL
        else:
            assert options, f"variable {name} has no values"
            current = options[0]
        resolved[name] = Variable(current, options)
    return resolved


def _run(recorded: Recorded, sql: str) -> Frame:
    """Run `sql` on the store: its column types (as the plugin's native client sees them) and rows."""
    types = {row["name"]: row["type"] for row in recorded.store.query(f"DESCRIBE ({sql})")}
    return Frame(types, recorded.store.query(sql))


def _run_panels(recorded: Recorded, dashboard: str, chosen: dict[str, Any], *, all_rows: bool) -> dict[str, list[dict[str, Any]]]:
    """Every ClickHouse target of the dashboard, run; {"panel title [refId]": result}."""
    document = DASHBOARDS[dashboard]
    variables = _resolve(document, recorded, chosen)
    results: dict[str, list[dict[str, Any]]] = {}
    for target in targets(dashboard, document):
        if not target.is_clickhouse:
            continue
        sql = expand(target.target["rawSql"], variables, last_day())
        assert "$" not in sql.replace("$$", ""), f"{target.name}: unexpanded {sql}"
        frame = _run(recorded, sql)
        problems = frame_problems(target, frame)
        assert not problems, f"{target.name}: {problems}\n{sql}"
        if all_rows:
            assert frame.rows, f"{target.name}: no rows from the recorded data\n{sql}"
        results[f"{target.panel['title']} [{target.target['refId']}]"] = frame.rows
    return results


def test_runs_dashboard(recorded: Recorded) -> None:
    everything = _run_panels(recorded, "runs", {}, all_rows=True)
    runs = {row["run_id"]: row for row in everything["Runs [A]"]}
    assert {recorded.run_id, recorded.replay_id, recorded.failing_id, recorded.third_party_trace} <= set(runs)
    assert runs[recorded.replay_id]["replay_of"] == recorded.run_id
    assert runs[recorded.failing_id]["errors"] == 1 and runs[recorded.run_id]["errors"] == 0
    for run_id, row in runs.items():
        api = queries.get_run(recorded.store, run_id)
        assert (row["calls"], row["status"], row["input_tokens"]) == (api["call_count"], api["status"], api["input_tokens"])
    totals = everything["Totals [A]"][0]
    assert totals["runs"] == len(runs) and totals["llm_calls"] == sum(r["calls"] for r in runs.values())
    edges = everything["Replay lineage [edges]"]
    assert [(e["source"], e["target"]) for e in edges] == [(recorded.run_id, recorded.replay_id)]
    assert {n["id"] for n in everything["Replay lineage [nodes]"]} == {recorded.run_id, recorded.replay_id}
    over_time = everything["Runs over time, by status [A]"]
    assert sum(r["ok"] + r["error"] + r["running"] for r in over_time) == len(runs)

    third_party = _run_panels(recorded, "runs", {"service": ["third-party-agent"]}, all_rows=False)
    assert [row["run_id"] for row in third_party["Runs [A]"]] == [recorded.third_party_trace]
    assert third_party["Replay lineage [nodes]"] == []


@pytest.mark.parametrize("which", ["run_id", "replay_id", "failing_id", "third_party_trace"])
def test_run_dataflow_dashboard_matches_the_api_graph(recorded: Recorded, which: str) -> None:
    run_id = getattr(recorded, which)
    results = _run_panels(recorded, "run-dataflow", {"run": run_id}, all_rows=True)
    graph = queries.run_graph(recorded.store, run_id)
    nodes = results["Dataflow [nodes]"]
    edges = results["Dataflow [edges]"]
    assert {n["id"] for n in nodes} == {n["id"] for n in graph["nodes"]}
    assert sorted((e["source"], e["target"], e["mainstat"]) for e in edges) == sorted(
        (e["source"], e["target"], e["via"]) for e in graph["edges"])
    node_ids = {n["id"] for n in nodes}
    assert all(e["source"] in node_ids and e["target"] in node_ids for e in edges)
    calls = results["Calls [A]"]
    api_calls = {c["id"]: c for c in graph["nodes"] if not c.get("external")}
    assert {c["span_id"] for c in calls} == set(api_calls)
    for call in calls:
        assert call["mark"] == ("cached" if api_calls[call["span_id"]]["cached"] else "live")
    stats = results["This run [A]"][0]
    assert stats["calls"] == len(calls) and stats["cached"] + stats["edited"] + stats["live"] == len(calls)
    assert stats["errors"] == (1 if which == "failing_id" else 0)
    spans = results["Trace [A]"]
    trace_id = spans[0]["traceID"]
    assert {s["traceID"] for s in spans} == {trace_id}
    stored = recorded.store.query(f"SELECT count() AS n FROM ao.otel_traces WHERE TraceId = '{trace_id}'")
    assert len(spans) == stored[0]["n"]
    if which != "third_party_trace":  # ao's dataflow links are span links: the trace view's references
        references = [dict(ref) for span in spans for ref in span["references"]]  # Map values come as pairs
        linked = {(ref["traceID"], ref["spanID"]) for ref in references}
        assert {(trace_id, e["source"]) for e in edges} <= linked


@pytest.mark.parametrize(
    "chosen",
    [{}, {"service": ["third-party-agent"]}, {"provider": ["openai"], "model": ["gpt-4o-mini"]}, {"service": ["research-agent"]}],
    ids=["all", "third-party", "openai-gpt-4o-mini", "research-agent"],
)
def test_llm_usage_dashboard(recorded: Recorded, chosen: dict[str, list[str]]) -> None:
    results = _run_panels(recorded, "llm-usage", chosen, all_rows=not chosen)
    where = " AND ".join(
        f"{column} IN ({', '.join(repr(v) for v in chosen[name])})"
        for name, column in (("service", "ServiceName"), ("provider", "Provider"), ("model", "RequestModel")) if name in chosen
    ) or "1"
    expected = recorded.store.query(
        f"SELECT count() AS calls, sum(CostUsd) AS cost, countIf(StatusCode = 'Error') AS errors FROM ao.ao_llm_calls FINAL WHERE {where}")[0]
    totals = results["Totals [A]"][0]
    assert totals["calls"] == expected["calls"] > 0
    assert totals["cost_usd"] == pytest.approx(expected["cost"])
    assert totals["error_rate"] == pytest.approx(expected["errors"] / expected["calls"])
    by_model = results["By model, provider and service [A]"]
    assert sum(row["calls"] for row in by_model) == expected["calls"]
    if chosen.get("service") == ["third-party-agent"]:
        assert {row["provider"] for row in by_model} == {"openai", "anthropic"}
    # ao's GenAI client metrics (OTLP, otel_metrics_histogram): one operation per call ao recorded itself,
    # and the tokens its spans report.
    ours = recorded.store.query(
        "SELECT count() AS calls, sum(InputTokens) AS input, sum(OutputTokens) AS output FROM ao.ao_llm_calls FINAL "
        f"WHERE {where} AND Source = 'ao'")[0]  # fmt: skip
    metrics = results["GenAI client metrics (OTLP) [A]"]
    assert sum(row["operations"] for row in metrics) == ours["calls"]
    assert sum(row["input_tokens"] for row in metrics) == (ours["input"] or 0)
    assert sum(row["output_tokens"] for row in metrics) == (ours["output"] or 0)
    # Streamed calls (the example agent's summary): time to first chunk from the spans and the metric.
    streamed = results["Streamed calls: time to first chunk and duration [A]"]
    if not chosen or chosen.get("service") == ["research-agent"]:
        assert streamed and all(0 < row["first_chunk_p50"] <= row["duration_p90"] for row in streamed)
        timed = [row for row in metrics if row["mean_time_to_first_chunk_s"] is not None]
        assert {row["model"] for row in timed} == {"gpt-4o"}
        assert all(row["mean_time_to_first_chunk_s"] > 0 for row in timed)


def test_collector_dashboard_uses_metrics_the_collector_exports(recorded: Recorded) -> None:
    exported: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(recorded.metrics):
        for sample in family.samples:
            exported.setdefault(sample.name, set()).update(sample.labels)
    used = 0
    for target in targets("collector", DASHBOARDS["collector"]):
        expr = target.target["expr"]
        for metric in re.findall(r"\b(ao_collector_\w+)", expr):
            assert metric in exported, f"{target.name}: {metric} is not exported"
            used += 1
        for labels in re.findall(r"by \(([^)]*)\)", expr):
            for label in (part.strip() for part in labels.split(",")):
                assert label == "instance" or any(label in names for names in exported.values()), f"{target.name}: label {label}"
    assert used >= 10
