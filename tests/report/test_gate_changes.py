"""The PR verdict tests what the PR changed (issue 31): one test per kind of change, each driving
`decide()` on a generated daily panel (eight rows a day, each with its own id as contract.key,
1999 → 2004, a regime change in 2003).

A change the walk-forward can see moves the verdict with a real interval; a change it cannot see
(a moved training-window end under `expanding`, an evaluation window) reads `not compared` and
says why, never a zero-width "no clear difference"; a data change falls to the two models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from staleguard.contract import read_raw
from staleguard.params import Params, load_params
from staleguard.recipe import FITS, Recipe
from staleguard.report.champion import Duel
from staleguard.report.gate import NOT_COMPARED, SINGLE, WALK_FORWARD, Gate, decide
from staleguard.report.render import Context, headline
from staleguard.verdict.text import status_line
from tests.conftest import ROOT

IDS, START, REGIME, END = 8, "1999-01-01", "2003-01-01", "2004-02-01"
WINDOWS = {"train": {"start": "2000-01-01", "end": "2004-01-01"},
           "eval": {"start": "2004-01-01", "end": "2004-01-29"}}   # four weekly folds: 224 rows


def panel(seed: int = 0, freq: str = "D", ids: int = IDS) -> pd.DataFrame:
    """y = slope·x1 + 8·sin(x2) + 4·[kind 1] + noise, with slope 1 before 2003 and 3 after: x1 is
    the strong feature, x2 a curve no ridge can draw, and the regime makes the window matter.
    `ids` rows per period of `freq` (D: daily, MS: monthly)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, END, freq=freq, inclusive="left")
    n = len(days) * ids
    date = np.repeat(days, ids)
    x1, x2 = rng.uniform(0, 10, n), rng.uniform(0, 6.28, n)
    kind = rng.integers(0, 3, n)
    slope = np.where(date >= pd.Timestamp(REGIME), 3.0, 1.0)
    y = slope * x1 + 8 * np.sin(x2) + 4 * (kind == 1) + rng.normal(0, 1, n) + 40
    return pd.DataFrame({"date": date.strftime("%Y-%m-%d"), "id": np.arange(n),   # one per row
                         "x1": x1.round(4), "x2": x2.round(4), "kind": kind, "y": y.round(3)})


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("panel") / "panel.csv"
    panel().to_csv(path, index=False)
    return path


def tree(raw: Path, **sections: dict) -> dict:
    """The template's params.yaml on the panel (key = the id column), sections replaced whole."""
    base = yaml.safe_load((ROOT / "params.yaml").read_text())
    base.update(
        data={"raw": str(raw), "batches": str(raw.parent / "none")},
        windows={**base["windows"], **WINDOWS},
        contract={"timestamp": {"column": "date", "format": "%Y-%m-%d", "freq": "1d"}, "key": "id",
                  "columns": {"id": {"type": "int", "range": [0, 10**6]},
                              "x1": {"type": "float", "range": [0, 10]},
                              "x2": {"type": "float", "range": [0, 7]},
                              "kind": {"type": "int", "categories": [0, 1, 2]},
                              "y": {"type": "float", "range": [-100, 200]}}},
        features={"numerical": ["x1", "x2"], "categorical": ["kind"], "target": "y"},
        train={"seed": 0, "n_est": 20, "min_split": 2, "estimator": "random_forest"})
    base.pop("drift", None)
    base.update(sections)
    return base


def load(t: dict, path: Path) -> Params:
    path.write_text(yaml.safe_dump(t))
    return load_params(path)


@pytest.fixture(autouse=True)
def own_fits() -> None:
    """Each test counts its own fits (recipe.FITS would lend an earlier test's)."""
    FITS.clear()


def compare(raw: Path, tmp_path: Path, pr: dict, main: dict | None = None, duel: Duel | None = None,
            frame: pd.DataFrame | None = None) -> Gate:
    """decide() for a PR whose params.yaml is `pr`, against main's `main` (default: the panel's)."""
    return decide(load(pr, tmp_path / "pr.yaml"), main or tree(raw), duel, frame)


def real(gate: Gate, verdict: str) -> None:
    """A walk-forward verdict on a real difference: the interval is wide of zero, not a point."""
    v = gate.verdict
    assert gate.basis == WALK_FORWARD and v.folds == 4 and v.rows == 4 * 7 * IDS, gate
    assert v.verdict == verdict and v.ci is not None and v.ci[1] - v.ci[0] > 0.005, v
    assert gate.fits == 8 and not gate.unseen


