"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "examples"))
sys.path.insert(0, REPO)

from fake_llm import FakeLLM  # noqa: E402

from tests.support.otlp_sink import OTLPSink  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A home of the session's own, so that no test (nor the programs it runs, which inherit it) reads or
    writes the real `~/.ao` (collector data, the span outbox that the next run delivers)."""
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(tmp_path_factory.mktemp("home"))
    yield
    if previous is not None:
        os.environ["HOME"] = previous


@pytest.fixture(scope="session")
def otlp_sink() -> Iterator[OTLPSink]:
    sink = OTLPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sink(otlp_sink: OTLPSink) -> OTLPSink:
    """The session's OTLP sink, emptied for this test."""
    otlp_sink.clear()
    return otlp_sink


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeLLM]:
    """One fake LLM server for the whole session."""
    with FakeLLM() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeLLM) -> FakeLLM:
    """The session's fake LLM server, reset (queue, rules, request log) for this test."""
    fake_server.reset()
    return fake_server
