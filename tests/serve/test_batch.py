import numpy as np
import pandas as pd
import pytest

from staleguard.errors import DataError
from staleguard.model import load_model
from staleguard.serve.batch import predict_file


@pytest.mark.parametrize(("suffix_in", "suffix_out"), [(".parquet", ".parquet"), (".csv", ".csv"),
                                                        (".csv", ".parquet")])
def test_predict_file_streams_chunks_and_matches_model_predict(tmp_path, params, model_file, january,
                                                               suffix_in, suffix_out):
    src, out = tmp_path / f"in{suffix_in}", tmp_path / f"out{suffix_out}"
    if suffix_in == ".csv":
        january.to_csv(src, index=False)
    else:
        january.to_parquet(src, index=False)
    rows = predict_file(params, src, out, model=str(model_file), chunk_rows=97, progress=False)
    got = pd.read_csv(out) if suffix_out == ".csv" else pd.read_parquet(out)
    assert rows == len(january) == len(got)
    expected = load_model(model_file).predict(january[params.features.columns])
    np.testing.assert_allclose(got["prediction"], expected)
    assert list(got.columns) == [*january.columns, "prediction"]


def test_predict_file_drops_the_contracts_ignore_columns_as_prepare_does(tmp_path, params, model_file,
                                                                         january):
    """A file cut from the raw data still carries instant, casual, registered (contract.ignore)."""
    src, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    assert params.contract.ignore == ["instant", "casual", "registered"]
    january.assign(instant=range(len(january)), casual=1, registered=2).to_csv(src, index=False)
    rows = predict_file(params, src, out, model=str(model_file), chunk_rows=100, progress=False)
    got = pd.read_parquet(out)
    assert rows == len(january) and list(got.columns) == [*january.columns, "prediction"]
    expected = load_model(model_file).predict(january[params.features.columns])
    np.testing.assert_allclose(got["prediction"], expected)
    with pytest.raises(DataError, match=r"unexpected column\(s\) \['dteday'\], which the contract does not"):
        january.assign(casual=1, dteday="2011-01-01").to_csv(src, index=False)  # not ignored: still refused
        predict_file(params, src, out, model=str(model_file), chunk_rows=100, progress=False)


def test_predict_file_missing_column_names_it_and_writes_nothing(tmp_path, params, model_file, january):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    january.drop(columns=["hum"]).to_parquet(src)
    with pytest.raises(DataError, match=r"missing column\(s\) \['hum'\]"):
        predict_file(params, src, out, model=str(model_file), chunk_rows=100, progress=False)
    assert not out.exists()


def test_predict_file_refuses_missing_feature_values(tmp_path, params, model_file, january):
    src = tmp_path / "in.csv"
    january.assign(temp=np.where(january.index == 5, np.nan, january["temp"])).to_csv(src, index=False)
    with pytest.raises(DataError, match=r"in\.csv: column 'temp' has 1 missing value\(s\); "
                                        r"contract\.columns\.temp\.nullable is false"):
        predict_file(params, src, tmp_path / "o.csv", model=str(model_file), chunk_rows=100, progress=False)


@pytest.mark.parametrize(("name", "message"), [("in.txt", r"input must be \.csv or \.parquet"),
                                               ("missing.csv", "input not found")])
def test_predict_file_bad_input_path(tmp_path, params, model_file, name, message):
    src = tmp_path / name
    if name.endswith(".txt"):
        src.write_text("x")
    with pytest.raises(DataError, match=message):
        predict_file(params, src, tmp_path / "o.csv", model=str(model_file), chunk_rows=10, progress=False)


def test_predict_file_bad_output_suffix(tmp_path, params, model_file, january):
    src = tmp_path / "in.csv"
    january.to_csv(src, index=False)
    with pytest.raises(DataError, match=r"output must be \.csv or \.parquet"):
        predict_file(params, src, tmp_path / "o.json", model=str(model_file), chunk_rows=10, progress=False)


def test_predict_file_unreadable_parquet_and_csv(tmp_path, params, model_file):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        predict_file(params, tmp_path / "bad.parquet", tmp_path / "o.csv", model=str(model_file),
                     chunk_rows=10, progress=False)
    (tmp_path / "bad.csv").write_bytes(b'a,b\n1,"2\n')
    with pytest.raises(DataError, match="not a readable CSV"):
        predict_file(params, tmp_path / "bad.csv", tmp_path / "o.csv", model=str(model_file),
                     chunk_rows=10, progress=False)
