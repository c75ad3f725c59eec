"""`staleguard drift --engine duckdb|spark` and the monitor on summaries: same decisions as pandas."""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from staleguard import artifacts, drift
from staleguard.data.windows import reference_rows
from staleguard.drift.sketch import sketch_json
from staleguard.errors import DataError
from staleguard.model import build_estimator, save_model
from staleguard.monitor import decision as monitor_check
from staleguard.monitor import monitor_job, sketch_summariser, store
from staleguard.stages.drift_sketch import crosscheck, run
from staleguard.stages.train import write_reference_summary
from tests.drift.sketch.conftest import window, with_train

VERSION = "abcd1234"


@pytest.fixture
def project(tmp_path, monkeypatch, hour, params):
    """A working folder with the train stage's outputs (10-tree model on January 2011)."""
    monkeypatch.chdir(tmp_path)
    p = with_train(params, n_est=10)
    ref = window(hour, p, "2011-01-01", "2011-02-01")
    artifacts.PREPARED.mkdir(parents=True)
    ref.to_parquet(artifacts.TRAIN_SET, index=False)
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    save_model(model, artifacts.MODEL, {"features": p.features.model_dump()})
    write_reference_summary(ref, p, model)
    return p, ref, model


def _pairs(a, b):
    return [*zip(a.features.values(), b.features.values(), strict=True), (a.target, b.target),
            (a.prediction, b.prediction)]


def test_run_duckdb_decides_as_pandas_and_evidently_agrees(project, hour, tmp_path):
    p, ref, model = project
    cur = window(hour, p, "2011-03-01", "2011-03-15")
    cur.to_parquet(tmp_path / "window.parquet", index=False)
    decision = run(p, tmp_path / "window.parquet", tmp_path / "out", "duckdb")
    import json

    out = json.loads((tmp_path / "out" / "drift.json").read_text())
    # windows.reference's rows, judged against the whole training window's out-of-sample quality
    baseline = drift.check(ref, cur, p, model).quality.reference
    expected = drift.check(reference_rows(ref, p)[0], cur, p, model, baseline=baseline)
    assert decision == drift.decide(expected, p)
    for name, col in expected.features.items():
        assert out["features"][name]["score"] == pytest.approx(col.score, abs=1e-6), name
    assert out["target"]["score"] == pytest.approx(expected.target.score, abs=1e-6)
    assert out["prediction"]["score"] == pytest.approx(expected.prediction.score, abs=1e-6)
    assert out["quality"]["current"] == expected.quality.current
    assert out["engine"] == "summary:duckdb"
    assert out["crosscheck"]["agree"] and len(out["crosscheck"]["columns"]) == 14
    for f in ("drift.md", "drift.html", "plots/drift_scores.png", "plots/drift_distributions.png"):
        assert (tmp_path / "out" / f).stat().st_size > 1000, f
    layout = sketch_json.read(artifacts.REFERENCE_SUMMARY).layout
    summary = sketch_json.read(tmp_path / "out" / "summary.json", layout)
    assert summary.rows == len(cur)


def test_run_crosscheck_flags_a_disagreeing_score(project, hour):
    p, ref, model = project
    result = drift.check(ref, window(hour, p, "2011-03-01", "2011-03-15"), p, model)
    scores = {c.column: c.score for c in result.features.values()}
    assert crosscheck(result, scores)["agree"]
    scores["temp"] *= 1.01
    got = crosscheck(result, scores)
    assert not got["agree"] and not got["columns"]["temp"]["agree"] and got["columns"]["hum"]["agree"]


def test_run_refuses_small_windows_and_unseen_categories(project, hour, tmp_path):
    p, _, _ = project
    cur = window(hour, p, "2011-03-01", "2011-03-15")
    cur.iloc[:50].to_parquet(tmp_path / "small.parquet", index=False)
    with pytest.raises(DataError, match=r"small\.parquet: 50 rows < drift\.min_rows 100"):
        run(p, tmp_path / "small.parquet", tmp_path / "out", "duckdb")
    cur.assign(season=np.where(cur.index == 3, 7, cur["season"])).to_parquet(tmp_path / "odd.parquet")
    with pytest.raises(DataError, match=r"odd\.parquet: column 'season' has unseen category 7; known "
                       r"values are \[1, 2, 3, 4\]$"):
        run(p, tmp_path / "odd.parquet", tmp_path / "out", "duckdb")
    cur.assign(hum=np.nan).to_parquet(tmp_path / "empty.parquet")
    with pytest.raises(DataError, match="column 'hum' is entirely empty"):
        run(p, tmp_path / "empty.parquet", tmp_path / "out", "duckdb")


