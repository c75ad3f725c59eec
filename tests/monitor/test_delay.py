"""Labels arrive late: the monitor decides a week before its labels from the label-free estimate.

Synthetic hours whose error grows with one feature (`hum`): the model cannot know the noise, so
its error is small where hum is low and large where it is high. The reference spans both; a week
of high-hum hours is worse, a week of low-hum hours is better, and neither is labeled yet.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from staleguard import drift
from staleguard.drift import estimate
from staleguard.model import build_estimator
from staleguard.monitor import decision, monitor_job
from staleguard.params import Params, Window, load_params

START = pd.Timestamp("2011-01-01")


def hours(start: pd.Timestamp, weeks: int, hum: tuple[float, float], seed: int,
          params: Params) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range(start, periods=weeks * 7 * 24, freq="h")
    n = len(ts)
    frame = pd.DataFrame({"timestamp": ts, "temp": rng.uniform(0, 1, n), "hum": rng.uniform(*hum, n),
                          "windspeed": rng.uniform(0, 1, n), "hr": ts.hour, "mnth": 1,
                          "weekday": ts.dayofweek,
                          "season": 1, "yr": 0, "holiday": 0, "workingday": 1, "weathersit": 1})
    frame["atemp"] = frame["temp"]
    noise = rng.normal(0, 1, n) * (1 + 40 * frame["hum"] ** 2)
    frame[params.features.target] = 100 + 100 * frame["temp"] + noise
    return frame


@pytest.fixture(scope="module")
def setup(params: Params):
    end = START + pd.Timedelta(weeks=4)
    p = params.model_copy(update={
        "windows": params.windows.model_copy(update={
            "train": Window(start=START, end=end),
            "eval": Window(start=end, end=end + pd.Timedelta(weeks=1))}),
        "train": params.train.model_copy(update={"n_est": 20}),
        "monitor": params.monitor.model_copy(update={"label_delay_days": 14}),
        # a week of high-hum hours lies inside the reference's range, but a domain classifier tells
        # it apart (AUC ~0.9, above the default bar 0.85): this file is about the estimate itself
        "drift": params.drift.model_copy(update={"estimate": params.drift.estimate.model_copy(
            update={"max_auc": 0.95})})})
    ref = hours(START, 4, (0, 1), 0, p)
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref[p.features.target])
    estimator, quality = estimate.fit_from_model(model, ref, p)
    return p, ref, model, estimator, quality


def week(p: Params, model, hum: tuple[float, float], seed: int) -> pd.DataFrame:
    frame = hours(p.windows.train.end, 1, hum, seed, p)
    return frame.assign(prediction=model.predict(frame[p.features.columns]), model_version="m")


def _decide(p, ref, model, estimator, frame):
    current = decision.observed_rows([frame], p.windows.train.end, p.features.target,
                                     p.monitor.label_delay_days, params=p)
    assert current[p.features.target].isna().all()  # two weeks late: no label of the week has arrived
    return decision.decide(ref, current, p, monitor_job.drift_checker(ref), drift.decide, model=model,
                        version="m", estimator=estimator)


def test_estimate_fires_the_quality_trigger_before_any_label_arrives(setup):
    p, ref, model, estimator, quality = setup
    out = _decide(p, ref, model, estimator, week(p, model, (0.8, 1.0), 1))
    [window] = out.windows
    assert window.labeled == 0 and window.drift is True and out.drift
    assert any(r.startswith("estimated quality drop (no labels yet)") for r in window.reasons), window.reasons
    est = window.result.estimate
    assert est.actual is None and est.reference == quality["mae"] and est.change > p.drift.quality.tolerance


def test_estimate_does_not_fire_on_an_improvement(setup):
    p, ref, model, estimator, _ = setup
    out = _decide(p, ref, model, estimator, week(p, model, (0.0, 0.2), 2))
    [window] = out.windows
    assert window.drift is False and not out.drift and window.result.estimate.change < 0


def test_estimate_tracks_the_real_mae_once_labels_arrived(setup):
    p, _, model, estimator, _ = setup
    got = []
    for hum, seed in (((0.0, 0.2), 3), ((0.0, 1.0), 4), ((0.8, 1.0), 5)):
        frame = week(p, model, hum, seed)
        got.append(estimate.estimate(estimator, frame, frame["prediction"].to_numpy(), p, None))
    assert all(g.actual is not None and abs(g.error) < 0.5 for g in got), got
    assert [g.estimated for g in got] == sorted(g.estimated for g in got)  # ranked as the real MAE
    assert [g.actual for g in got] == sorted(g.actual for g in got)


def test_observed_rows_blank_labels_until_they_arrive(params: Params):
    frame = hours(START, 2, (0, 1), 0, params)
    got = decision.observed_rows([frame], datetime(2011, 1, 1), "cnt", delay_days=7,
                                 now=datetime(2011, 1, 10), params=load_params())
    arrived = got["timestamp"] + pd.Timedelta(days=7, hours=1) <= pd.Timestamp("2011-01-10")
    assert got.loc[arrived, "cnt"].notna().all() and got.loc[~arrived, "cnt"].isna().all()
    assert arrived.sum() == 2 * 24
    assert decision.observed_rows([frame], datetime(2011, 1, 1), "cnt",
                                  params=load_params())["cnt"].notna().all()
