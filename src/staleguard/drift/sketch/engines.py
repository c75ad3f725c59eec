"""Where `summarise` runs: pandas (in memory), DuckDB (streams Parquet), Spark (per partition).

Each adapter reads only the summarised columns, hands slices of rows to the one pure
`summarise`, and adds the results with `merge`; they give the same summary on the same rows
(tests/drift/sketch/test_engines.py). `source`: a Parquet file, a folder of them, or a list; local
paths or fsspec URLs (s3://…). `window`: keep rows with start <= timestamp < end;
`labeled`: keep rows whose target is present (the monitor's rule).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard.drift.sketch.window_summary import PREDICTION, TIMESTAMP, Layout, Summary, merge, summarise
from staleguard.errors import ConfigError, DataError

ENGINES = ("pandas", "duckdb", "spark")
BATCH_ROWS = 1_000_000
Source = str | Path | Sequence[str | Path]
Window = tuple[datetime, datetime] | None


def files(source: Source) -> list[str]:
    """The Parquet files of `source` (a folder is listed, sorted), as plain strings."""
    import fsspec

    items = [source] if isinstance(source, str | Path) else list(source)
    out: list[str] = []
    for item in items:
        url = str(item)
        fs, root = fsspec.core.url_to_fs(url)
        if fs.isdir(root):
            found = sorted(p for p in fs.find(root) if p.endswith(".parquet"))
            out += [fs.unstrip_protocol(p) if "://" in url else p for p in found]
        elif fs.exists(root):
            out.append(url)
        else:
            raise DataError(f"{url}: no such Parquet file or folder")
    if not out:
        raise DataError(f"{source}: holds no .parquet files")
    return out


def _columns(path: str, layout: Layout, features: list[str] | None, with_model: bool,
             drop_prediction: bool = False) -> list[str]:
    """The columns to read: the layout's, the timestamp, and the model's inputs when it predicts
    (`drop_prediction`: ignore a logged prediction column, so the model predicts every row)."""
    import pyarrow.parquet as pq

    try:
        with _open(path) as fh:
            names = set(pq.read_schema(fh).names)
    except Exception as err:  # pyarrow raises several unrelated types for a bad file
        raise DataError(f"{path}: not a readable parquet file ({type(err).__name__}: {err})") from err
    if drop_prediction:
        names.discard(PREDICTION)
    want = [TIMESTAMP, *layout.columns]
    if with_model and PREDICTION not in names:
        want += features or []
    return [c for c in dict.fromkeys(want) if c in names]


def _open(path: str) -> Any:
    import fsspec

    return fsspec.open(path, "rb").open()


def _filter(frame: pd.DataFrame, window: Window, target: str | None) -> pd.DataFrame:
    if window is not None:
        ts = frame[TIMESTAMP]
        frame = frame[(ts >= pd.Timestamp(window[0])) & (ts < pd.Timestamp(window[1]))]
    if target is not None:
        frame = frame[frame[target].notna()]
    return frame


def pandas_summary(source: Source, layout: Layout, *, model: Any = None, features: list[str] | None = None,
                   window: Window = None, labeled: bool = False, drop_prediction: bool = False) -> Summary:
    """Read everything into one frame, then summarise: the reference, for windows that fit."""
    paths = files(source)
    cols = _columns(paths[0], layout, features, model is not None, drop_prediction)
    frame = pd.concat([pd.read_parquet(p, columns=cols) for p in paths], ignore_index=True)
    frame = _filter(frame, window, layout.target if labeled else None)
    return summarise(frame, layout, model, features)


def _sql_where(window: Window, target: str | None) -> str | None:
    parts = []
    if window is not None:
        parts.append(f"{TIMESTAMP} >= TIMESTAMP '{window[0]:%Y-%m-%d %H:%M:%S}' "
                     f"AND {TIMESTAMP} < TIMESTAMP '{window[1]:%Y-%m-%d %H:%M:%S}'")
    if target is not None:
        parts.append(f'"{target}" IS NOT NULL AND NOT isnan("{target}")')
    return " AND ".join(parts) or None


def duckdb_summary(source: Source, layout: Layout, *, model: Any = None, features: list[str] | None = None,
                   window: Window = None, labeled: bool = False, drop_prediction: bool = False,
                   batch_rows: int = BATCH_ROWS, memory_limit: str = "1GB") -> Summary:
    """Stream the Parquet files as Arrow record batches of `batch_rows`: memory stays bounded by
    a batch, whatever the window's size. Object storage goes through fsspec (s3fs)."""
    import duckdb

    paths = files(source)
    cols = _columns(paths[0], layout, features, model is not None, drop_prediction)
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": os.cpu_count() or 1})
    try:
        protocols = {p.split("://", 1)[0] for p in paths if "://" in p and not p.startswith("file://")}
        for proto in protocols:
            import fsspec

            con.register_filesystem(fsspec.filesystem(proto))
        rel = con.read_parquet(paths).select(*[duckdb.ColumnExpression(c) for c in cols])
        where = _sql_where(window, layout.target if labeled else None)
        if where:
            rel = rel.filter(where)
        total: Summary | None = None
        for batch in rel.to_arrow_reader(batch_rows):
            total = merge(total, summarise(batch, layout, model, features))
    except (duckdb.Error, OSError) as err:  # duckdb 2 raises some read errors as OSError subclasses
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise DataError(f"{source}: DuckDB cannot read the window ({type(err).__name__}: {first})") from err
    finally:
        con.close()
    if total is None:  # no row passed the filter: an empty summary of the right shape
        return summarise(pd.DataFrame({c: pd.Series(dtype=float) for c in cols}), layout)
    return total


