"""`DataflowInstrumentor` (entry point `ao_dataflow`): installs tracker, hook and patches; uninstalls them."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import pydantic
import pytest
from opentelemetry.sdk.trace import TracerProvider

from ao_instrument.dataflow import DataflowInstrumentor, import_hook
from ao_instrument.dataflow.tracker import Tracker
from ao_instrument.genai.origins import _NoTracking, tracker


def test_entry_point_is_declared() -> None:
    (ep,) = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "ao_dataflow"]
    assert ep.load() is DataflowInstrumentor


def test_instrument_and_uninstrument(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AO_TAINT", raising=False)
    init = pydantic.BaseModel.__init__
    instrumentor = DataflowInstrumentor()
    instrumentor.instrument(tracer_provider=TracerProvider(), project_dir=str(tmp_path))
    try:
        assert isinstance(tracker(), Tracker)
        assert import_hook.installed() in sys.meta_path
        assert pydantic.BaseModel.__init__ is not init
    finally:
        instrumentor.uninstrument()
    assert isinstance(tracker(), _NoTracking) and import_hook.installed() is None
    assert pydantic.BaseModel.__init__ is init


def test_taint_off_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AO_TAINT", "off")
    instrumentor = DataflowInstrumentor()
    instrumentor.instrument()
    try:
        assert isinstance(tracker(), _NoTracking) and import_hook.installed() is None
    finally:
        instrumentor.uninstrument()
