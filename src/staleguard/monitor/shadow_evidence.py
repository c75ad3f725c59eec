"""Live evidence for a shadow model: the served and the shadow predictions of the same labeled rows.

Serving logs a shadow model's predictions beside the served ones; /actuals labels both, the served
rows at the store root (what the monitor reads) and the shadow's in `<store>/shadow/`, in the same
batch format. This module pairs them by row id (contract.key) and compares the two models with
the PR gate's paired verdict (staleguard.verdict), for the monitor's job summary and
`staleguard registry show`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP, dedupe, id_column
from staleguard.monitor import store
from staleguard.params import Params

SHADOW = "shadow"


def shadow_url(store_url: str) -> str:
    return f"{store_url.rstrip('/')}/{SHADOW}"


def read_labeled(url: str, params: Params) -> pd.DataFrame | None:
    """Every labeled row of the batches in `url` (latest batch wins per row id); None if none."""
    try:
        refs = store.list_batches(url)
    except store.StoreError:
        return None
    frames = [store.read_batch(r, params) for r in refs]
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame[params.features.target].notna()]
    return dedupe(frame, params) if len(frame) else None


def paired_rows(served: pd.DataFrame, shadow: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Rows both models predicted, paired by row id (contract.key: the period, or the key column /
    row_id, never the time alone when many rows share it): timestamp, actual, each prediction and
    each model id."""
    ident, logged = id_column(params), [store.PREDICTION, store.MODEL_VERSION]
    mine = [*dict.fromkeys([TIMESTAMP, ident]), *logged, params.features.target]
    return served[mine].merge(shadow[[ident, *logged]], on=ident, suffixes=("", "_shadow"))


def compare(pairs: pd.DataFrame, params: Params) -> list[dict[str, Any]]:
    """Per (served, shadow) model pair: rows, live MAE of each, and the paired verdict of the shadow
    (challenger) against the served model (champion) on the PR gate's metric and settings."""
    from staleguard.verdict import paired_verdict

    target, out = params.features.target, []
    keys = [store.MODEL_VERSION, f"{store.MODEL_VERSION}_shadow"]
    for (served_id, shadow_id), part in pairs.groupby(keys, sort=False):
        actual = part[target].to_numpy(dtype=float)
        served = part[store.PREDICTION].to_numpy(dtype=float)
        shadow = part[f"{store.PREDICTION}_shadow"].to_numpy(dtype=float)
        verdict = paired_verdict(actual, served, shadow, part[TIMESTAMP].to_numpy(), params.report)
        out.append({"served": served_id, "shadow": shadow_id, "rows": len(part),
                    "first": part[TIMESTAMP].min().isoformat(), "last": part[TIMESTAMP].max().isoformat(),
                    "mae_served": float(np.mean(np.abs(actual - served))),
                    "mae_shadow": float(np.mean(np.abs(actual - shadow))),
                    "verdict": verdict.to_dict()})
    return out


def pairs(store_url: str, params: Params) -> pd.DataFrame | None:
    """The labeled rows both the served and the shadow model predicted; None without a shadow."""
    shadow = read_labeled(shadow_url(store_url), params)
    served = read_labeled(store_url, params) if shadow is not None else None
    if shadow is None or served is None:
        return None
    return paired_rows(served, shadow, params)


def live(store_url: str, params: Params) -> list[dict[str, Any]]:
    """The comparisons for a store; empty when no shadow was logged and labeled."""
    found = pairs(store_url, params)
    return [] if found is None else compare(found, params)


def weekly(found: pd.DataFrame | None, windows: list[dict[str, Any]], target: str
           ) -> dict[str, dict[str, Any]]:
    """Per monitored window (by its ISO start): both models' MAE on the rows both predicted."""
    out: dict[str, dict[str, Any]] = {}
    if found is None or found.empty:
        return out
    ts = found[TIMESTAMP]
    for w in windows:
        part = found[(ts >= pd.Timestamp(w["start"])) & (ts < pd.Timestamp(w["end"]))]
        if part.empty:
            continue
        actual = part[target].to_numpy(dtype=float)
        out[w["start"]] = {
            "served": str(part[store.MODEL_VERSION].iloc[-1]),
            "shadow": str(part[f"{store.MODEL_VERSION}_shadow"].iloc[-1]), "rows": len(part),
            "mae_served": float(np.mean(np.abs(actual - part[store.PREDICTION].to_numpy(dtype=float)))),
            "mae_shadow": float(np.mean(np.abs(
                actual - part[f"{store.PREDICTION}_shadow"].to_numpy(dtype=float))))}
    return out


def interval(verdict: dict[str, Any]) -> str:
    ci = verdict.get("ci")
    return "–" if not ci else f"[{ci[0]:+.1%}, {ci[1]:+.1%}]"


def markdown(rows: list[dict[str, Any]]) -> str:
    """A table for the job summary; empty text when there is nothing to compare."""
    if not rows:
        return ""
    lines = ["### Live: served model vs shadow, on the same labeled rows", "",
             "| served | shadow | rows | from – to | MAE served | MAE shadow | shadow vs served | CI |",
             "|---|---|---:|---|---:|---:|---|---|"]
    for r in rows:
        v = r["verdict"]
        lines.append(f"| `{r['served']}` | `{r['shadow']}` | {r['rows']} | {r['first'][:13]} – "
                     f"{r['last'][:13]} | {r['mae_served']:.2f} | {r['mae_shadow']:.2f} | "
                     f"**{v['verdict']}** ({v['metric']} {change(v)}) | {interval(v)} |")
    lines += ["", "_Paired day-block bootstrap on the same rows, as in the PR gate (`report:` in "
              "params.yaml); \"better\" means the shadow would have served better._"]
    return "\n".join(lines) + "\n"


def change(verdict: dict[str, Any]) -> str:
    return "–" if verdict.get("delta") is None else f"{verdict['delta']:+.1%}"


def lines(store_url: str, params: Params, versions: dict[str, str]) -> list[str]:
    """One line per served/shadow pair for `staleguard registry show` (model ids → versions)."""
    if "://" not in store_url and not Path(store_url).is_dir():
        return []

    def name(model_id: str) -> str:
        return f"{model_id} ({versions.get(model_id, 'unregistered')})"

    out = []
    for pair in live(store_url, params):
        v = pair["verdict"]
        out.append(f"live ({store_url}): served {name(pair['served'])} MAE {pair['mae_served']:.2f} vs "
                   f"shadow {name(pair['shadow'])} MAE {pair['mae_shadow']:.2f} on {pair['rows']} rows: "
                   f"shadow {v['verdict']} ({v['metric']} {change(v)}, "
                   f"{v['confidence']:.0%} CI {interval(v)})")
    return out
