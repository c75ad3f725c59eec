"""pandas, DuckDB and Spark give the same summary of the same Parquet rows."""

import numpy as np
import pandas as pd
import pytest

from staleguard.drift.sketch import engines
from staleguard.drift.sketch.window_summary import freeze
from staleguard.errors import ConfigError, DataError
from tests.drift.sketch.test_summary import _same


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rng = np.random.default_rng(5)
    root = tmp_path_factory.mktemp("store")
    frames = []
    for k in range(3):
        n = 20_000
        f = pd.DataFrame({
            "timestamp": pd.date_range("2012-01-01", periods=n, freq="min") + pd.Timedelta(days=30 * k),
            "temp": rng.integers(2, 98, n) / 100, "hr": rng.integers(0, 24, n).astype(np.int64),
            "season": rng.integers(1, 5, n).astype(np.int64), "cnt": rng.poisson(180, n).astype(float),
            "prediction": rng.normal(180, 40, n)})
        f.loc[f.index % 11 == 0, "cnt"] = np.nan
        f.to_parquet(root / f"part-{k}.parquet", index=False)
        frames.append(f)
    layout = freeze(frames[0].iloc[:3000], {"temp": "numerical", "hr": "numerical", "season": "categorical",
                                            "cnt": "numerical", "prediction": "numerical"}, target="cnt")
    return root, layout, pd.concat(frames, ignore_index=True)


WINDOW = (pd.Timestamp("2012-01-20").to_pydatetime(), pd.Timestamp("2012-02-10").to_pydatetime())


@pytest.mark.parametrize("window,labeled", [(None, False), (WINDOW, True)])
def test_engines_duckdb_equals_pandas(store, window, labeled):
    root, layout, _ = store
    a = engines.pandas_summary(root, layout, window=window, labeled=labeled)
    b = engines.duckdb_summary(root, layout, window=window, labeled=labeled, batch_rows=7_000)
    _same(a, b)
    assert a.rows < 60_000 if window else a.rows == 60_000


def test_engines_duckdb_reads_fsspec_urls(store):
    import fsspec

    root, layout, _ = store
    mem = fsspec.filesystem("memory")
    for p in sorted(root.glob("*.parquet")):
        mem.pipe(f"/scale-test/{p.name}", p.read_bytes())
    _same(engines.duckdb_summary("memory://scale-test", layout), engines.pandas_summary(root, layout))


def test_engines_refuse_missing_sources_and_unknown_engines(tmp_path, store):
    _, layout, _ = store
    with pytest.raises(DataError, match="no such Parquet file or folder"):
        engines.files(tmp_path / "nope")
    with pytest.raises(DataError, match=r"holds no \.parquet files"):
        engines.files(tmp_path)
    bad = tmp_path / "bad.parquet"
    bad.write_text("x")
    with pytest.raises(DataError, match=r"bad\.parquet: not a readable parquet file"):
        engines.duckdb_summary(bad, layout)
    with pytest.raises(ConfigError, match="engine 'polars' is not one of pandas, duckdb, spark"):
        engines.summary_of("polars", tmp_path, layout)


@pytest.mark.s3
def test_engines_duckdb_streams_from_s3(store, moto_s3, monkeypatch):
    """s3:// through s3fs registered in DuckDB (no httpfs extension download), against moto."""
    from s3fs import S3FileSystem

    for key, value in moto_s3.items():
        monkeypatch.setenv(key, value)
    S3FileSystem.clear_instance_cache()
    root, layout, _ = store
    fs = S3FileSystem()
    for p in sorted(root.glob("*.parquet")):
        fs.pipe(f"staleguard-test/scale/{p.name}", p.read_bytes())
    try:
        _same(engines.duckdb_summary("s3://staleguard-test/scale", layout, batch_rows=9_000),
              engines.pandas_summary(root, layout))
    finally:
        S3FileSystem.clear_instance_cache()
