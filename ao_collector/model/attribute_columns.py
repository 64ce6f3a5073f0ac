"""Named attributes of many spans as columns, vectorised over an Arrow `map<string, string>` column."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def attribute_columns(attributes: pa.MapArray, keys: Sequence[str]) -> dict[str, pa.Array]:
    """For each of `keys`, a string column with each row's value of that attribute (null where absent).

    One hash lookup per stored attribute finds all wanted keys at once; a key given twice in a row keeps
    its last value.
    """
    rows = len(attributes)
    offsets = attributes.offsets.to_numpy()
    flat_keys = attributes.keys
    flat_values = attributes.items
    codes = pc.index_in(flat_keys, value_set=pa.array(list(keys), pa.string())).fill_null(-1).to_numpy(zero_copy_only=False)
    found = np.flatnonzero(codes >= 0)
    # Only entries of this (possibly sliced) array; the row of each is found among the row offsets.
    found = found[(found >= offsets[0]) & (found < offsets[-1])]
    entry_rows = np.searchsorted(offsets, found, side="right") - 1
    entry_codes = codes[found]
    columns: dict[str, pa.Array] = {}
    for code, key in enumerate(keys):
        picked = entry_codes == code
        if not picked.any():
            columns[key] = pa.nulls(rows, pa.string())
            continue
        index = np.full(rows, -1, dtype=np.int64)
        index[entry_rows[picked]] = found[picked]
        columns[key] = flat_values.take(pa.array(index, mask=index < 0))
    return columns


def nonempty(column: pa.Array) -> pa.Array:
    """`column` with empty strings as nulls."""
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)


def first_of(*columns: pa.Array) -> pa.Array:
    """Per row, the first non-empty value among `columns` (null when none has one)."""
    return pc.coalesce(*(nonempty(column) for column in columns))
