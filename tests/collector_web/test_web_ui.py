"""The web UI in a real browser (Debian's chromium through Playwright) against a real collector process with
a token and replays allowed: a run recorded by the real launcher against the fake LLM server is opened, a
call's output edited and saved, the run replayed, and the replay's page shows the right marks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fake_llm import FakeLLM
from fake_llm.replies import Reply
from playwright.sync_api import Browser, Page, sync_playwright

from ao_instrument.runs import new_run_id
from tests.collector_service.helpers import CollectorProcess, child_env, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCHER = os.path.join(os.path.dirname(sys.executable), "ao-instrument")
TOKEN = "ui-test-token"
PROGRAM = """
    import openai
    client = openai.OpenAI(max_retries=0)
    ask = lambda prompt: client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]).choices[0].message.content
    colour = ask("Name a colour")
    description = ask("Describe " + colour)
    city = ask("Name a city")
    print([colour, description, city])
"""


class Collector:
    """The collector process and its API, with the token."""

    def __init__(self, process: CollectorProcess) -> None:
        self.process = process
        self.url = process.api

    def get(self, path: str) -> Any:
        answer = requests.get(self.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        return answer.json() if answer.status_code == 200 else None

    def calls(self, run_id: str) -> list[dict[str, Any]]:
        """The run's own calls in program order (not the `external` stand-ins of links whose source is not
        queryable yet: one insert's views land one after the other)."""
        graph = self.get(f"/api/v1/runs/{run_id}/graph") or {"nodes": []}
        return sorted((node for node in graph["nodes"] if not node.get("external")), key=lambda node: node["start_time"])


@pytest.fixture
def collector(tmp_path: Path, fake: FakeLLM) -> Iterator[Collector]:
    fake.on(lambda request: Reply(f"about {request.last_user_text}"))
    # The collector's environment is what a replay it starts runs with: the fake server's address too.
    process = CollectorProcess(tmp_path / "data", "--allow-replay", env=child_env(**fake.env(), AO_API_TOKEN=TOKEN))
    try:
        process.wait_ready()
        yield Collector(process)
    finally:
        process.terminate()


@pytest.fixture
def recorded(tmp_path: Path, collector: Collector, fake: FakeLLM) -> str:
    """A three-call run, recorded through the launcher."""
    (tmp_path / "agent.py").write_text(textwrap.dedent(PROGRAM))
    run_id = new_run_id()
    env = child_env(**fake.env(), OTEL_EXPORTER_OTLP_ENDPOINT=collector.process.http, OTEL_METRICS_EXPORTER="none",
                    OTEL_LOGS_EXPORTER="none", AO_API_URL=collector.url, AO_API_TOKEN=TOKEN)  # fmt: skip
    done = subprocess.run([LAUNCHER, "--run-id", run_id, sys.executable, "agent.py"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    wait_for(lambda: len(collector.calls(run_id)) == 3 and (collector.get(f"/api/v1/runs/{run_id}") or {}).get("status") == "ok",
             timeout=30, what="the recorded run")  # fmt: skip
    return run_id


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def graph_marks(page: Page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries(window.aoGraph.nodes().map(n => [n.id(), n.data('mark')]))")


def click_node(page: Page, span_id: str) -> None:
    """A real mouse click where cytoscape drew the node."""
    box = page.locator("#graph").bounding_box()
    assert box is not None
    position = page.evaluate("(id) => window.aoGraph.getElementById(id).renderedPosition()", span_id)
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])


def test_edit_and_replay_from_the_web_ui(
    tmp_path: Path, collector: Collector, recorded: str, browser: Browser, fake: FakeLLM
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(collector.url + "/")
    page.locator("#token-form").wait_for(state="visible")  # the API wants the token: the UI asks for it
    page.fill("#token", TOKEN)
    page.click("#token-form button")
    row = page.locator(f'#runs tr[data-run-id="{recorded}"]')
    row.wait_for()
    assert page.locator("#token-form").is_hidden()
    assert "ok" in row.inner_text() and "3" in row.inner_text()

    row.locator("a").first.click()
    page.wait_for_function("() => window.aoGraph && window.aoGraph.nodes().length === 3")
    colour, description, city = collector.calls(recorded)
    assert page.evaluate("() => window.aoGraph.edges().map(e => [e.source().id(), e.target().id()])") == [
        [colour["id"], description["id"]]
    ]
    assert set(graph_marks(page).values()) == {"live"}

    click_node(page, colour["id"])
    page.locator("#call").wait_for(state="visible")
    assert "Name a colour" in page.inner_text("#call-input")
    assert page.input_value("#edit-body") == "about Name a colour"
    page.fill("#edit-body", "ultraviolet")
    page.click("#save")
    page.wait_for_function("() => document.querySelector('#edit-result').textContent.startsWith('saved')")
    edits = collector.get(f"/api/v1/runs/{recorded}/edits")["edits"]
    assert [(e["span_id"], e["kind"], e["body"]) for e in edits] == [(colour["id"], "output", {"text": "ultraviolet"})]

    page.fill("#edit-body", "{not json")  # a bad raw edit is refused with the reason
    page.check('input[name="mode"][value="json"]')
    page.fill("#edit-body", '{"response": {"choices": "no"}}')
    page.click("#save")
    page.wait_for_function("() => document.querySelector('#edit-result').textContent.startsWith('refused (422)')")

    before = len(fake.requests)
    page.click("#replay")
    page.wait_for_function(
        f"() => location.hash.startsWith('#/runs/') && !location.hash.includes('{recorded}')", timeout=30_000
    )
    replayed = page.evaluate("() => decodeURIComponent(location.hash.slice('#/runs/'.length))")
    page.wait_for_function(
        "(id) => document.body.dataset.run === `${id} ok` && window.aoGraph.nodes().length === 3",
        arg=replayed, timeout=60_000,
    )  # fmt: skip
    new_colour, new_description, new_city = collector.calls(replayed)
    assert graph_marks(page) == {new_colour["id"]: "edited", new_description["id"]: "live", new_city["id"]: "cached"}
    assert [r.last_user_text for r in fake.requests[before:]] == ["Describe ultraviolet"]  # only the descendant
    assert "replay of" in page.inner_text("#run-lineage") and recorded in page.inner_text("#run-lineage")
    assert page.inner_text("#run-diff").startswith("2 of 3 calls' outputs differ")
    assert page.evaluate("(id) => window.aoGraph.getElementById(id).data('differs')", new_description["id"]) == 1

    shots = Path(os.environ.get("AO_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "replay-graph.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_ui_loads_nothing_from_elsewhere(collector: Collector, recorded: str, browser: Browser) -> None:
    page = browser.new_page()
    page.add_init_script(f"localStorage.setItem('ao.token', '{TOKEN}')")
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(f"{collector.url}/#/runs/{recorded}")
    page.wait_for_function("() => window.aoGraph && window.aoGraph.nodes().length === 3")
    assert loaded and all(url.startswith(collector.url + "/") for url in loaded)
    assert any(url.endswith("/ui/vendor/cytoscape.esm.min.mjs") for url in loaded)
    for licence in ("LICENSE.cytoscape", "LICENSE.cytoscape-dagre", "LICENSE.dagre", "LICENSE.graphlib"):
        answer = requests.get(f"{collector.url}/ui/vendor/{licence}", timeout=5)
        assert answer.status_code == 200 and "Permission is hereby granted" in answer.text
    assert "/" not in requests.get(collector.url + "/openapi.json", timeout=5).json()["paths"]  # not in the API
