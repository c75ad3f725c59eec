"""check(): reference vs current → DriftResult, with the methods and thresholds from params.yaml.

Scores come from value counts (drift/count_scores.py), so the cost grows like reading the data.
Predictions the window already carries (a `prediction` column logged by serving) are used as is;
otherwise the model predicts, on a seeded sample of at most drift.sample_rows rows.
The reference quality is measured out of sample (drift/quality.py), never on the rows the model
was fitted on, so "MAE +50 %" compares like with like.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import PREDICTION, TIMESTAMP
from staleguard.drift import count_scores, noise
from staleguard.drift import quality as q
from staleguard.drift.result import ColumnDrift, DriftResult, Quality
from staleguard.drift.specs import Spec, column_specs
from staleguard.errors import DataError
from staleguard.params import Params

__all__ = ["Spec", "check", "column_specs", "exact_scores"]


Scorer = Callable[[Mapping[str, pd.Series], Mapping[str, pd.Series], list[Spec]], dict[str, float]]


def exact_scores(ref: Mapping[str, pd.Series], cur: Mapping[str, pd.Series],
                 specs: list[Spec]) -> dict[str, float]:
    columns = [s.column for s in specs]
    counts = count_scores.counts_of([ref[c] for c in columns] + [cur[c] for c in columns])
    return {s.column: count_scores.score(s.method, r, c, s.kind == "numerical")
            for s, r, c in zip(specs, counts[:len(specs)], counts[len(specs):], strict=True)}


def calibrated(col: ColumnDrift, ref: pd.Series, cur: pd.Series, params: Params) -> ColumnDrift:
    """The column's score with its noise bar at the current window's size (drift/noise.py)."""
    rows = int(cur.notna().sum()) if cur.hasnans else len(cur)
    return noise.calibrate(col, count_scores.Counts.of(ref), rows, params)


def _predict(model: Any, frame: pd.DataFrame, columns: list[str], source: str) -> np.ndarray:
    try:
        return np.asarray(model.predict(frame[columns]), dtype=float)
    except ValueError as err:
        raise DataError(f"{source}: the model cannot predict these rows ({err})") from err


def _current_predictions(current: pd.DataFrame, params: Params, model: Any
                         ) -> tuple[pd.DataFrame, np.ndarray | None, int | None]:
    """The rows the prediction/quality numbers use, their predictions, and the sample size if sampled."""
    if PREDICTION in current:
        return current, current[PREDICTION].to_numpy(dtype=float), None
    if model is None:
        return current, None, None
    rows, sampled = current, None
    if len(current) > params.drift.sample_rows:
        rows = current.sample(params.drift.sample_rows, random_state=params.drift.seed)
        sampled = len(rows)
    return rows, _predict(model, rows, params.features.columns, "current window"), sampled


def current_pairs(current: pd.DataFrame, params: Params, model: Any = None
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """The (actual, predicted) pairs check() measures the window's quality on (tests compare
    their exact metrics with the evaluate stage's)."""
    cur_rows, cur_pred, _ = _current_predictions(current, params, model)
    return labeled_pairs(cur_rows, cur_pred, params.features.target)


def labeled_pairs(rows: pd.DataFrame, pred: np.ndarray | None, target: str
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Actuals and predictions of the rows that have both; None under two (actuals may still be
    missing for recent rows)."""
    if pred is None or target not in rows:
        return None
    actual = rows[target].to_numpy()
    if actual.dtype.kind not in "iu":  # integer counts have no gaps (and need no float copy)
        actual = actual.astype(float, copy=False)
    labeled = ~np.isnan(pred) if actual.dtype.kind in "iu" else ~(np.isnan(actual) | np.isnan(pred))
    if labeled.all():  # the usual case: no copies (a fresh 40 MB array costs ~50 ms at 5M rows)
        return (actual, pred) if len(actual) >= 2 else None
    if labeled.sum() < 2:
        return None
    return actual[labeled], pred[labeled]


def _window(frame: pd.DataFrame) -> dict[str, str]:
    if TIMESTAMP not in frame or frame.empty:
        return {}
    ts = frame[TIMESTAMP]
    return {"start": ts.min().isoformat(), "end": ts.max().isoformat()}


def check(reference: pd.DataFrame, current: pd.DataFrame, params: Params, model: Any = None, *,
          baseline: dict[str, float] | None = None, baseline_source: str = "given",
          engine: str = "exact", estimator: Any = None,
          reference_info: dict[str, Any] | None = None) -> DriftResult:
    """Compare `current` with `reference` (frames: timestamp + features + target [+ prediction]).

    `baseline`: the reference quality if already known, described by `baseline_source` (else
    measured by time-blocked CV when a model is given). `engine="evidently"` computes the same
    scores through Evidently (slow; used to cross-check), the default counts values.
    `estimator`: the label-free error model (drift/estimate.py); with it the result carries the
    window's estimated MAE. `reference_info`: which reference policy chose `reference`.
    """
    specs = column_specs(params)
    target = params.features.target
    cur_rows, cur_pred, sampled = _current_predictions(current, params, model)
    ref_pred = (_predict(model, reference, params.features.columns, "reference window")
                if model is not None else
                reference[PREDICTION].to_numpy(dtype=float) if PREDICTION in reference else None)

    ref_cols: dict[str, pd.Series] = {s.column: reference[s.column] for s in specs}
    cur_cols: dict[str, pd.Series] = {s.column: current[s.column] for s in specs}
    extra: list[Spec] = []
    if target in current and current[target].notna().any() and target in reference:
        d = params.drift.target
        extra.append(Spec(target, "numerical", d.method, d.threshold))
        actual = current[target]
        ref_cols[target], cur_cols[target] = reference[target], actual.dropna() if actual.hasnans else actual
    if ref_pred is not None and cur_pred is not None:
        d = params.drift.prediction
        extra.append(Spec(PREDICTION, "numerical", d.method, d.threshold))
        ref_cols[PREDICTION], cur_cols[PREDICTION] = pd.Series(ref_pred), pd.Series(cur_pred)

    scorer: Scorer = exact_scores
    if engine == "evidently":
        from staleguard.drift.evidently_adapter import evidently_scores as scorer
    got = scorer(ref_cols, cur_cols, specs + extra)
    col = {s.column: calibrated(ColumnDrift(s.column, s.kind, s.method, got[s.column], s.threshold),
                                ref_cols[s.column], cur_cols[s.column], params)
           for s in specs + extra}
    features = {s.column: col[s.column] for s in specs}

    quality = None
    pairs = labeled_pairs(cur_rows, cur_pred, target)
    if baseline is None and (estimator is not None or pairs is not None):
        baseline = q.reference_quality(model, reference, params, ref_pred)
        baseline_source = q.source(model, params)
    if pairs is not None:
        quality = Quality(metric=params.drift.quality.metric, reference=baseline,
                          current=q.regression_metrics(*pairs), reference_source=baseline_source)
    guess = None
    if estimator is not None and cur_pred is not None:
        from staleguard.drift.estimate import estimate

        guess = estimate(estimator, cur_rows, cur_pred, params, baseline["mae"] if baseline else None,
                         None if ref_pred is None else (reference, ref_pred))
    return DriftResult(
        features=features,
        share=sum(c.drifted for c in features.values()) / len(features),
        target=col.get(target), prediction=col.get(PREDICTION), quality=quality,
        rows={"reference": len(reference), "current": len(current)},
        windows={"reference": _window(reference), "current": _window(current)},
        engine=engine, sampled={"predictions": sampled} if sampled else {},
        data={"reference": ref_cols, "current": cur_cols}, estimate=guess,
        reference=reference_info or {})
