"""compare(): the one entry to the drift comparison, whatever the two sides are.

Rows (DataFrames) are compared exactly (drift/compare_rows.py); summaries (drift/sketch/, built by
the pandas, DuckDB or Spark summariser) are compared from their counts (compare_sketches.py). Both
give the same DriftResult, which drift.decide turns into the same decision. A window given as rows
against a reference summary is summarised on the reference's frozen layout first.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from staleguard.drift.result import DriftResult
from staleguard.drift.sketch.window_summary import Summary
from staleguard.errors import DataError
from staleguard.params import Params


def compare(reference: pd.DataFrame | Summary, current: pd.DataFrame | Summary, params: Params,
            model: Any = None, **options: Any) -> DriftResult:
    """Reference vs current → DriftResult. `options` go to the comparison of that kind of input
    (rows: baseline, estimator, reference_info, ...; summaries: baseline, engine)."""
    if isinstance(reference, pd.DataFrame) and isinstance(current, pd.DataFrame):
        from staleguard.drift.compare_rows import check

        return check(reference, current, params, model, **options)
    if isinstance(current, pd.DataFrame):  # a reference summary: the rows on its layout
        from staleguard.drift.sketch.window_summary import summarise

        current = summarise(current, reference.layout, model=model, features=params.features.columns)
    if not isinstance(reference, Summary):
        raise DataError("a window summary can only be compared with its reference summary "
                        "(artifacts/reference.json), not with rows")
    from staleguard.drift.sketch.compare_sketches import check_summaries

    return check_summaries(reference, current, params, **options)
