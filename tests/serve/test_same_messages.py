"""One bad value, four paths, one message: `staleguard predict` and `drift --current` files, and the
/predict and /actuals requests of a real server (422, naming the field), all word it the same way
because every path checks it with the contract (issue 13); null, absent and text values in a number
field too, with one entry in the 422's `detail` (issues 31, 34)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from staleguard import artifacts
from staleguard.errors import DataError
from staleguard.serve.batch import predict_file
from staleguard.stages import drift as stage
from tests.serve.process import call, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]
MISSING = object()  # the field is absent from the request
ROW = 200  # the `row` fixture's record: the API sends it, the files carry the bad value there

# value put at ROW, and the problem every path must report (the timestamp is filled in per row)
CASES = {
    "inf": ("temp", np.inf, "column 'temp' has value inf outside its range [0, 1]"),
    "1e300": ("hum", 1e300, "column 'hum' has value 1e+300 outside its range [0, 1]"),
    "category": ("season", 11, "column 'season' has unseen category 11; known values are [1, 2, 3, 4]"),
    "calendar": ("mnth", 9, "column 'mnth' is 9 at {ts:%Y-%m-%d %H:%M}, but the contract derives 1 from "
                            "that timestamp (mnth = month)"),
    "negative-target": ("cnt", -5, "column 'cnt' has value -5 outside its range [0, 100000]"),
    "null": ("temp", None, "column 'temp' has 1 missing value(s); contract.columns.temp.nullable is false"),
    "missing": ("temp", MISSING, "column 'temp' has 1 missing value(s); contract.columns.temp.nullable is "
                                 "false"),  # a field left out of the request, an empty cell in a file
    "text": ("temp", "warm", "column 'temp' must be numeric, got 'warm'"),
}
PATHS = ["predict", "drift", "api"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_file: Path) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("serve-messages"), model_file) as (url, _):
        yield url


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, model_file: Path, january: pd.DataFrame) -> Path:
    """The drift stage's inputs: the model and January as the reference."""
    root = tmp_path_factory.mktemp("drift-messages")
    (root / artifacts.PREPARED).mkdir(parents=True)
    january.to_parquet(root / artifacts.TRAIN_SET, index=False)
    shutil.copy(model_file, root / artifacts.MODEL)
    return root


@pytest.mark.parametrize("where", PATHS)
@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_value_reads_the_same_on_every_path(case, where, params, january, row, model_file,
                                                   workdir, server, monkeypatch, tmp_path):
    column, value, text = CASES[case]
    problem = text.format(ts=january.loc[ROW, "timestamp"])
    if where == "api":
        if column == params.features.target:
            body, route = [{"timestamp": row["timestamp"], column: value}], "/actuals"
        else:
            body, route = {**row, column: value}, "/predict"
            if value is MISSING:
                body = {k: v for k, v in row.items() if k != column}
        status, answer = call(f"{server}{route}", body)
        assert status == 422
        assert answer["message"] == f"invalid input: {problem}"
        assert [d["msg"] for d in answer["detail"]] == [problem]  # one entry: no union branch's noise
        return
    if isinstance(value, str):  # a text column in the file (CSV and Parquet alike)
        frame = january.astype({column: str})
    else:
        value = np.nan if value is None or value is MISSING else value
        frame = january.astype({column: float}) if isinstance(value, float) else january.copy()
    frame.loc[ROW, column] = value
    source = tmp_path / "rows.parquet"
    frame.to_parquet(source, index=False)
    with pytest.raises(DataError) as err:
        if where == "predict":
            predict_file(params, source, tmp_path / "out.parquet", model=str(model_file), chunk_rows=1000,
                         progress=False)
        else:
            monkeypatch.chdir(workdir)
            stage.run(params, current=source, out=tmp_path / "reports")
    assert str(err.value) == f"{source}: {problem}"
    assert not (tmp_path / "out.parquet").exists() and not (tmp_path / "reports").exists()
