"""Summaries merge by addition and survive JSON; mismatched or broken documents are refused by name."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from staleguard.drift.sketch import sketch_json
from staleguard.drift.sketch.window_summary import MAX_VALUES, freeze, merge, merge_all, summarise
from staleguard.errors import DataError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 30_000
    frame = pd.DataFrame({
        "timestamp": pd.date_range("2012-01-01", periods=n, freq="min"),
        "wide": rng.normal(0, 1, n),                     # > 1000 distinct: bins
        "count": rng.poisson(50, n).astype(float),       # exact counts
        "cat": rng.integers(1, 5, n),
        "y": rng.poisson(100, n).astype(float),
        "prediction": rng.normal(100, 10, n),
    })
    frame.loc[::97, "count"] = np.nan
    ref = frame.iloc[:5000]
    layout = freeze(ref, {"wide": "numerical", "count": "numerical", "cat": "categorical",
                          "y": "numerical", "prediction": "numerical"}, target="y")
    return frame, layout


def _same(a, b):
    assert a.rows == b.rows and (a.first, a.last) == (b.first, b.last)
    for name, ca in a.columns.items():
        cb = b.columns[name]
        assert (ca.n, ca.n_null, ca.min, ca.max) == (cb.n, cb.n_null, cb.min, cb.max), name
        assert ca.mean == pytest.approx(cb.mean, rel=1e-12) and ca.m2 == pytest.approx(cb.m2, rel=1e-9)
        assert ca.exact == cb.exact, name
        if ca.exact:
            np.testing.assert_array_equal(ca.values, cb.values)
            np.testing.assert_array_equal(ca.freq, cb.freq)
        else:
            np.testing.assert_array_equal(ca.bins.counts, cb.bins.counts)
            assert (ca.bins.below_n, ca.bins.above_n) == (cb.bins.below_n, cb.bins.above_n)
            assert ca.bins.below_sum == pytest.approx(cb.bins.below_sum, rel=1e-9)
            assert ca.bins.above_sum == pytest.approx(cb.bins.above_sum, rel=1e-9)
    assert a.quality.n == b.quality.n and a.quality.metrics() == b.quality.metrics()


def test_summary_merge_of_partitions_equals_the_whole(data):
    frame, layout = data
    whole = summarise(frame, layout)
    parts = [summarise(pa.Table.from_pandas(p, preserve_index=False), layout)
             for p in np.array_split(frame, 7)]
    _same(merge_all(parts), whole)
    assert not whole.columns["wide"].exact and whole.columns["count"].exact


def test_summary_value_counts_overflow_to_the_frozen_bins_when_merged(data):
    _, layout = data
    assert layout.columns["prediction"].exact is False
    x = pd.DataFrame({"count": np.arange(MAX_VALUES, dtype=float), "cat": 1, "wide": 0.0})
    y = pd.DataFrame({"count": np.arange(MAX_VALUES, dtype=float) + 0.5, "cat": 2, "wide": 0.0})
    a, b = summarise(x, layout), summarise(y, layout)
    assert a.columns["count"].exact and b.columns["count"].exact
    both = merge(a, b)
    assert not both.columns["count"].exact
    direct = summarise(pd.concat([x, y], ignore_index=True), layout).columns["count"]
    np.testing.assert_array_equal(both.columns["count"].bins.counts, direct.bins.counts)
    assert both.columns["count"].bins.above_sum == pytest.approx(direct.bins.above_sum)


def test_summary_json_round_trip_is_exact(data):
    frame, layout = data
    ref = summarise(frame.iloc[:5000], layout)
    ref.meta["note"] = "x"
    cur = summarise(frame.iloc[5000:], layout)
    back_ref = sketch_json.loads(sketch_json.dumps(ref, reference=True))
    assert back_ref.layout.id == layout.id and back_ref.meta == {"note": "x"}
    _same(back_ref, ref)
    _same(sketch_json.loads(sketch_json.dumps(cur), back_ref.layout), cur)


def test_summary_refuses_a_window_without_its_reference(data):
    frame, layout = data
    text = sketch_json.dumps(summarise(frame.iloc[:100], layout))
    with pytest.raises(DataError, match="needs its reference summary's layout"):
        sketch_json.loads(text)
    other = freeze(frame.iloc[:300], {"wide": "numerical"})
    with pytest.raises(DataError, match="does not match the reference's"):
        sketch_json.loads(text, other)
    with pytest.raises(DataError, match="cannot merge summaries of different layouts"):
        merge(summarise(frame.iloc[:10], layout), summarise(frame.iloc[:10], other))


def test_summary_refuses_other_documents_and_broken_files(tmp_path, data):
    with pytest.raises(DataError, match=r"not a staleguard.summary v1 document"):
        sketch_json.loads(json.dumps({"schema": "x"}))
    bad = tmp_path / "s.json"
    bad.write_text("{")
    with pytest.raises(DataError, match=r"s\.json: not a valid summary"):
        sketch_json.read(bad)
    with pytest.raises(DataError, match=r"missing\.json: cannot read the summary"):
        sketch_json.read(tmp_path / "missing.json")


def test_summary_refuses_rows_without_layout_columns(data):
    frame, layout = data
    with pytest.raises(DataError, match=r"rows lack column\(s\) \['cat'\]"):
        summarise(frame.drop(columns="cat"), layout)
    with pytest.raises(DataError, match="column 'nope' missing"):
        freeze(frame, {"nope": "numerical"})
    with pytest.raises(DataError, match="no summaries to merge"):
        merge_all([])
