"""The edit API and the replay cache document, over HTTP against a real collector and chDB."""

from __future__ import annotations

from tests.collector_api.conftest import Api

CHAT_REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "edited question"}]}


def test_text_edits_are_stored_latest_wins_and_shown_on_the_call(api: Api, run: dict) -> None:
    span = run["calls"][1]
    first = api.put(f"/api/v1/calls/{span}/output", {"text": "first"})
    assert first.status_code == 200, first.text
    assert first.json()["body"] == {"text": "first"} and first.json()["kind"] == "output"
    second = api.put(f"/api/v1/calls/{span[:10]}/output", {"text": "second"})  # a prefix works
    assert second.status_code == 200 and second.json()["span_id"] == span
    call = api.get(f"/api/v1/calls/{span}").json()
    assert call["edits"] == {"output": {"text": "second"}}
    assert [(e["kind"], e["body"], e["deleted"]) for e in call["edit_history"]] == [
        ("output", {"text": "first"}, False), ("output", {"text": "second"}, False)]
    edits = api.get(f"/api/v1/runs/{run['run_id'][:8]}/edits").json()["edits"]
    assert [(e["span_id"], e["kind"], e["body"]) for e in edits] == [(span, "output", {"text": "second"})]


def test_whole_request_edit_is_checked_against_the_sdk_type(api: Api, run: dict) -> None:
    span = run["calls"][0]
    good = api.put(f"/api/v1/calls/{span}/input", {"request": CHAT_REQUEST})
    assert good.status_code == 200, good.text
    bad = api.put(f"/api/v1/calls/{span}/input", {"request": {"model": "gpt-4o-mini"}})
    assert bad.status_code == 422 and "request.messages" in bad.json()["detail"]
    wrong_type = api.put(f"/api/v1/calls/{span}/output", {"response": {"id": "x", "object": "chat.completion",
                                                                        "created": "never", "model": "m", "choices": []}})
    assert wrong_type.status_code == 422 and "response.created" in wrong_type.json()["detail"]
    nested = api.put(f"/api/v1/calls/{span}/input", {"request": {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]}})
    assert nested.status_code == 422 and "request.messages.0.content.0" in nested.json()["detail"]
    assert api.put(f"/api/v1/calls/{span}/input", {"request": {"model": "m", "messages": "hi"}}).status_code == 422
    shape = api.put(f"/api/v1/calls/{span}/output", {"request": CHAT_REQUEST})
    assert shape.status_code == 422 and "'response'" in shape.json()["detail"]
    assert api.get(f"/api/v1/calls/{span}").json()["edits"]["input"] == {"request": CHAT_REQUEST}


def test_bad_edits_get_a_4xx_with_a_message(api: Api) -> None:
    assert api.put("/api/v1/calls/00000000000000ff/output", {"text": "x"}).status_code == 404
    big = api.put("/api/v1/calls/00000000000000ff/output", {"text": "x" * (5 << 20)})
    assert big.status_code == 413 and "at most" in big.json()["detail"]
    assert api.put("/api/v1/runs/nope/edits", {}).status_code == 405


def test_cache_document_and_delete(api: Api) -> None:
    recorded = api.record(calls=2)
    a, b = recorded["calls"]
    assert api.put(f"/api/v1/calls/{b}/output", {"text": "changed"}).status_code == 200
    document = api.get(f"/api/v1/runs/{recorded['run_id'][:12]}/cache").json()
    assert document["run"]["run_id"] == recorded["run_id"] and document["run"]["replay_of"] is None
    assert [c["span_id"] for c in document["calls"]] == [a, b]
    assert document["calls"][0]["provider"] == "openai" and document["calls"][0]["operation"] == "chat"
    assert document["calls"][0]["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"
    assert document["calls"][0]["attributes"]["ao.call.key"] == document["calls"][0]["call_key"]
    assert [(e["span_id"], e["body"]) for e in document["edits"]] == [(b, {"text": "changed"})]
    deleted = api.delete(f"/api/v1/runs/{recorded['run_id']}/edits")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": 1}
    assert api.get(f"/api/v1/runs/{recorded['run_id']}/cache").json()["edits"] == []
    assert api.get("/api/v1/runs/ffffffffffffffffffffffffffffffff/cache").status_code == 404


def test_ambiguous_prefix_is_409_with_the_matches(api: Api) -> None:
    first, second = "abcd" + "0" * 28, "abcd" + "1" * 28
    api.record(calls=1, run_id=first)
    api.record(calls=1, run_id=second)
    for path in ("/api/v1/runs/abcd", "/api/v1/runs/abcd/cache", "/api/v1/runs/abcd/graph", "/api/v1/runs/abcd/edits"):
        ambiguous = api.get(path)
        assert ambiguous.status_code == 409, path
        assert first in ambiguous.json()["detail"] and second in ambiguous.json()["detail"]
    assert api.get("/api/v1/runs/abcd1").json()["run_id"] == second


def test_a_call_is_found_by_its_id_or_a_unique_prefix(api: Api, run: dict) -> None:
    call = run["calls"][0]
    assert api.get(f"/api/v1/calls/{call}").json()["id"] == call
    assert api.get(f"/api/v1/calls/{call[:10]}").json()["id"] == call
    other = ("1" if call[0] == "0" else "0") + call[1:]  # a full-length id no call has
    assert api.get(f"/api/v1/calls/{other}").status_code == 404
    assert api.get(f"/api/v1/calls/{call}0").status_code == 404
