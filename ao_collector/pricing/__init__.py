"""Prices of OpenAI and Anthropic models, and the cost of a call in USD (None for unknown models)."""

from ao_collector.pricing.prices import Price, PriceTable, default_prices

__all__ = ["Price", "PriceTable", "default_prices"]
