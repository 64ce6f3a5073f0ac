"""ao_instrument: OpenTelemetry GenAI spans for OpenAI and Anthropic, and the dataflow between calls."""

from ao_instrument.runs import current_run_id, run

__version__ = "0.1.0"
__all__ = ["run", "current_run_id", "__version__"]
