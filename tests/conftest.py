"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "examples"))
sys.path.insert(0, REPO)

from tests.support.otlp_sink import OTLPSink  # noqa: E402


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
