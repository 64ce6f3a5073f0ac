"""The price table: matching of dated and prefixed model names, costs, unknown models, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ao_collector.pricing import PriceTable, default_prices
from ao_collector.pricing import prices as prices_module


@pytest.mark.parametrize(
    ("model", "undated"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("GPT-4.1", "gpt-4.1"),
        ("openai/gpt-5-mini", "gpt-5-mini"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
        ("claude-sonnet-4-0", "claude-sonnet-4"),
    ],
)
def test_dated_and_aliased_names_match(model: str, undated: str) -> None:
    table = default_prices()
    assert table.price(model) == table.price(undated) is not None


def test_dated_entry_overrides_and_other_variants_do_not_match() -> None:
    table = default_prices()
    assert table.price("gpt-4o-2024-05-13").input == 5.0
    assert table.price("gpt-4o-audio-preview") is None
    assert table.price("my-local-model") is None
    assert table.cost("my-local-model", 100, 10) is None
    assert table.cost("", 100, 10) is None


def test_cost_splits_cached_input() -> None:
    table = default_prices()
    # claude-sonnet-4-5: input 3, cache read 0.3, cache write 3.75, output 15 per 1M; input counts all input.
    assert table.cost("claude-sonnet-4-5-20250929", 10_000, 1_000, cache_read=4_000, cache_write=2_000) == pytest.approx(
        (4_000 * 3 + 4_000 * 0.3 + 2_000 * 3.75 + 1_000 * 15) / 1e6
    )
    # OpenAI has no cache-write price: writes cost as input.
    assert table.cost("gpt-4o", 1_000, 0, cache_write=1_000) == pytest.approx(1_000 * 2.5 / 1e6)


def test_every_shipped_entry_is_valid() -> None:
    document = json.loads((Path(prices_module.__file__).parent / "prices.json").read_text())
    table = PriceTable.from_json(document)
    for name in document["models"]:
        assert table.price(name) is not None
    providers = {entry["provider"] for entry in document["models"].values()}
    assert providers == {"openai", "anthropic"}


def test_override_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    override = tmp_path / "prices.json"
    override.write_text(json.dumps({"models": {"gpt-4o": {"input": 1.0, "output": 2.0}, "local-7b": {"input": 0.0, "output": 0.0}}}))
    monkeypatch.setenv("AO_PRICES_FILE", str(override))
    default_prices.cache_clear()
    try:
        table = default_prices()
        assert table.price("gpt-4o-2024-08-06").input == 1.0
        assert table.cost("local-7b", 100, 100) == 0.0
        assert table.price("claude-haiku-4-5") is not None
    finally:
        default_prices.cache_clear()


def test_bad_tables_fail_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="numeric"):
        PriceTable.from_json({"models": {"x": {"input": "cheap"}}})
    with pytest.raises(ValueError, match="unknown model"):
        PriceTable.from_json({"models": {}, "aliases": {"a": "b"}})
    monkeypatch.setenv("AO_PRICES_FILE", str(tmp_path / "missing.json"))
    default_prices.cache_clear()
    try:
        with pytest.raises(ValueError, match="AO_PRICES_FILE"):
            default_prices()
    finally:
        monkeypatch.delenv("AO_PRICES_FILE")
        default_prices.cache_clear()
