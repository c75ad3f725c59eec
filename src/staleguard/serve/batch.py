"""`staleguard predict`: batch prediction of a CSV or Parquet file, streamed chunk by chunk.

Memory stays at one chunk whatever the input size; the output (input columns + `prediction`) is
written incrementally to a temporary file and renamed into place only when every chunk succeeded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard.contract import validate_frame
from staleguard.errors import DataError
from staleguard.io import atomic_path
from staleguard.params import Params
from staleguard.serve.loader import LoadedModel, load

FORMATS = (".csv", ".parquet")


def _format(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(f"{path}: {role} must be .csv or .parquet, got {suffix or 'no suffix'!r}")
    return suffix


def chunks(path: Path, chunk_rows: int) -> tuple[Iterator[pd.DataFrame], int | None]:
    """An iterator over `chunk_rows`-row frames of the input, and its row count when known."""
    if not path.is_file():
        raise DataError(f"{path}: input not found")
    if _format(path, "input") == ".csv":
        return _csv_chunks(path, chunk_rows), None
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises ArrowInvalid/OSError for non-Parquet bytes
        raise DataError(f"{path}: not a readable Parquet file ({type(err).__name__}: {err})") from err
    batches = parquet.iter_batches(batch_size=chunk_rows)
    return (b.to_pandas() for b in batches), parquet.metadata.num_rows


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """CSV chunks; pandas parses lazily, so a bad line surfaces here mid-stream, as a DataError."""
    try:
        yield from pd.read_csv(path, chunksize=chunk_rows)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable CSV file ({type(err).__name__}: "
                        f"{str(err).splitlines()[0]})") from err


def predict_chunk(model: LoadedModel, frame: pd.DataFrame, source: Path, params: Params) -> pd.DataFrame:
    """Validate one chunk against the contract (role `predict`) and add `prediction`."""
    frame = validate_frame(frame, params, "predict", source)
    return frame.assign(prediction=model.estimator.predict(frame[model.columns]))


def predict_file(params: Params, source: Path, output: Path, model: str, chunk_rows: int,
                 progress: bool | None = None) -> int:
    """Predict every row of `source` into `output`; returns the number of rows."""
    out_format = _format(output, "output")
    loaded = load(model, params, single_thread=False, describe=False)
    parts, total = chunks(source, chunk_rows)
    from tqdm import tqdm

    bar = tqdm(total=total, unit="rows", unit_scale=True, desc="predict",
               disable=not (sys.stderr.isatty() if progress is None else progress))
    rows = 0
    with atomic_path(output) as tmp, bar:
        writer = None
        try:
            for part in parts:
                done = predict_chunk(loaded, part, source, params)
                if out_format == ".csv":
                    done.to_csv(tmp, mode="a", header=rows == 0, index=False)
                else:
                    writer = _write_parquet(writer, tmp, done)
                rows += len(done)
                bar.update(len(done))
        finally:
            if writer is not None:
                writer.close()
        if rows == 0:
            raise DataError(f"{source}: no rows to predict")
    return rows


def _write_parquet(writer: Any, path: Path, frame: pd.DataFrame) -> Any:  # pyarrow ParquetWriter
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table.cast(writer.schema))
    return writer
