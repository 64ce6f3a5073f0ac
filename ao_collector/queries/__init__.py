"""The read side: runs, a run's dataflow graph, calls, and edits — plain dicts and lists ready for JSON
(the graph also as JSON encoded by ClickHouse)."""

from ao_collector.queries.calls import call_summaries, get_call
from ao_collector.queries.edits import delete_edits, get_edits, put_edit
from ao_collector.queries.graph import EMPTY_GRAPH, run_graph, run_graph_json
from ao_collector.queries.runs import get_run, list_runs

__all__ = [
    "EMPTY_GRAPH", "call_summaries", "delete_edits", "get_call", "get_edits", "get_run", "list_runs", "put_edit",
    "run_graph", "run_graph_json",
]
