"""Text categories as numbers for the drift summaries and scores, the same in every process.

A drift score compares proportions, so a text value only needs a stable number: the CRC-32 of its
UTF-8 bytes (exact in float64, the same for the reference and any window, in any engine, with no
table to carry). The model never sees these: its pipeline encodes text itself (model.py).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd


def text_codes(values: Any) -> np.ndarray:
    """Text (pandas or Arrow; nulls allowed) → float64 codes, NaN for nulls."""
    if hasattr(values, "to_pylist"):
        values = pd.Series(values.to_pylist(), dtype=object)
    series = pd.Series(values, copy=False)
    inverse, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([float(zlib.crc32(str(u).encode())) for u in uniques] + [np.nan])
    out: np.ndarray = table[inverse]  # the sentinel -1 picks the trailing NaN
    return out


def is_text(values: Any) -> bool:
    """Whether a pandas or Arrow column holds text."""
    if hasattr(values, "type"):
        import pyarrow as pa

        return bool(pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
                    or pa.types.is_dictionary(values.type))
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        return True
    if not pd.api.types.is_object_dtype(values):
        return False
    present = pd.Series(values, copy=False).dropna()
    return bool(len(present)) and isinstance(present.iloc[0], str)
