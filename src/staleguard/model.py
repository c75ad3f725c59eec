"""Build the estimator named in params.yaml, and save/load it in a format that runs no code.

Models are stored with skops, never pickle: loading resolves only an allow-list of scikit-learn
and numpy types, so a model file pulled from a remote cannot execute arbitrary code.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from staleguard.errors import ModelError
from staleguard.io import atomic_path, write_json
from staleguard.params import Contract, Features, TrainParams

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.", "collections.OrderedDict", "scipy.sparse.")


ENCODE, UNKNOWN_CODE = "encode", -1   # pipeline step that encodes text; the code of an unseen value


def build_estimator(train: TrainParams, features: Features, contract: Contract | None = None
                    ) -> RegressorMixin:
    """The estimator for `train.estimator`, seeded. Trees take raw numeric columns; text categories
    (contract `type: str`) are encoded inside the saved pipeline (ordinal codes in the contract's
    order, unseen values -1), and `train.missing: impute` puts a median imputer before them, so
    serving needs nothing but the pipeline. Ridge always gets scaled and one-hot encodings."""
    text = contract.text(features.columns) if contract is not None else []
    common = {"random_state": train.seed}
    if train.estimator == "ridge":
        num: Any = StandardScaler()
        if train.missing == "impute":
            num = Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                            ("scale", num)])
        encode = ColumnTransformer([
            ("num", num, features.numerical),
            ("cat", OneHotEncoder(handle_unknown="ignore"), features.categorical),
        ])
        return Pipeline([(ENCODE, encode), ("ridge", Ridge())])
    model: RegressorMixin
    if train.estimator == "random_forest":
        model = RandomForestRegressor(n_estimators=train.n_est, min_samples_split=train.min_split,
                                      n_jobs=-1, **common)
    elif train.estimator == "extra_trees":
        model = ExtraTreesRegressor(n_estimators=train.n_est, min_samples_split=train.min_split,
                                    n_jobs=-1, **common)
    else:
        model = GradientBoostingRegressor(n_estimators=train.n_est,
                                          min_samples_split=train.min_split, **common)
    if not text and train.missing == "native":
        return model  # numbers only, no gaps to impute: no encoding step, the same model file as before
    if contract is None:
        raise ModelError("train.missing: impute needs the contract to build the pipeline")
    steps: list[tuple[str, Any, list[str]]] = []
    if text:
        cats = [list(contract.columns[n].categories or []) for n in text]
        missing = -2 if train.missing == "impute" else float("nan")
        steps.append(("text", OrdinalEncoder(categories=cats, handle_unknown="use_encoded_value",
                                             unknown_value=UNKNOWN_CODE, encoded_missing_value=missing,
                                             dtype=float), text))
    rest = [c for c in features.columns if c not in text]
    impute: Any = (SimpleImputer(strategy="median", keep_empty_features=True)
                   if train.missing == "impute" else "passthrough")
    steps.append(("rest", impute, rest))
    encode = ColumnTransformer(steps, verbose_feature_names_out=False)
    return Pipeline([(ENCODE, encode), ("model", model)])


def fit_in_order(model: Any, x: Any, y: Any, **fit_params: Any) -> Any:
    """Fit `model` on every core, then leave it predicting on one, so its sums run in tree order.

    A forest fitted with `n_jobs=-1` has the same trees whatever the thread count (each tree is
    seeded before the fan-out), but its `predict` adds the trees' outputs in whatever order the
    threads finish: the same model on the same rows gave predictions a few ulps apart, so the
    reference summary, the label-free estimator (fitted on out-of-fold errors) and drift.html
    changed bytes on a re-run, and a near-constant model's predictions split into many values.
    """
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    if "n_jobs" in last.get_params():
        last.set_params(n_jobs=-1)
    return in_order(model.fit(x, y, **fit_params))


def numbers(values: Any) -> np.ndarray:
    """`values` as a numpy array of numbers: integers and floats as they are (no copy of a large
    column of counts), anything else as floats."""
    array = np.asarray(values)
    return array if array.dtype.kind in "iuf" else array.astype(float)


def mape_defined(actual: Any) -> bool:
    """MAPE divides by the actual: every report shows it only when every actual is above zero."""
    values = numbers(actual)
    return bool(values.size) and bool(values.min() > 0)  # a NaN minimum compares False, as before


def save_model(model: Any, path: Path, meta: dict[str, Any]) -> None:
    """Write the model (skops) and its metadata (JSON beside it, `<name>.json`) atomically."""
    import skops.io as sio

    with atomic_path(path) as tmp:
        tmp.write_bytes(canonical_skops(sio.dumps(model)))
    write_json(meta_path(path), meta)


def canonical_skops(data: bytes) -> bytes:
    """The same skops archive with stable bytes: same model in, same file (and DVC hash) out.

    skops names its nodes and array files after `id()` (memory addresses) and stamps the zip
    entries with the current time, so every save of an identical model hashed differently and a
    fresh clone's `dvc repro` rewrote `dvc.lock`. Ids are renumbered in the order the schema
    lists them and entries get a fixed timestamp.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    order: dict[int, int] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("__id__"), int):
                order.setdefault(node["__id__"], len(order) + 1)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def rename(name: str) -> str:
        stem, dot, ext = name.partition(".")
        return f"{order[int(stem)]}{dot}{ext}" if stem.isdigit() and int(stem) in order else name

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {key: rewrite(value) for key, value in node.items()}
            if isinstance(node.get("__id__"), int):
                out["__id__"] = order[node["__id__"]]
            if isinstance(node.get("file"), str):
                out["file"] = rename(node["file"])
            return out
        if isinstance(node, list):
            return [rewrite(value) for value in node]
        return node

    collect(schema)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        entries = {rename(i.filename): (i, src.read(i))
                   for i in src.infolist() if i.filename != "schema.json"}
        entries["schema.json"] = (src.getinfo("schema.json"),
                                  json.dumps(rewrite(schema), indent=2).encode())
        for name in sorted(entries):
            info, payload = entries[name]
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, payload)
    return buffer.getvalue()


def meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _untrusted(types: list[str]) -> list[str]:
    return [t for t in types if not t.startswith(TRUSTED_PREFIXES)]


def load_model(path: Path) -> Any:
    """Load a skops model, refusing pickles and any type outside scikit-learn/numpy."""
    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: model not found; run `dvc pull` or `dvc repro train`")
    try:
        types = sio.get_untrusted_types(file=path)
    except Exception as err:  # zip/JSON errors: the file is not a skops model
        raise ModelError(f"{path}: not a skops model file ({type(err).__name__}: {err}); "
                         "plain pickles are refused because they can run arbitrary code") from err
    refused = _untrusted(types)
    if refused:
        raise ModelError(f"{path}: refusing to load untrusted types {refused}")
    try:
        model = sio.load(path, trusted=types)
    except Exception as err:
        raise ModelError(f"{path}: corrupt model file ({type(err).__name__}: {err})") from err
    return in_order(model)


def in_order(model: Any) -> Any:
    """`model` predicting on one thread (a model saved before fit_in_order, or not by it)."""
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    if "n_jobs" in getattr(last, "get_params", dict)():
        last.set_params(n_jobs=1)
    return model


def load_meta(path: Path) -> dict[str, Any]:
    meta = meta_path(Path(path))
    try:
        doc: dict[str, Any] = json.loads(meta.read_text())
        return doc
    except FileNotFoundError as err:
        raise ModelError(f"{meta}: model metadata not found beside the model") from err
    except json.JSONDecodeError as err:
        raise ModelError(f"{meta}: not valid JSON ({err})") from err
