"""NannyML's DLE on the frames estimate_anchor.py wrote; run in benchmarks/.venv-nannyml only.

    benchmarks/.venv-nannyml/bin/python benchmarks/nannyml_dle.py <folder>

Reads <folder>/reference.parquet (features, y_pred, y_true) and <folder>/analysis.parquet
(features, y_pred, week), fits nannyml.DLE (metric mae, default hyperparameters) on the reference
and estimates each week on its own (one chunk per week); writes <folder>/nannyml.json {week: mae}.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")   # NannyML's documented opt-out (usage logging)
os.environ.setdefault("NML_DISABLE_USER_ANALYTICS", "1")  # ...and its analytics module's switch
warnings.filterwarnings("ignore")  # one chunk per call: "the resulting number of chunks is too low"


def main(folder: Path) -> None:
    import nannyml  # after the opt-outs above are in the environment
    import pandas as pd

    reference = pd.read_parquet(folder / "reference.parquet")
    analysis = pd.read_parquet(folder / "analysis.parquet")
    features = [c for c in reference.columns if c not in ("y_pred", "y_true")]
    dle = nannyml.DLE(feature_column_names=features, y_pred="y_pred", y_true="y_true",
                      metrics=["mae"], chunk_number=1)
    dle.fit(reference)
    out = {}
    for week, part in analysis.groupby("week", sort=True):
        result = dle.estimate(part.drop(columns=["week"])).to_df()
        value = result[("mae", "value")].iloc[-1]
        out[str(week)] = float(value)
    (folder / "nannyml.json").write_text(json.dumps({"version": nannyml.__version__, "weeks": out}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
