"""ao_instrument: OpenTelemetry GenAI spans for OpenAI and Anthropic, and the dataflow between calls.

`run` and `current_run_id` (from `ao_instrument.runs`) are loaded on first use: importing a submodule,
as every instrumented process and the launcher do at start, does not load the OpenTelemetry SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ao_instrument.runs import current_run_id, run

__version__ = "0.1.0"
__all__ = ["run", "current_run_id", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "run":
        from ao_instrument.runs import run

        return run
    if name == "current_run_id":
        from ao_instrument.runs import current_run_id

        return current_run_id
    raise AttributeError(f"module 'ao_instrument' has no attribute {name!r}")