def spark_session(master: str = "local[2]") -> Any:
    """The active SparkSession, or a local one on `master` (UTC, no UI)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ConfigError("engine spark needs pyspark and Java 17+: pip install 'staleguard[spark]'") from err
    session = (SparkSession.builder.master(master).appName("staleguard")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_summary(source: Source, layout: Layout, *, model: Any = None, features: list[str] | None = None,
                  window: Window = None, labeled: bool = False, drop_prediction: bool = False,
                  batch_rows: int = 200_000, spark: Any = None, master: str = "local[2]") -> Summary:
    """`mapInPandas`: every partition summarises its rows and returns one JSON line; the driver
    merges them (a few KB per column), so no rows leave the executors."""
    from pyspark.sql import functions as F

    from staleguard.drift.sketch import sketch_json

    spark = spark or spark_session(master)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
    spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")  # pandas writes ns timestamps
    paths = files(source)
    cols = _columns(paths[0], layout, features, model is not None, drop_prediction)
    # folders go to Spark as given: on a cluster its Hadoop filesystems (s3a://, hdfs://) list them
    given = [str(s) for s in ([source] if isinstance(source, str | Path) else source)]
    df = spark.read.parquet(*given).select(*cols)
    if TIMESTAMP in cols and df.schema[TIMESTAMP].dataType.typeName() == "long":
        df = df.withColumn(TIMESTAMP, F.timestamp_micros(F.floor(F.col(TIMESTAMP) / 1000)))
    if window is not None:
        df = df.filter((F.col(TIMESTAMP) >= F.lit(window[0])) & (F.col(TIMESTAMP) < F.lit(window[1])))
    if labeled and layout.target:
        df = df.filter(F.col(layout.target).isNotNull() & ~F.isnan(F.col(layout.target)))

    def partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        total: Summary | None = None
        for frame in batches:
            total = merge(total, summarise(frame, layout, model, features))
        if total is not None:
            yield pd.DataFrame({"summary": [sketch_json.dumps(total)]})

    rows = df.mapInPandas(partition, "summary string").collect()
    total = None
    for row in rows:
        total = merge(total, sketch_json.loads(row.summary, layout))
    if total is None:
        return summarise(pd.DataFrame({c: pd.Series(dtype=float) for c in cols}), layout)
    return total


def summary_of(engine: str, source: Source, layout: Layout, **kwargs: Any) -> Summary:
    """Dispatch on `engine` (monitor.engine / --engine)."""
    if engine == "pandas":
        return pandas_summary(source, layout, **{k: v for k, v in kwargs.items() if k in _PANDAS})
    if engine == "duckdb":
        return duckdb_summary(source, layout, **{k: v for k, v in kwargs.items() if k != "master"})
    if engine == "spark":
        return spark_summary(source, layout, **kwargs)
    raise ConfigError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")


_PANDAS = ("model", "features", "window", "labeled", "drop_prediction")