@pytest.mark.parametrize("policy", ["expanding", "sliding"])
def test_gate_compares_a_moved_training_window_start(raw, tmp_path, policy):
    """Issue 31: both sides used to train on the same full history under `expanding`, so a PR
    moving windows.train.start read `no clear difference` with a zero-width CI. Starting at the
    regime change (2000 → 2003) leaves out the old slope: better, whichever policy."""
    report = {**tree(raw)["report"], "backtest": {"folds": 4, "policy": policy}}
    windows = {**tree(raw)["windows"], "train": {"start": REGIME, "end": "2004-01-01"}}
    gate = compare(raw, tmp_path, tree(raw, windows=windows, report=report),
                   tree(raw, report=report))
    real(gate, "better")
    assert gate.verdict.delta < -0.2


def test_gate_compares_a_moved_training_window_start_on_a_monthly_panel(tmp_path):
    """The issue's own shape: monthly rows (60 ids a month, key = id), 52 weekly origins of which
    11 hold a month's rows; `expanding` used to read +0.0 % (CI +0.0 % to +0.0 %)."""
    monthly = tmp_path / "monthly.csv"
    panel(freq="MS", ids=60).to_csv(monthly, index=False)
    report = {**tree(monthly)["report"], "backtest": {"folds": 52, "policy": "expanding"}}
    windows = {"train": {"start": "2000-01-01", "end": "2003-02-01"},
               "eval": {"start": "2003-02-01", "end": "2004-02-01"}}
    moved = {**windows, "train": {"start": "2002-01-01", "end": "2003-02-01"}}
    gate = compare(monthly, tmp_path, tree(monthly, windows={**tree(monthly)["windows"], **moved},
                                           report=report),
                   tree(monthly, windows={**tree(monthly)["windows"], **windows}, report=report))
    v = gate.verdict
    assert gate.basis == WALK_FORWARD and v.folds == 11 and v.rows == 11 * 60, gate
    assert v.verdict == "better" and v.ci[1] < -0.1, v


def test_gate_compares_a_dropped_feature(raw, tmp_path):
    features = {"numerical": ["x2"], "categorical": ["kind"], "target": "y"}
    real(compare(raw, tmp_path, tree(raw, features=features)), "worse")


def test_gate_compares_another_estimator(raw, tmp_path):
    """Ridge draws a line through 8·sin(x2): worse than the forest (both trained since the
    regime change, so that the old slope does not swamp the difference)."""
    windows = {**tree(raw)["windows"], "train": {"start": REGIME, "end": "2004-01-01"}}
    train = {**tree(raw)["train"], "estimator": "ridge"}
    real(compare(raw, tmp_path, tree(raw, windows=windows, train=train), tree(raw, windows=windows)),
         "worse")


def test_gate_compares_a_hyperparameter(raw, tmp_path):
    """The issue's near-constant model: 3 trees that may not split below 2000 rows."""
    train = {**tree(raw)["train"], "n_est": 3, "min_split": 2000}
    real(compare(raw, tmp_path, tree(raw, train=train)), "worse")


def eval_duel(raw: Path, main_rows: pd.DataFrame, params: Params) -> tuple[Duel, pd.DataFrame]:
    """main's model fitted on `main_rows`, the PR's on the whole panel (both on the training
    window), scored on the evaluation window: what `report pr` gathers from DVC."""
    frame = read_raw(raw, params)
    w = params.windows

    def fitted(rows: pd.DataFrame):
        rows = rows[(rows["timestamp"] >= w.train.start) & (rows["timestamp"] < w.train.end)]
        return Recipe.shipped(params).fit(rows, w.train.end)

    week = frame[(frame["timestamp"] >= w.eval.start) & (frame["timestamp"] < w.eval.end)]
    x = week[params.features.columns]
    return Duel({}, {}, "mae", 0.02, champion_pred=fitted(main_rows).predict(x),
                challenger_pred=fitted(frame).predict(x)), week


