"""The only module that imports Evidently 0.7: the HTML report for people, and the same scores
computed by Evidently's own `ValueDrift` (to cross-check drift/count_scores.py).

Traps handled here (../shared/notes/evidently.md): every method and threshold is passed
explicitly (Evidently's defaults flip to p-values under 1000 reference rows); current and
reference are passed by keyword (0.7 takes current first); the target and prediction are typed
numerical (untyped columns are skipped); the preset gets `columns=` = the features only, so the
target and prediction do not count in the drifted share.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import PREDICTION
from staleguard.drift.specs import Spec, column_specs
from staleguard.params import Params


def evidently_scores(ref: Mapping[str, pd.Series], cur: Mapping[str, pd.Series],
                     specs: list[Spec]) -> dict[str, float]:
    """One `ValueDrift` per column with the given method and threshold; returns column → score."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    cols = [s.column for s in specs]
    definition = DataDefinition(numerical_columns=[s.column for s in specs if s.kind == "numerical"],
                                categorical_columns=[s.column for s in specs if s.kind == "categorical"])
    frames = [pd.DataFrame({c: d[c].reset_index(drop=True) for c in cols}) for d in (ref, cur)]
    ref_ds, cur_ds = (Dataset.from_pandas(f, data_definition=definition) for f in frames)
    report = Report([ValueDrift(column=s.column, method=s.method, threshold=s.threshold) for s in specs])
    snap = report.run(current_data=cur_ds, reference_data=ref_ds)
    return {m["config"]["column"]: float(m["value"]) for m in snap.dict()["metrics"]
            if m["config"]["type"].endswith(":ValueDrift")}


def _with_prediction(frame: pd.DataFrame, model: Any, params: Params) -> pd.DataFrame:
    if PREDICTION in frame or model is None:
        return frame
    return frame.assign(**{PREDICTION: model.predict(frame[params.features.columns])})


def save_html(reference: pd.DataFrame, current: pd.DataFrame, params: Params, model: Any,
              path: Path) -> dict[str, float]:
    """Evidently's drift (+ regression, when current has actuals) report, for people to explore.

    Windows above drift.sample_rows are sampled (seeded): the HTML is for reading, the decision
    was computed on all rows. Returns Evidently's per-column drift scores when nothing was
    sampled (else {}), for cross-checking the scores the decision used.
    """
    from evidently import DataDefinition, Dataset, Regression, Report
    from evidently.metrics import ValueDrift
    from evidently.presets import DataDriftPreset, RegressionPreset

    from staleguard.io import write_text

    d, f = params.drift, params.features
    cap = d.sample_rows
    ref, cur = (x.sample(cap, random_state=d.seed) if len(x) > cap else x for x in (reference, current))
    ref, cur = (_with_prediction(x, model, params) for x in (ref, cur))
    has = {c for c in (f.target, PREDICTION)  # a week whose labels have not arrived: no target part
           if c in ref and c in cur and ref[c].notna().any() and cur[c].notna().any()}
    specs = column_specs(params)
    metrics: list[Any] = [DataDriftPreset(
        columns=f.columns, drift_share=d.share,
        num_method=d.numerical.method, num_threshold=d.numerical.threshold,
        cat_method=d.categorical.method, cat_threshold=d.categorical.threshold,
        per_column_method={s.column: s.method for s in specs},
        per_column_threshold={s.column: s.threshold for s in specs})]
    for col, setting in ((f.target, d.target), (PREDICTION, d.prediction)):
        if col in has:
            metrics.append(ValueDrift(column=col, method=setting.method, threshold=setting.threshold))
    regression = [Regression(target=f.target, prediction=PREDICTION)] if len(has) == 2 else None
    if regression:
        metrics.append(RegressionPreset())
    definition = DataDefinition(numerical_columns=[*f.numerical, *sorted(has)],
                                categorical_columns=f.categorical, regression=regression)
    keep = [*f.columns, *sorted(has)]
    ref, cur = settled(ref[keep], cur[keep], [*f.numerical, *sorted(has)])
    ref_ds, cur_ds = (Dataset.from_pandas(x.reset_index(drop=True), data_definition=definition)
                      for x in (ref, cur))
    with warnings.catch_warnings():  # constant columns and tiny groups make numpy/sklearn warn
        warnings.simplefilter("ignore")
        snap = Report(metrics).run(current_data=cur_ds, reference_data=ref_ds)
    write_text(path, stable_ids(snap.get_html_str(as_iframe=False)))
    if len(reference) > cap or len(current) > cap:
        return {}
    return {m["config"]["column"]: float(m["value"]) for m in snap.dict()["metrics"]
            if m["config"]["type"].endswith(":ValueDrift")}


ULPS = 1024   # numerical values spanning fewer representable steps than this are one value


def settled(ref: pd.DataFrame, cur: pd.DataFrame, numerical: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`ref` and `cur` with each numerical column whose values (both sides together) lie within
    ULPS steps of each other set to one value (their smallest). Evidently cuts such a column into
    10-50 histogram bins and numpy raises "Too many bins for data range" (a near-constant model's
    predictions, issue 31); values apart by rounding alone are the same value to a reader."""
    ref, cur = ref.copy(), cur.copy()
    for col in numerical:
        both = pd.concat([ref[col], cur[col]]).to_numpy(dtype=float)
        both = both[np.isfinite(both)]
        if not len(both):
            continue
        lo, hi = float(both.min()), float(both.max())
        if lo < hi <= lo + ULPS * float(np.spacing(max(abs(lo), abs(hi)))):
            for frame in (ref, cur):
                frame[col] = frame[col].where(frame[col].isna(), lo)
    return ref, cur


# Evidently names widgets with uuid7s (time-based) and its script variable with a uuid4 hex.
_RANDOM_IDS = re.compile(r"(?<![0-9a-f-])(?:[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
                         r"|(?<=metric_)[0-9a-f]{32})(?![0-9a-f-])")


def stable_ids(html: str) -> str:
    """Number Evidently's random ids in order of appearance: the same data gives the same bytes,
    so the DVC-tracked drift.html keeps its hash and a fresh clone's `dvc repro` is a no-op."""
    seen: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        token = match.group(0)
        n = len(seen) + 1
        fresh = f"00000000-0000-7000-8000-{n:012d}" if "-" in token else f"{n:032d}"
        return seen.setdefault(token, fresh)

    return _RANDOM_IDS.sub(renumber, html)
