"""Record, edit and replay end to end: real launcher processes, a real collector process, the real SDKs
against the fake LLM server.

The program makes four calls: a colour (1), its description (2, fed by 1), a city (3), and a comparison of
the description and the city (4, fed by 2 and 3). Each flavour runs it over another SDK surface.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_llm import FakeLLM

from tests.collector_service.helpers import CollectorProcess
from tests.replay.helpers import Agent, summary

PROGRAM = """
    import asyncio, sys
    import anthropic, openai

    FLAVOUR = sys.argv[1]
    MODEL = {"anthropic": "claude-sonnet-4-5", "anthropic-stream": "claude-sonnet-4-5"}.get(FLAVOUR, "gpt-4o-mini")


    async def ask_async(prompt):
        client = openai.AsyncOpenAI(max_retries=0)
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": prompt}], stream=True
        )
        parts = []
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)


    def ask(prompt):
        if FLAVOUR == "openai":
            reply = openai.OpenAI(max_retries=0).chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": prompt}]
            )
            return reply.choices[0].message.content
        if FLAVOUR == "openai-responses":
            return openai.OpenAI(max_retries=0).responses.create(model=MODEL, input=prompt).output_text
        if FLAVOUR == "openai-async-stream":
            return asyncio.run(ask_async(prompt))
        client = anthropic.Anthropic(max_retries=0)
        if FLAVOUR == "anthropic":
            reply = client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": prompt}])
            return reply.content[0].text
        with client.messages.stream(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": prompt}]) as stream:
            return "".join(stream.text_stream)


    colour = ask("Name a colour")
    description = ask("Describe " + colour)
    city = ask("Name a city")
    comparison = ask(f"Compare {description} with {city}")
    print([colour, description, city, comparison])
"""
FLAVOURS = ["openai", "openai-responses", "openai-async-stream", "anthropic", "anthropic-stream"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_replay_without_edits_serves_every_call_from_the_recording(
    tmp_path: Path, collector: CollectorProcess, llm: FakeLLM, flavour: str
) -> None:
    agent = Agent(tmp_path, collector, llm, flavour, PROGRAM, calls=4)
    recorded, first = agent.run()
    assert len(llm.requests) == 4
    replayed, again = agent.run("--replay", recorded[:12], command=False)
    assert len(llm.requests) == 4  # no request reached the LLM
    assert again.stdout == first.stdout
    assert summary(again) == "4 calls cached, 0 edited, 0 live, 0 new"
    calls = agent.calls(replayed)
    assert [c["cached"] for c in calls] == [True] * 4
    assert [c["original_span_id"] for c in calls] == [c["id"] for c in agent.calls(recorded)]
    assert not {c["id"] for c in calls} & {c["original_span_id"] for c in calls}  # seeding repeats no span id
    run = agent.api("GET", f"/api/v1/runs/{replayed}")
    assert (run.get("run") or run)["replay_of"] == recorded


@pytest.mark.parametrize("flavour", ["openai", "anthropic-stream"])
def test_an_edited_output_reaches_only_its_descendants_which_go_live(
    tmp_path: Path, collector: CollectorProcess, llm: FakeLLM, flavour: str
) -> None:
    agent = Agent(tmp_path, collector, llm, flavour, PROGRAM, calls=4)
    recorded, _ = agent.run()
    colour = agent.calls(recorded)[0]
    agent.api("PUT", f"/api/v1/calls/{colour['id']}/output", json={"text": "ultraviolet"})
    before = len(llm.requests)

    replayed, done = agent.run("--replay", recorded, command=False)

    sent = llm.requests[before:]
    assert [r.last_user_text for r in sent] == [
        "Describe ultraviolet", "Compare about Describe ultraviolet with about Name a city"
    ]
    assert eval(done.stdout)[0] == "ultraviolet"  # the program got the edit
    assert summary(done) == "1 calls cached, 1 edited, 0 live, 2 new"
    marks = [(c["cached"], c["edited"]) for c in agent.calls(replayed)]
    assert marks == [(True, "output"), (False, None), (True, None), (False, None)]
    diff = agent.api("GET", f"/api/v1/runs/{replayed}/diff")
    assert diff["replay_of"] == recorded
    assert [c["status"] for c in diff["calls"]] == ["edited", "new", "cached", "new"]


@pytest.mark.parametrize("flavour", ["openai-async-stream", "anthropic"])
def test_an_edited_input_is_sent_live_and_its_descendants_follow(
    tmp_path: Path, collector: CollectorProcess, llm: FakeLLM, flavour: str
) -> None:
    agent = Agent(tmp_path, collector, llm, flavour, PROGRAM, calls=4)
    recorded, _ = agent.run()
    city = agent.calls(recorded)[2]
    agent.api("PUT", f"/api/v1/calls/{city['id']}/input", json={"text": "Name a river"})
    before = len(llm.requests)

    replayed, done = agent.run("--replay", recorded, command=False)

    sent = [r.last_user_text for r in llm.requests[before:]]
    assert sent[0] == "Name a river" and sent[1].startswith("Compare ") and sent[1].endswith("with about Name a river")
    assert len(sent) == 2
    assert summary(done) == "2 calls cached, 1 edited, 0 live, 1 new"
    assert [c["edited"] for c in agent.calls(replayed)] == [None, None, "input", None]
    assert agent.api("DELETE", f"/api/v1/runs/{recorded}/edits")["deleted"] == 1



@pytest.mark.parametrize("flavour", ["openai-responses", "anthropic-stream"])
def test_whole_object_edits_replace_the_response_and_the_request(
    tmp_path: Path, collector: CollectorProcess, llm: FakeLLM, flavour: str
) -> None:
    agent = Agent(tmp_path, collector, llm, flavour, PROGRAM, calls=4)
    recorded, _ = agent.run()
    colour, _, city, _ = agent.calls(recorded)
    model = colour["model"]
    if flavour == "anthropic-stream":
        response = {"id": "msg_edit", "type": "message", "role": "assistant", "model": model, "stop_reason": "end_turn",
                    "content": [{"type": "text", "text": "vermilion"}], "usage": {"input_tokens": 1, "output_tokens": 1}}
        request = {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": "Name a lake"}]}
    else:
        response = {"id": "resp_edit", "object": "response", "created_at": 0, "model": model, "status": "completed",
                    "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                                "content": [{"type": "output_text", "text": "vermilion", "annotations": []}]}],
                    "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
        request = {"model": model, "input": "Name a lake"}
    agent.api("PUT", f"/api/v1/calls/{colour['id']}/output", json={"response": response})
    agent.api("PUT", f"/api/v1/calls/{city['id']}/input", json={"request": request})
    before = len(llm.requests)

    replayed, done = agent.run("--replay", recorded, command=False)

    sent = [r.last_user_text for r in llm.requests[before:]]
    assert sent == ["Describe vermilion", "Name a lake", "Compare about Describe vermilion with about Name a lake"]
    assert eval(done.stdout)[0] == "vermilion"
    assert summary(done) == "0 calls cached, 2 edited, 0 live, 2 new"
    calls = agent.calls(replayed)
    assert [c["edited"] for c in calls] == ["output", None, "input", None]
    assert calls[2]["input"] == "Name a lake"  # the span records the request that was sent