def test_gate_compares_added_rows_on_the_two_models(raw, tmp_path):
    """The same params, more data: the PR adds 2003's rows (batches accepted since main's data).
    Both folds' sides read this PR's data, so the walk-forward cannot see it; the two models
    trained on each side's data can, and the gate says which it used and why."""
    params = load(tree(raw), tmp_path / "main.yaml")
    full = read_raw(raw, params)
    main_rows = full[(full["timestamp"] < REGIME) | (full["timestamp"] >= "2003-12-01")]
    duel, week = eval_duel(raw, main_rows, params)
    gate = compare(raw, tmp_path, tree(raw), duel=duel, frame=week)
    assert gate.basis == SINGLE and gate.fits == 0, gate
    assert gate.verdict.verdict == "better" and gate.verdict.ci[1] < -0.1, gate.verdict
    assert gate.why.startswith("it cannot see this change: both sides fit the same recipe")
    assert "the params are the same" in gate.why and "predictions differ" in gate.why


def test_gate_says_it_cannot_compare_a_moved_training_window_end(raw, tmp_path):
    """`expanding` trains every fold up to the fold's own week: where windows.train ends is not
    what the folds compare, and the models were not scored here. No verdict, and why."""
    windows = {**tree(raw)["windows"], "train": {"start": "2000-01-01", "end": "2003-12-01"}}
    gate = compare(raw, tmp_path, tree(raw, windows=windows))
    v = gate.verdict
    assert gate.basis == NOT_COMPARED and v.verdict == "not compared" and gate.passed, gate
    assert v.ci is None and v.delta is None and gate.fits == 0 and v.folds == 4
    assert "this backtest cannot compare training windows: windows.train [2000-01-01 00:00, " \
           "2004-01-01 00:00) → [2000-01-01 00:00, 2003-12-01 00:00)" in v.note
    assert "the base's model was not scored on the evaluation window" in v.note
    text = headline(Context("main", "0" * 40, {}, {}, None, {}, gate=gate), "main")
    assert text.startswith("**⚫ not compared** with `main`: the backtest cannot see this change "
                           "(4 folds) · ✅ gate passes")
    assert "too small to matter" not in text and "CI" not in text
    assert status_line(v, gate.passed) == ("not compared: the backtest cannot see this change "
                                           "(4 folds) · gate passes")


def test_gate_says_it_cannot_compare_an_evaluation_window_with_identical_models(raw, tmp_path):
    """A PR that only moves windows.eval ships the same model: identical predictions on both
    sides are not "no clear difference: too small to matter"."""
    windows = {**tree(raw)["windows"], "eval": {"start": "2004-01-04", "end": "2004-01-25"}}
    pr = load(tree(raw, windows=windows), tmp_path / "pr.yaml")
    same = np.arange(100.0)
    gate = decide(pr, tree(raw), Duel({}, {}, "mae", 0.02, champion_pred=same,
                                      challenger_pred=same.copy()), pd.DataFrame({"y": same}))
    assert gate.basis == NOT_COMPARED and gate.verdict.folds == 4, gate
    assert gate.weeks[-1].end == pr.windows.eval.end
    assert "(`windows.eval.end`, `windows.eval.start`) do not change how a model trains" \
        in gate.verdict.note
    assert gate.verdict.note.endswith("the base's model and the PR's predict the evaluation "
                                      "window identically")


def test_gate_names_what_its_verdict_did_not_compare(raw, tmp_path):
    """A PR that changes a hyperparameter and the window end: the verdict is on the first, and
    the comment says the second was not compared."""
    windows = {**tree(raw)["windows"], "train": {"start": "2000-01-01", "end": "2003-12-01"}}
    train = {**tree(raw)["train"], "n_est": 3, "min_split": 2000}
    gate = compare(raw, tmp_path, tree(raw, windows=windows, train=train))
    assert gate.basis == WALK_FORWARD and gate.verdict.verdict == "worse"
    assert gate.unseen.startswith("this backtest cannot compare training windows")
    text = headline(Context("main", "0" * 40, {}, {}, None, {}, gate=gate), "main")
    assert "_⚠️ Not in this verdict: this backtest cannot compare training windows" in text


def test_gate_says_when_a_change_leaves_every_fold_identical(raw, tmp_path):
    """`train.missing: impute` on data without a gap: the folds differ in recipe but the fits
    predict alike. The verdict says so instead of "any difference is too small to matter"."""
    train = {**tree(raw)["train"], "missing": "impute"}
    gate = compare(raw, tmp_path, tree(raw, train=train))
    v = gate.verdict
    assert gate.basis == WALK_FORWARD and gate.fits == 8 and v.verdict == "no clear difference", v
    assert v.note == ("both sides predict every fold identically: what the PR changed does not "
                      "alter the fitted model on this data")