@pytest.fixture
def batches(project, hour, tmp_path):
    """Four weekly batches after the training window, logged by the deployed model."""
    return logged_batches(project, hour, str(tmp_path / "store"),
                          [("2011-02-01", "2011-02-08"), ("2011-02-08", "2011-02-15"),
                           ("2011-02-15", "2011-02-22"), ("2011-06-01", "2011-06-08")])


def logged_batches(project, hour, url: str, weeks: list[tuple[str, str]]) -> tuple[str, pd.DataFrame]:
    """Write one batch per [lo, hi) week as serving logs it (the deployed model's predictions)."""
    p, _, model = project
    frames = []
    for lo, hi in weeks:
        f = window(hour, p, lo, hi)
        f.insert(len(f.columns) - 1, store.PREDICTION, model.predict(f[p.features.columns]))
        f[store.MODEL_VERSION] = VERSION
        store.write_batch(url, f, p, "test")
        frames.append(f)
    return url, pd.concat(frames, ignore_index=True)


def _monitor_parity(p, ref, model, url, frames, engine, windows=3):
    p = p.model_copy(update={"monitor": p.monitor.model_copy(update={"engine": engine})})
    refs = store.list_batches(url)
    from staleguard.data.windows import reference_rows

    rows = reference_rows(ref, p)[0]  # the rows windows.reference selects, as train summarised them
    baseline = drift.check(ref, ref.iloc[:200], p, model).quality.reference  # the training window's
    expected = monitor_check.decide(rows, monitor_check.new_rows([frames], p.windows.train.end, "cnt",
                                                                            params=p), p,
                                    lambda *a, **k: drift.check(*a, **k, baseline=baseline), drift.decide,
                                    model=model)
    summariser = sketch_summariser.Sketches(p, refs, sketch_json.read(artifacts.REFERENCE_SUMMARY), model,
                                            VERSION)
    got = monitor_check.decide_windows(summariser, p, drift.decide)  # the loop pandas runs too
    sums = [w for w in got.windows if summariser.summary(w.start) is not None]
    assert [(w.start, w.rows, w.drift, w.reasons) for w in got.windows] == \
        [(w.start, w.rows, w.drift, w.reasons) for w in expected.windows if w.rows]
    assert (got.drift, got.data_end, got.train, got.eval) == (expected.drift, expected.data_end,
                                                              expected.train, expected.eval)
    decided = [w for w in expected.windows if w.result is not None]
    for w in decided:
        mine = next(x for x in got.windows if x.start == w.start)
        for a, b in _pairs(mine.result, w.result):
            assert a.score == pytest.approx(b.score, abs=1e-6), (w.start, a.column)
    assert got.drift and len(sums) == len(decided) >= windows


def test_monitor_duckdb_same_windows_decisions_and_scores_as_pandas(project, batches):
    p, ref, model = project
    _monitor_parity(p, ref, model, *batches, "duckdb")


def test_monitor_windows_cover_the_batches(batches):
    url, _ = batches
    refs = store.list_batches(url)
    got = sketch_summariser.windows(refs, datetime(2011, 2, 1), 7)
    assert [w[0] for w in got][:3] == [datetime(2011, 2, 1), datetime(2011, 2, 8), datetime(2011, 2, 15)]
    assert all(len(w[2]) == 1 for w in got)


def test_monitor_duckdb_writes_reports_with_evidently_html_and_crosscheck(project, batches, tmp_path,
                                                                         monkeypatch):
    import json
    import zipfile

    from tests.conftest import zip_path

    p, _, _ = project
    url, _ = batches
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(zip_path()) as zf:
        (tmp_path / "data" / "hour.csv").write_bytes(zf.read("hour.csv"))
    p = p.model_copy(update={"monitor": p.monitor.model_copy(update={"engine": "duckdb"})})
    monkeypatch.setattr(monitor_job, "deployed_version", lambda *a: VERSION)
    plan = monitor_job.monitor(p, url, out=tmp_path / "reports")
    assert plan["drift"] and plan["model_version"] == VERSION
    doc = json.loads((tmp_path / "reports" / "drift.json").read_text())
    assert doc["engine"] == "summary:duckdb" and doc["crosscheck"]["agree"]
    assert (tmp_path / "reports" / "drift.html").stat().st_size > 100_000
    (tmp_path / "reports" / "drift.html").write_text("another window's")
    no_html = p.model_copy(update={"monitor": p.monitor.model_copy(update={"html": False})})
    monitor_job.monitor(no_html, url, out=tmp_path / "reports")
    assert not (tmp_path / "reports" / "drift.html").exists()
    assert "crosscheck" not in json.loads((tmp_path / "reports" / "drift.json").read_text())
    assert "drift" in (tmp_path / "reports" / "monitor.md").read_text()
