"""Event-level data (issue 18): many rows per hour, text categories, nulls, a target that is zero
or negative, rows identified by a key column. Nothing is de-duplicated by time; text and NaN go
through the saved pipeline; serving labels predictions by id; bad inputs are refused in one line."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from staleguard import drift
from staleguard.contract import validate_frame
from staleguard.data import history as hist
from staleguard.drift import compare_rows
from staleguard.drift import quality as drift_quality
from staleguard.errors import DataError
from staleguard.model import load_model
from staleguard.monitor import decision, simulate, store
from staleguard.params import Params
from staleguard.registry import ResolvedModel
from staleguard.serve.loader import wrap
from staleguard.stages import evaluate, prepare


def test_the_fixture_is_event_level(events: pd.DataFrame, fparams: Params):
    per_hour = events.groupby("timestamp").size()
    assert per_hour.max() > 20 and len(events) > 10 * len(per_hour) / 2
    assert events["arr_delay"].le(0).mean() > 0.4 and (events["arr_delay"] == 0).any()
    assert events["pressure"].isna().any() and events["carrier"].dtype == object


def test_history_and_the_monitor_keep_every_row_of_an_hour(events: pd.DataFrame, fparams: Params):
    cols = [*fparams.features.columns, fparams.features.target]
    raw, batch = events[events["timestamp"] < "2013-01-22"], events[events["timestamp"] >= "2013-01-22"]
    got = hist.history(raw, batch, cols, fparams)
    assert len(got) == len(events)  # raw + batch rows, not one per hour
    again = hist.history(raw, pd.concat([batch, batch.iloc[:50]]), cols, fparams)
    assert len(again) == len(events)  # a re-sent key replaces its row, nothing else goes
    rows = decision.observed_rows([batch, batch.iloc[:10]], datetime(2013, 1, 15), "arr_delay",
                                  params=fparams)
    assert len(rows) == len(batch)
    none = fparams.model_copy(update={"contract": fparams.contract.model_copy(update={"key": "none"})})
    assert len(hist.history(raw, batch, cols, none)) == len(events)


def test_the_pipeline_encodes_text_and_takes_nan(events: pd.DataFrame, fparams: Params, fmodel):
    model = load_model(fmodel)  # skops: the encoder is in the allow-list like the forest
    served = wrap(model, ResolvedModel(fmodel, None, "0" * 32, None), {}, fparams)
    week = events[(events["timestamp"] >= "2013-01-15") & (events["timestamp"] < "2013-01-22")]
    assert week["pressure"].isna().any()
    plain = model.predict(week[fparams.features.columns])
    assert served.trees is not None  # the fast path codes text itself
    np.testing.assert_allclose(served.predict(week), plain, rtol=1e-9)
    records = week[fparams.features.columns].head(5).astype(object).where(week.head(5).notna(), None)
    x = served.encode_records(records.to_dict("records"))
    np.testing.assert_allclose(served.predict_array(x), plain[:5], rtol=1e-9)
    assert served.flat is not None  # the flattened walk gives sklearn's numbers, NaN included
    got = served.flat.predict(served.encode_frame(week.head(64)))
    np.testing.assert_allclose(got, plain[:64], rtol=1e-12)
    unknown = week.head(3).assign(carrier="ZZ")  # contract unknown: encode → the pipeline's -1
    np.testing.assert_allclose(served.predict(unknown), model.predict(unknown[fparams.features.columns]))


def test_metrics_leave_out_mape_when_actuals_reach_zero(events: pd.DataFrame):
    y = events["arr_delay"].to_numpy(dtype=float)
    got = evaluate.regression_metrics(y, y + 1)
    assert "mape" not in got and got["mae"] == 1.0
    assert "mape" in evaluate.regression_metrics(np.array([1.0, 2.0]), np.array([1.0, 2.0]))


def batch_of(events: pd.DataFrame, fparams: Params) -> pd.DataFrame:
    week = events[(events["timestamp"] >= "2013-01-15") & (events["timestamp"] < "2013-01-16")]
    frame = week.assign(prediction=0.0, model_version="abcd1234")
    return frame[store.columns(fparams)].reset_index(drop=True)


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda b: pd.concat([b, b.iloc[[3]]], ignore_index=True), "duplicated key 'flight_id' 2013011"),
    (lambda b: b.assign(carrier=["ZZ", *b["carrier"].iloc[1:]]),
     "column 'carrier' has unseen category 'ZZ'; allowed values are ['9E', 'AA'"),
    (lambda b: b.assign(distance=["far", *b["distance"].iloc[1:]]),
     "column 'distance' must be numeric, got 'far'"),
    (lambda b: b.assign(carrier=[7, *[1] * (len(b) - 1)]), "column 'carrier' must be text, got 7"),
])
def test_bad_event_batches_are_refused_in_one_line(events, fparams, edit, problem, tmp_path):
    bad = edit(batch_of(events, fparams))
    with pytest.raises(DataError) as err:
        store.write_batch(str(tmp_path / "store"), bad, fparams, source="test")
    assert problem in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "store").exists() or not list((tmp_path / "store").iterdir())


def test_a_valid_event_batch_is_stored_whole(events, fparams, tmp_path):
    good = batch_of(events, fparams)
    url = store.write_batch(str(tmp_path / "store"), good, fparams, source="test")
    back = pd.read_parquet(url)
    assert len(back) == len(good) and back["flight_id"].is_unique
    assert math.isnan(back["pressure"].iloc[int(good["pressure"].isna().to_numpy().argmax())]) \
        or not good["pressure"].isna().any()
    assert validate_frame(back, fparams, "batch", "again").shape == good.shape


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda f: f.assign(carrier=["ZZ", *f["carrier"].iloc[1:]]), "column 'carrier' has unseen category 'ZZ'"),
    (lambda f: f.assign(hour=["noon", *f["hour"].iloc[1:]]), "column 'hour' must be numeric, got 'noon'"),
    (lambda f: pd.concat([f, f.iloc[[2]]], ignore_index=True), "duplicated key 'flight_id'"),
])
def test_predict_files_of_events_refuse_bad_rows_in_one_line(events, fparams, fmodel, tmp_path, edit,
                                                             problem):
    from staleguard.serve.batch import predict_file

    rows = events.head(50)[[*fparams.features.columns, "flight_id"]]
    good = tmp_path / "in.csv"
    rows.to_csv(good, index=False)
    assert predict_file(fparams, good, tmp_path / "ok.csv", str(fmodel), 1000, progress=False) == 50
    assert pd.read_csv(tmp_path / "ok.csv")["flight_id"].tolist() == rows["flight_id"].tolist()
    bad = tmp_path / "bad.csv"
    edit(rows).to_csv(bad, index=False)
    with pytest.raises(DataError) as err:
        predict_file(fparams, bad, tmp_path / "out.csv", str(fmodel), 1000, progress=False)
    assert problem in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out.csv").exists()


def test_the_sketch_engines_summarise_text_and_check_its_categories(events, fparams):
    from staleguard.drift.sketch.compare_sketches import kinds
    from staleguard.drift.sketch.window_summary import freeze, summarise
    from staleguard.stages.drift_sketch import validate

    week = events[(events["timestamp"] >= "2013-01-15") & (events["timestamp"] < "2013-01-22")]
    cols = {c: k for c, k in kinds(fparams).items() if c != "prediction"}
    layout = freeze(events[events["timestamp"] < "2013-01-15"], cols, fparams.features.target)
    validate(summarise(week, layout), fparams, "week")  # every carrier is a known one
    with pytest.raises(DataError, match="column 'carrier' has a value outside its categories"):
        validate(summarise(week.assign(carrier="ZZ"), layout), fparams, "week")


def test_the_monitor_measures_a_week_as_evaluate_does(events: pd.DataFrame, fparams: Params, fmodel):
    """The monitor's MAE on the evaluation week (store batches → observed rows → weekly window →
    drift check) equals the evaluate stage's on prepare's evaluation set, unrounded, to 1e-9."""
    model = load_model(fmodel)
    _, evaluation = prepare.split(events, fparams)
    expected = evaluate.exact_score(model, evaluation, fparams)
    frames = simulate.labeled_batches(events, model, "v1", fparams, date(2013, 1, 28))
    current = decision.observed_rows(frames, fparams.windows.train.end, "arr_delay", params=fparams)
    seen: list[tuple[pd.DataFrame, object]] = []

    def check(reference: pd.DataFrame, window: pd.DataFrame, params: Params, model=None, **extra):
        seen.append((window, compare_rows.check(reference, window, params, model, **extra)))
        return seen[-1][1]

    train = events[events["timestamp"] < "2013-01-15"]
    decision.decide(train, current, fparams, check, drift.decide, model=model, version="v1")
    window, result = seen[0]
    assert window["timestamp"].min() >= pd.Timestamp("2013-01-15") and len(window) == len(evaluation)
    pairs = compare_rows.current_pairs(window, fparams, model)
    assert pairs is not None and len(pairs[0]) == len(evaluation)
    got = drift_quality.exact_metrics(*pairs)
    assert set(got) == set(expected) == {"mae", "rmse", "r2"}  # no MAPE: delays reach zero
    for name in expected:
        assert abs(got[name] - expected[name]) <= 1e-9, (name, got[name], expected[name])
    assert result.quality.current["mae"] == round(expected["mae"], 4)  # what monitor.json shows
