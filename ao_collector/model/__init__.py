"""OTLP spans → otel_traces rows (ClickHouse derives ao's tables from them), and content matching's rules."""

from ao_collector.model.batch import StagingEngine, serialized, write_batch, write_file
from ao_collector.model.content_edges import CallText, ContentEdge, infer_content_edges

__all__ = ["CallText", "ContentEdge", "StagingEngine", "infer_content_edges", "serialized", "write_batch", "write_file"]
