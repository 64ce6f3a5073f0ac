"""Shared test support: an OTLP sink that receives what programs export."""
