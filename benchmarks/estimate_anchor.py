"""An outside anchor for the label-free estimate: staleguard's DLE beside NannyML's DLE.

    python benchmarks/estimate_anchor.py [--weeks 100]

Same data, reference and weeks as `staleguard replay` (params.yaml): the model of windows.train
(the replay's v1, never retrained), its reference = the training window with out-of-fold
predictions (what both estimators learn the error from), and the replayed weeks from
windows.train.end. Per week: the measured MAE; staleguard's estimate raw and recalibrated with
labels one week late (drift/reliability.py), with its reliability flag; NannyML's DLE (metric mae,
its defaults: LightGBM). Prints the mean |estimate - measured| / measured of each, over all weeks
and over the weeks staleguard marked reliable.

NannyML is not a project dependency: it runs in its own venv, benchmarks/.venv-nannyml (gitignored),
created here on first use with `pip install nannyml` (~2.3 GB; Python <= 3.12), its usage logging
switched off (NML_DISABLE_USAGE_LOGGING).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import fmean

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "benchmarks" / ".venv-nannyml"
PYTHON = VENV / "bin" / "python"


def ensure_venv() -> None:
    """benchmarks/.venv-nannyml with nannyml, made once; the pip error verbatim when it fails."""
    if PYTHON.exists() and subprocess.run([str(PYTHON), "-c", "import nannyml"], env=_env(),
                                          capture_output=True).returncode == 0:
        return
    interpreter = os.environ.get("NANNYML_PYTHON", "python3.11")
    subprocess.run([interpreter, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "nannyml", "statsmodels"], env=_env(),
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"estimate_anchor: pip install nannyml failed in {VENV}:\n{done.stderr.strip()[-2000:]}")


def _env() -> dict[str, str]:
    return {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1", "NML_DISABLE_USER_ANALYTICS": "1"}


def staleguard_side(folder: Path, limit: int) -> list[dict[str, object]]:
    """Fit the v1 model and both estimators' inputs; staleguard's estimates per week. Writes the
    frames NannyML reads to `folder`."""
    from staleguard.data.history import history_frame
    from staleguard.drift.estimate import design, estimate, fit
    from staleguard.drift.quality import out_of_fold
    from staleguard.drift.reliability import calibrated
    from staleguard.params import load_params
    from staleguard.replay.replay_job import weeks_of
    from staleguard.stages import prepare, train

    params = load_params(ROOT / "params.yaml")
    cols, target = params.features.columns, params.features.target
    frame = history_frame(params)
    train_frame, _ = prepare.split(frame[frame["timestamp"] < pd.Timestamp(params.windows.eval.end)], params)
    model = train.train(train_frame, params)
    ordered, oof = out_of_fold(model, train_frame, params)
    estimator = fit(ordered, oof, params)
    ref_pred = model.predict(ordered[cols])
    reference = design(ordered, oof, params).drop(columns="prediction").assign(
        y_pred=oof, y_true=ordered[target].to_numpy(float))
    reference.to_parquet(folder / "reference.parquet")
    rows, labeled, parts = [], [], []
    for start, _end, part in weeks_of(frame, params)[:limit]:
        pred = model.predict(part[cols])
        measured = float(np.mean(np.abs(part[target].to_numpy(float) - pred)))
        blind = estimate(estimator, part.drop(columns=[target]), pred, params, None, (ordered, ref_pred))
        late = calibrated(blind, labeled, params.drift.estimate)  # labels 1 week late: through last week
        labeled.append(estimate(estimator, part, pred, params, None))
        rows.append({"week": f"{start:%Y-%m-%d}", "measured": measured, "raw": blind.estimated,
                     "recalibrated": late.estimated, "reliable": late.reliable, "why": late.unreliable})
        parts.append(design(part, pred, params).drop(columns="prediction").assign(
            y_pred=pred, y_true=np.nan, week=f"{start:%Y-%m-%d}"))
    pd.concat(parts, ignore_index=True).to_parquet(folder / "analysis.parquet")
    return rows


def error(rows: list[dict[str, object]], key: str) -> str:
    errs = [abs(float(r[key]) / float(r["measured"]) - 1) for r in rows]  # type: ignore[arg-type]
    return f"{fmean(errs):6.1%}" if errs else "     –"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weeks", type=int, default=100, help="replayed weeks to score (default: all 100)")
    ap.add_argument("--list", action="store_true", help="also print every week")
    args = ap.parse_args()
    ensure_venv()
    with tempfile.TemporaryDirectory(prefix="estimate-anchor-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        rows = staleguard_side(folder, args.weeks)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        done = subprocess.run([str(PYTHON), str(ROOT / "benchmarks" / "nannyml_dle.py"), str(folder)],
                              env=_env(), capture_output=True, text=True)  # LightGBM's chatter
        if done.returncode:
            sys.exit(f"estimate_anchor: NannyML's DLE failed:\n{done.stderr.strip()[-3000:]}")
        theirs = time.perf_counter() - start
        nml = json.loads((folder / "nannyml.json").read_text())
    for r in rows:
        r["nannyml"] = nml["weeks"][r["week"]]
    reliable = [r for r in rows if r["reliable"]]
    if args.list:
        for r in rows:
            print(f"{r['week']} measured {r['measured']:6.1f}  raw {r['raw']:6.1f}  recalibrated "
                  f"{r['recalibrated']:6.1f}  nannyml {r['nannyml']:6.1f}  "
                  + ("reliable" if r["reliable"] else f"unreliable: {r['why']}"))
    print(f"estimate anchor: {len(rows)} replayed weeks, model of windows.train never retrained, "
          f"nannyml {nml['version']}; load {os.getloadavg()[0]:.1f}")
    print(f"{'mean |est - measured| / measured':<34} {'all weeks':>10} {'reliable weeks':>15}")
    for key, name in (("raw", "staleguard DLE (raw)"), ("recalibrated", "staleguard DLE, recalibrated"),
                      ("nannyml", "NannyML DLE")):
        print(f"{name:<34} {error(rows, key):>10} {error(reliable, key):>15}")
    print(f"weeks marked reliable by staleguard: {len(reliable)} of {len(rows)}")
    print(f"time: staleguard side {ours:.1f} s (model, out-of-fold fits, estimates), NannyML {theirs:.1f} s "
          "(import, fit, estimates)")


if __name__ == "__main__":
    main()
