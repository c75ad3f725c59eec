"""Champion vs challenger: both saved models scored on one window with their own features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from staleguard.model import save_model
from staleguard.report.champion import duel


def frame(n: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ts = pd.date_range("2011-02-01", periods=n, freq="h")
    x = rng.normal(size=n)
    return pd.DataFrame({"timestamp": ts, "temp": x, "hum": rng.normal(size=n),
                         "cnt": 10 * x + 50})


def saved(tmp_path: Path, name: str, columns: list[str], noise: float) -> Path:
    data = frame()
    model = LinearRegression().fit(data[columns], data["cnt"] + noise * np.arange(len(data)))
    path = tmp_path / f"{name}.skops"
    save_model(model, path, {"features": {"numerical": columns, "categorical": []}})
    return path


def test_duel_scores_both_models_on_the_same_window(tmp_path):
    good = saved(tmp_path, "good", ["temp"], 0.0)
    bad = saved(tmp_path, "bad", ["temp", "hum"], 0.5)
    result = duel(good, bad, frame(), "cnt", "mae", 0.02)
    assert result.champion["mae"] < result.challenger["mae"]
    assert len(result.champion_pred) == len(result.challenger_pred) == len(frame())


def test_duel_notes_a_champion_that_needs_features_the_window_lacks(tmp_path):
    old = saved(tmp_path, "old", ["temp", "hum"], 0.0)
    new = saved(tmp_path, "new", ["temp"], 0.0)
    result = duel(old, new, frame().drop(columns=["hum"]), "cnt", "mae", 0.02)
    assert result.champion is None and result.champion_pred is None
    assert "the window lacks the model's features ['hum']" in result.note


def test_duel_without_champion_keeps_the_reason(tmp_path):
    new = saved(tmp_path, "new", ["temp"], 0.0)
    result = duel(None, new, frame(), "cnt", "mae", 0.02, unavailable="no remote")
    assert (result.champion, result.note) == (None, "no remote")
