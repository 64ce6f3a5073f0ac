"""One real chDB store per test module: the decoder the receivers' checks are measured against."""

from __future__ import annotations

from typing import Iterator

import pytest

from ao_collector.store import ChdbStore, open_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbStore]:
    opened = open_store(str(tmp_path_factory.mktemp("ao-store")))
    opened.migrate()
    yield opened
    opened.close()
