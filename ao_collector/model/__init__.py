"""OTLP spans → the rows of every table (otel_traces, ao_llm_calls, ao_dataflow_edges, ao_runs)."""

from ao_collector.model.batch import StagingEngine, StoredCalls, serialized, write_batch
from ao_collector.model.content_edges import CallText, ContentEdge, infer_content_edges

__all__ = ["CallText", "ContentEdge", "StagingEngine", "StoredCalls", "infer_content_edges", "serialized", "write_batch"]
