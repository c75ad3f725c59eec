"""check(): settings errors, predictions it takes from the window, and partial actuals."""

import numpy as np
import pytest
from pydantic import ValidationError

from staleguard.drift import check
from staleguard.errors import ConfigError, DataError
from staleguard.model import build_estimator
from staleguard.params import Params, load_params
from tests.conftest import ROOT
from tests.drift.conftest import window, with_drift, with_train


@pytest.fixture(scope="module")
def frames(hour, params):
    ref = window(hour, params, "2011-01-01", "2011-01-29")
    cur = window(hour, params, "2011-02-15", "2011-02-22")
    return ref, cur


def test_params_refuse_the_old_per_column_overrides_with_their_new_place(tmp_path):
    text = (ROOT / "params.yaml").read_text().replace(
        "  target: {method: wasserstein, threshold: 0.3}",
        "  columns: {casual: {threshold: 0.3}}\n  target: {method: wasserstein, threshold: 0.3}", 1)
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"params\.yaml: drift: Value error, columns moved to "
                                          r"contract\.columns\.<column>\.drift \(docs/contract\.md\)$"):
        load_params(tmp_path / "params.yaml")


def test_params_reject_wasserstein_for_a_categorical_feature_at_load(params):
    with pytest.raises(ValidationError, match=r"contract\.columns\.season\.drift\.method wasserstein is "
                                              r"for numerical features"):
        with_drift(params, columns={"season": {"method": "wasserstein"}})


def test_an_override_for_a_column_that_is_not_a_feature_is_unused(frames, params):
    """The tutorial's feature list without mnth: mnth's contract entry (with its drift override)
    describes the data and stays; the drift check simply has no mnth feature."""
    doc = params.model_dump(by_alias=True)
    doc["features"]["numerical"].remove("mnth")
    nine = Params.model_validate(doc)
    assert nine.contract.columns["mnth"].drift is not None
    result = check(*frames, nine)
    assert "mnth" not in result.features and len(result.features) == len(nine.features.columns)


def test_params_reject_wasserstein_as_the_categorical_default(tmp_path):
    text = (ROOT / "params.yaml").read_text().replace("categorical: {method: jensenshannon,",
                                                      "categorical: {method: wasserstein,")
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"params\.yaml: drift: Value error, categorical\.method wasser"):
        load_params(tmp_path / "params.yaml")


def test_check_model_that_cannot_predict_is_a_data_error(frames, params):
    p = with_train(params, estimator="ridge")
    ref, cur = frames
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    bad = cur.assign(temp=np.where(np.arange(len(cur)) == 3, np.nan, cur["temp"]))
    with pytest.raises(DataError, match=r"current window: the model cannot predict these rows \(Input"):
        check(ref, bad, p, model)


def test_check_uses_logged_predictions_and_only_labeled_rows(frames, params):
    """A window with serving's `prediction` column needs no model; hours without actuals are skipped."""
    ref, cur = frames
    logged = cur.assign(prediction=cur["cnt"] * 1.1)
    logged.loc[:9, "cnt"] = np.nan
    result = check(ref.assign(prediction=ref["cnt"]), logged, params)
    assert result.prediction is not None and result.quality is not None
    expected = float(np.mean(np.abs(logged["cnt"] - logged["prediction"]).dropna()))
    assert result.quality.current["mae"] == pytest.approx(expected, abs=1e-4)
    assert result.quality.reference["mae"] == 0
    assert result.target.score > 0


def test_check_without_model_or_actuals_measures_data_drift_only(frames, params):
    ref, cur = frames
    result = check(ref, cur.drop(columns="cnt"), params)
    assert result.target is None and result.prediction is None and result.quality is None
    assert len(result.features) == len(params.features.columns)


@pytest.mark.parametrize("case", ["random", "constant", "perfect", "zeros", "integers"])
def test_regression_metrics_equal_sklearns(case):
    from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, r2_score

    from staleguard.drift.quality import regression_metrics

    rng = np.random.default_rng(1)
    actual = {"random": rng.normal(100, 30, 500), "constant": np.full(50, 7.0),
              "perfect": np.arange(1.0, 21.0), "zeros": np.r_[np.zeros(5), np.ones(5)],
              "integers": rng.integers(1, 500, 300)}[case]  # counts, and predictions logged rounded
    predicted = (actual.copy() if case == "perfect" else actual + rng.integers(-20, 20, len(actual))
                 if case == "integers" else actual + rng.normal(0, 5, len(actual)))
    expected = {"mae": round(mean_absolute_error(actual, predicted), 4),
                "rmse": round(float(np.sqrt(np.mean((actual - predicted) ** 2))), 4),
                "r2": round(r2_score(actual, predicted), 4)}
    if (actual > 0).all():  # MAPE only where it is defined (model.mape_defined)
        expected["mape"] = round(mean_absolute_percentage_error(actual, predicted), 4)
    assert regression_metrics(actual, predicted) == expected
