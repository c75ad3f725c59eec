"""Read a current window (a Parquet/CSV file or a folder of batches) and refuse bad input.

Every problem is one DataError naming the file: missing or extra columns, wrong dtypes, an
all-NaN column, an empty or too-small window, an unseen category, duplicated or future timestamps.
Nothing is written before this passes, so a broken batch never produces a half report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from staleguard.errors import DataError
from staleguard.params import Params

TIMESTAMP = "timestamp"
OPTIONAL = ("prediction", "model_version")
SUFFIXES = (".parquet", ".csv")


def expected_columns(params: Params) -> tuple[list[str], list[str]]:
    """(required, optional) columns of a current window."""
    return [TIMESTAMP, *params.features.columns], [params.features.target, *OPTIONAL]


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as err:  # pyarrow/CSV parser errors have no common base class
        kind = path.suffix[1:]
        raise DataError(f"{path}: not a readable {kind} file ({type(err).__name__}: {err})") from err


def _columns(df: pd.DataFrame, source: Path, params: Params) -> None:
    required, optional = expected_columns(params)
    missing = [c for c in required if c not in df.columns]
    extra = [c for c in df.columns if c not in required and c not in optional]
    expected = f"expected {required} plus optionally {optional}"
    if missing:
        raise DataError(f"{source}: missing column(s) {missing}; {expected}")
    if extra:
        raise DataError(f"{source}: unexpected column(s) {extra}; {expected}")
    if df.empty:
        raise DataError(f"{source}: holds no rows")


def _timestamps(df: pd.DataFrame, source: Path, now: pd.Timestamp) -> pd.Series:
    ts = df[TIMESTAMP]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        parsed = pd.to_datetime(ts, errors="coerce", format="ISO8601")
        if parsed.isna().any():
            bad = ts[parsed.isna()].iloc[0]
            raise DataError(f"{source}: column 'timestamp' must be date-times (ISO 8601), got {bad!r}")
        ts = parsed
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    if ts.isna().any():
        raise DataError(f"{source}: column 'timestamp' has empty values")
    future = ts > now
    if future.any():
        raise DataError(f"{source}: timestamp {ts[future].iloc[0]} is in the future "
                        f"(now {now:%Y-%m-%d %H:%M} UTC)")
    dup = ts.duplicated()
    if dup.any():
        raise DataError(f"{source}: duplicated timestamp {ts[dup].iloc[0]}")
    return ts if ts.dtype == "datetime64[ns]" else ts.astype("datetime64[ns]")


def _numbers(df: pd.DataFrame, source: Path, params: Params) -> None:
    optional = [c for c in (params.features.target, "prediction") if c in df]
    for col in [*params.features.columns, *optional]:
        s = df[col]
        if s.isna().all():
            raise DataError(f"{source}: column {col!r} is entirely empty (all NaN)")
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
            got = repr(bad.iloc[0]) if len(bad) else "no numbers"
            raise DataError(f"{source}: column {col!r} must be numeric, got {got} (dtype {s.dtype})")


def _categories(df: pd.DataFrame, source: Path, known: dict[str, set[float]]) -> None:
    for col, values in known.items():
        seen = pd.unique(df[col].dropna())
        unseen = sorted(v for v in seen if v not in values)
        if unseen:
            known_text = ", ".join(f"{float(v):g}" for v in sorted(values))
            raise DataError(f"{source}: column {col!r} has unseen category {float(unseen[0]):g}; "
                            f"known values are [{known_text}] "
                            "(drift.categories in params.yaml, else the reference)")


def known_categories(reference: pd.DataFrame, params: Params) -> dict[str, set[float]]:
    """Allowed values per categorical: drift.categories when listed, else those in the reference."""
    return {col: set(params.drift.categories.get(col) or pd.unique(reference[col].dropna()))
            for col in params.features.categorical}


def validate(df: pd.DataFrame, source: Path, params: Params, known: dict[str, set[float]],
             now: pd.Timestamp) -> pd.DataFrame:
    """One batch checked and normalised (timestamp as naive UTC datetime64), without copying it."""
    _columns(df, source, params)
    _numbers(df, source, params)
    _categories(df, source, known)
    ts = _timestamps(df, source, now)
    if ts is not df[TIMESTAMP]:
        df[TIMESTAMP] = ts
    return df


def batch_files(path: Path) -> list[Path]:
    if not path.exists():
        raise DataError(f"{path}: not found; give a .parquet/.csv file or a folder of them")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and not p.name.startswith("."))
        if not files:
            raise DataError(f"{path}: no .parquet or .csv batches in the folder")
        return files
    if path.suffix not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; expected .parquet or .csv")
    return [path]


def read_current(path: Path, params: Params, reference: pd.DataFrame,
                 now: pd.Timestamp | None = None) -> pd.DataFrame:
    """The current window from `path`, validated batch by batch, then as a whole (in file order)."""
    now = now or pd.Timestamp.now(tz="UTC").tz_localize(None)
    known = known_categories(reference, params)
    frames, sources = [], []
    for file in batch_files(Path(path)):
        frames.append(validate(_read(file), file, params, known, now))
        sources.append(file)
    if len(frames) == 1:
        window = frames[0]
    else:
        window = pd.concat(frames, ignore_index=True)
        dup = window[TIMESTAMP].duplicated()
        if dup.any():
            first = int(dup.to_numpy().argmax())
            owner = sources[next(i for i, n in enumerate(_ends(frames)) if first < n)]
            raise DataError(f"{owner}: duplicated timestamp {window[TIMESTAMP].iloc[first]} "
                            f"(also in another batch of {path})")
    check_size(window, path, params)
    return window


def _ends(frames: list[pd.DataFrame]) -> list[int]:
    total, out = 0, []
    for f in frames:
        total += len(f)
        out.append(total)
    return out


def check_size(window: pd.DataFrame, source: Path | str, params: Params) -> None:
    if len(window) < params.drift.min_rows:
        raise DataError(f"{source}: the window holds {len(window)} rows; a drift decision needs at least "
                        f"drift.min_rows={params.drift.min_rows}")
