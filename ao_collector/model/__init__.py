"""OTLP spans → columnar rows of every table (otel_traces, ao_llm_calls, ao_dataflow_edges, ao_runs)."""

from ao_collector.model.batch import SpanBatch, build_batch
from ao_collector.model.content_edges import CallText, ContentEdge, infer_content_edges
from ao_collector.model.llm_calls import CallFields, llm_call

__all__ = ["CallFields", "CallText", "ContentEdge", "SpanBatch", "build_batch", "infer_content_edges", "llm_call"]
