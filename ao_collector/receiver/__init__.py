"""OTLP receivers: gRPC and HTTP, sharing decoding and validation."""
