"""The remaining one-line errors of the scale package, each named and matched."""

import sys

import numpy as np
import pandas as pd
import pytest

from staleguard.drift.sketch import engines, sketch_json
from staleguard.drift.sketch.compare_sketches import check_summaries
from staleguard.drift.sketch.window_summary import freeze, summarise
from staleguard.errors import ConfigError, DataError
from staleguard.monitor import monitor_job


def test_errors_reference_without_values_and_reference_without_edges():
    with pytest.raises(DataError, match="column 'x' has no finite values"):
        freeze(pd.DataFrame({"x": [np.nan, np.inf]}), {"x": "numerical"})
    layout = freeze(pd.DataFrame({"x": [1.0, 2.0]}), {"x": "numerical"})
    doc = sketch_json.to_dict(summarise(pd.DataFrame({"x": [1.0]}), layout), reference=True)
    del doc["columns"]["x"]["edges"]
    with pytest.raises(DataError, match="column 'x' has no edges; not a reference summary"):
        sketch_json.from_dict(doc, source="ref.json")


def test_errors_check_refuses_summaries_of_another_reference(params):
    a = freeze(pd.DataFrame({"x": [1.0, 2.0]}), {"x": "numerical"})
    b = freeze(pd.DataFrame({"x": [1.0, 3.0]}), {"x": "numerical"})
    one = pd.DataFrame({"x": [1.0]})
    with pytest.raises(DataError, match=r"window summary layout \w+ is not the reference's"):
        check_summaries(summarise(one, a), summarise(one, b), params)


def test_errors_duckdb_unreadable_window_and_spark_without_pyspark(tmp_path, monkeypatch):
    layout = freeze(pd.DataFrame({"x": [1.0, 2.0]}), {"x": "numerical"})
    pd.DataFrame({"x": [1.0]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"x": ["text"]}).to_parquet(tmp_path / "b.parquet")  # same name, another type
    with pytest.raises(DataError, match="DuckDB cannot read the window"):
        engines.duckdb_summary([tmp_path / "a.parquet", tmp_path / "b.parquet"], layout)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError, match=r"engine spark needs pyspark and Java 17\+"):
        engines.spark_session()


def test_errors_monitor_store_without_new_batches(tmp_path, params):
    (tmp_path / "store").mkdir()
    duckdb = params.model_copy(update={"monitor": params.monitor.model_copy(update={"engine": "duckdb"})})
    with pytest.raises(DataError, match="no batches at or after 2011-02-01 00:00"):
        monitor_job.new_data(duckdb, str(tmp_path / "store"))
