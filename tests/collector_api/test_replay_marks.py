"""Graph marks and the diff of a replay: spans of a replayed run as the instrumentation marks them."""

from __future__ import annotations

import uuid

import requests

from tests.collector_api.conftest import Api
from tests.collector_service.helpers import llm_request, span_ids
from tests.support.otlp_values import kv


def test_graph_nodes_and_diff_of_a_replay(api: Api, run: dict) -> None:
    a, b, c = run["calls"]
    replay_id = uuid.uuid4().hex
    request = llm_request(replay_id, calls=3)
    spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    spans[0].attributes.append(kv("ao.run.replay_of", run["run_id"]))
    spans[1].attributes.extend([kv("ao.call.cached", True), kv("ao.call.original_span_id", a)])
    spans[2].attributes.extend([kv("ao.call.cached", True), kv("ao.call.edited", "output"),
                                kv("ao.call.original_span_id", b)])
    for span in spans[3:]:  # went live, with another answer than the recorded one
        span.attributes.append(kv("ao.call.original_span_id", c))
        for item in span.attributes:
            if item.key == "gen_ai.output.messages":
                item.value.string_value = item.value.string_value.replace("answer", "other answer")
    answer = requests.post(f"http://127.0.0.1:{api.service.ports['http']}/v1/traces", data=request.SerializeToString(),
                           headers={"Content-Type": "application/x-protobuf"}, timeout=10)
    assert answer.status_code == 200
    x, y, z = span_ids(request)[1:]
    api.wait_for_run(replay_id, calls=3)

    nodes = {n["id"]: n for n in api.get(f"/api/v1/runs/{replay_id}/graph").json()["nodes"]}
    assert (nodes[x]["cached"], nodes[x]["edited"], nodes[x]["original_span_id"]) == (True, None, a)
    assert (nodes[y]["cached"], nodes[y]["edited"], nodes[y]["original_span_id"]) == (True, "output", b)
    assert (nodes[z]["cached"], nodes[z]["edited"], nodes[z]["original_span_id"]) == (False, None, c)
    plain = api.get(f"/api/v1/runs/{run['run_id']}/graph").json()["nodes"]
    assert all(n["edited"] is None and n["original_span_id"] is None for n in plain)

    diff = api.get(f"/api/v1/runs/{replay_id[:12]}/diff").json()
    assert diff["run_id"] == replay_id and diff["replay_of"] == run["run_id"]
    assert [(d["span_id"], d["original_span_id"], d["status"], d["output_differs"]) for d in diff["calls"]] == [
        (x, a, "cached", False), (y, b, "edited", False), (z, c, "live", True)]
    assert {d["status"] for d in api.get(f"/api/v1/runs/{run['run_id']}/diff").json()["calls"]} == {"new"}
