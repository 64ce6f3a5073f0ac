"""OTLP spans → columnar rows of every table (otel_traces, ao_llm_calls, ao_dataflow_edges, ao_runs)."""

from ao_collector.model.batch import ArrowQuery, SpanBatch, build_batch, serialized
from ao_collector.model.content_edges import CallText, ContentEdge, infer_content_edges

__all__ = ["ArrowQuery", "CallText", "ContentEdge", "SpanBatch", "build_batch", "infer_content_edges", "serialized"]
