"""The replay tests' collector (one per module, replays allowed) and prompt-determined fake replies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_llm import FakeLLM
from fake_llm.replies import Reply

from tests.collector_service.helpers import CollectorProcess


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    process = CollectorProcess(tmp_path_factory.mktemp("replay-collector"), "--allow-replay")
    try:
        process.wait_ready()
        yield process
    finally:
        process.terminate()


@pytest.fixture
def llm(fake: FakeLLM) -> FakeLLM:
    """Replies that depend on the prompt only, so that a live call answers alike in every run."""
    fake.on(lambda request: Reply(f"about {' '.join(request.last_user_text.split()[-6:])}"))
    return fake
