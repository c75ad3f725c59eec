"""The label-free estimate knows its limits: off the reference's support it shows no number and
triggers nothing; with arrived labels it is recalibrated (drift/reliability.py).

The synthetic hours of test_delay.py: the model's error grows with `hum`; the reference spans
temp and hum in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from staleguard.drift import estimate
from staleguard.drift.reliability import calibrated, domain_auc, outside_support
from staleguard.monitor import job_summary, retrain
from tests.monitor.test_delay import _decide, hours, setup, week

__all__ = ["setup"]  # the fixture, shared with test_delay.py


def test_a_window_far_outside_the_reference_is_unreliable_and_shows_no_number(setup, tmp_path):
    p, ref, model, estimator, _ = setup
    far = week(p, model, (0.8, 1.0), 7)
    far["temp"] = far["atemp"] = far["temp"] + 3   # three reference ranges above: trees cannot extrapolate
    far["prediction"] = model.predict(far[p.features.columns])
    out = _decide(p, ref, model, estimator, far)
    [window] = out.windows
    est = window.result.estimate
    assert not est.reliable and "outside the reference's range" in est.unreliable, est
    assert est.outside == 1.0 and next(iter(est.outside_columns)) in ("temp", "atemp")
    assert not any(r.startswith("estimated quality drop") for r in window.reasons)  # no trigger on it
    summary = job_summary.markdown(out, p, "m", "store", 0)
    plan = job_summary.plan(out, p, "m", "store", [])
    pr_body = retrain.body(plan, summary, tmp_path, repo_token=False)
    for text in (summary, pr_body):
        assert "no reliable estimate (100% of rows outside the reference's range" in text, text
        assert f"{est.estimated:.1f}" not in text and "est. " not in text
    assert plan["windows"][0]["estimate"]["reliable"] is False


def test_a_window_inside_the_reference_keeps_its_number(setup):
    p, ref, model, estimator, _ = setup
    out = _decide(p, ref, model, estimator, week(p, model, (0.0, 1.0), 8))
    est = out.windows[0].result.estimate
    assert est.reliable and est.outside < 0.05 and est.auc is not None and est.auc < p.drift.estimate.max_auc
    assert f"est. {est.estimated:.1f} †" in job_summary.markdown(out, p, "m", "store", 0)


def test_recalibration_lowers_the_error_on_a_shifted_case(setup):
    """A concept shift the inputs cannot show: from the first production week on, the noise is
    1.7 times larger. The estimator, fitted on the reference, underestimates every week by about
    40 %; recalibrated with the latest labeled weeks it lands near the real MAE."""
    p, _, model, estimator, _ = setup
    start = p.windows.train.end
    weeks = []
    for k in range(4):
        frame = hours(start + pd.Timedelta(weeks=k), 1, (0.0, 1.0), 20 + k, p)
        truth = 100 + 100 * frame["temp"]
        frame[p.features.target] = truth + 1.7 * (frame[p.features.target] - truth)
        weeks.append(frame)
    labeled = [estimate.estimate(estimator, f, model.predict(f[p.features.columns]), p, None)
               for f in weeks[:3]]
    last = weeks[3]
    pred = model.predict(last[p.features.columns])
    blind = estimate.estimate(estimator, last.drop(columns=[p.features.target]), pred, p, None)
    actual = float(np.mean(np.abs(last[p.features.target] - pred)))
    loose = p.drift.estimate.model_copy(update={"max_ratio": 2.0})   # a ×1.6 correction allowed
    fixed = calibrated(blind, labeled, loose)
    raw_error, fixed_error = abs(blind.estimated / actual - 1), abs(fixed.estimated / actual - 1)
    assert raw_error > 0.3 and fixed_error < raw_error / 3, (raw_error, fixed_error)
    assert fixed.raw == blind.estimated and fixed.ratio is not None and 1.4 < fixed.ratio < 2
    assert fixed.recent_error is not None and fixed.recent_error < 0.15 and fixed.reliable
    strict = calibrated(blind, labeled, p.drift.estimate)   # the default max_ratio 1.25: not shown
    assert strict.estimated == fixed.estimated and "estimator off by ×1.6" in strict.unreliable


def test_a_large_recent_error_makes_the_estimate_unreliable(setup):
    p, _, model, estimator, _ = setup
    start = p.windows.train.end
    labeled = []
    for k, scale in enumerate((1.0, 4.0, 1.0)):   # the error level jumps about: ratios do not hold
        frame = hours(start + pd.Timedelta(weeks=k), 1, (0.0, 1.0), 40 + k, p)
        truth = 100 + 100 * frame["temp"]
        frame[p.features.target] = truth + scale * (frame[p.features.target] - truth)
        labeled.append(estimate.estimate(estimator, frame, model.predict(frame[p.features.columns]), p, None))
    blind = labeled[-1].__class__(metric="mae", estimated=labeled[-1].estimated, reference=None)
    got = calibrated(blind, labeled, p.drift.estimate)
    assert got.recent_error is not None and got.recent_error > p.drift.estimate.max_recent_error
    assert not got.reliable and got.unreliable.startswith("recent estimate error")


def test_a_correction_beyond_max_ratio_makes_the_estimate_unreliable(setup):
    """Labels say the estimator is off by ×3: the corrected number is not shown either."""
    p, _, _, _, _ = setup
    from staleguard.drift.result import Estimate

    labeled = [Estimate("mae", 10.0, None, actual=30.0 + k) for k in range(3)]
    got = calibrated(Estimate("mae", 10.0, None), labeled, p.drift.estimate)
    assert got.estimated == 31.0 and got.ratio == 3.1 and got.recent_error is not None
    assert not got.reliable and "estimator off by ×3.1" in got.unreliable


def test_support_and_domain_auc_on_plain_frames():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.uniform(0, 1, 600), "c": rng.integers(0, 2, 600)})
    same = pd.DataFrame({"x": rng.uniform(0.01, 0.99, 200), "c": rng.integers(0, 2, 200)})
    moved = pd.DataFrame({"x": rng.uniform(0.5, 1.5, 200), "c": rng.integers(1, 3, 200)})
    assert outside_support(ref, same, {"c"}) == (0.0, {"x": 0.0, "c": 0.0})
    share, per = outside_support(ref, moved, {"c"})
    assert 0.4 < per["x"] < 0.6 and 0.4 < per["c"] < 0.6 and share == np.mean(
        (moved["x"] > ref["x"].max()) | (moved["c"] == 2))
    assert domain_auc(ref, same, 0, 1000) < 0.65 < 0.9 < domain_auc(ref, moved, 0, 1000)
    assert domain_auc(ref, same.head(3), 0, 1000) is None


def test_a_category_rare_in_the_reference_counts_as_outside_it():
    """A holiday-like value on 2 % of the reference's rows: too few to learn the error there."""
    ref = pd.DataFrame({"c": [1] * 2 + [0] * 98})
    week_ = pd.DataFrame({"c": [1] * 3 + [0] * 17})
    assert outside_support(ref, week_, {"c"}) == (0.0, {"c": 0.0})   # seen: inside, by default
    assert outside_support(ref, week_, {"c"}, rare=0.05) == (0.15, {"c": 0.15})
    assert outside_support(ref, week_, {"c"}, rare=0.01) == (0.0, {"c": 0.0})


def test_old_estimates_without_reliability_read_as_reliable(setup):
    """Estimates as older code made them (no support figures) keep their number."""
    p, _, model, estimator, _ = setup
    frame = week(p, model, (0.0, 1.0), 9)
    est = estimate.estimate(estimator, frame.drop(columns=[p.features.target]),
                            frame["prediction"].to_numpy(), p, None)
    assert est.outside is None and est.reliable and calibrated(est, [], p.drift.estimate).reliable
