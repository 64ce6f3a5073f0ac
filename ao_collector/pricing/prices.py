"""Model prices (USD per 1M tokens) from `prices.json`, and the cost of one call.

To update prices, edit `ao_collector/pricing/prices.json` (one entry per undated model name, plus `aliases`)
and bump its `updated` date; or point `AO_PRICES_FILE` at a JSON file of the same shape, whose entries are
laid over the shipped ones. Costs are computed when a span is written: rows written earlier keep their cost.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_DATED = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-latest)$")
_VERSIONED = re.compile(r"-v\d+(:\d+)?$")
_VENDOR_PREFIX = re.compile(r"^(?:[\w-]+/|(?:[a-z]{2}\.)?anthropic\.)")


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens; cache prices default to the input price when the provider has none."""

    input: float
    output: float
    cached_input: float
    cache_write_input: float


class PriceTable:
    """Prices by model name, matching dated and vendor-prefixed names to their undated entry."""

    def __init__(self, models: dict[str, Price], aliases: dict[str, str]) -> None:
        self._models = models
        self._aliases = aliases
        self._resolved: dict[str, Price | None] = {}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> PriceTable:
        """A table from the `prices.json` shape: {"models": {name: {input, output, ...}}, "aliases": {...}}."""
        models: dict[str, Price] = {}
        for name, entry in document.get("models", {}).items():
            try:
                input_price = float(entry["input"])
                models[name.lower()] = Price(
                    input=input_price,
                    output=float(entry["output"]),
                    cached_input=float(entry.get("cached_input", input_price)),
                    cache_write_input=float(entry.get("cache_write_input", input_price)),
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"price entry {name!r} needs numeric 'input' and 'output': {error}") from error
        aliases = {alias.lower(): target.lower() for alias, target in document.get("aliases", {}).items()}
        for alias, target in aliases.items():
            if target not in models:
                raise ValueError(f"price alias {alias!r} names unknown model {target!r}")
        return cls(models, aliases)

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with `other`'s entries laid over it."""
        return PriceTable({**self._models, **other._models}, {**self._aliases, **other._aliases})

    def price(self, model: str) -> Price | None:
        """The price of `model`, or None when it is unknown."""
        if model in self._resolved:
            return self._resolved[model]
        name = _VENDOR_PREFIX.sub("", model.strip().lower())
        name = _VERSIONED.sub("", name)
        found = self._lookup(name)
        if found is None and _DATED.search(name):
            found = self._lookup(_DATED.sub("", name))
        self._resolved[model] = found
        return found

    def entries(self) -> list[tuple[str, Price]]:
        """Every name with a price, sorted: the models, then each alias under its own name (with its target's
        price) unless a model has that name; what the `ao_prices` table holds."""
        named = dict(self._models)
        for alias, target in self._aliases.items():
            named.setdefault(alias, self._models[target])
        return sorted(named.items())

    def _lookup(self, name: str) -> Price | None:
        return self._models.get(name) or self._models.get(self._aliases.get(name, ""))

    def cost(self, model: str, input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0) -> float | None:
        """USD for one call; `input_tokens` counts all input, cache reads and writes included. None for unknown models."""
        price = self.price(model) if model else None
        if price is None:
            return None
        uncached = max(input_tokens - cache_read - cache_write, 0)
        return (
            uncached * price.input
            + cache_read * price.cached_input
            + cache_write * price.cache_write_input
            + output_tokens * price.output
        ) / 1_000_000


@lru_cache(maxsize=1)
def default_prices() -> PriceTable:
    """The shipped table, with `AO_PRICES_FILE` laid over it when that variable is set."""
    table = PriceTable.from_json(json.loads(resources.files(__package__).joinpath("prices.json").read_text()))
    override = os.environ.get("AO_PRICES_FILE")
    if override:
        try:
            with open(override, encoding="utf-8") as file:
                document = json.load(file)
        except (OSError, ValueError) as error:
            raise ValueError(f"AO_PRICES_FILE={override!r} is not a readable JSON price table: {error}") from error
        table = table.merged(PriceTable.from_json(document))
    return table
