"""Where the pipeline's outputs live: one copy, mirrored in dvc.yaml's deps and outs."""

from pathlib import Path

PREPARED = Path("artifacts/prepared")
TRAIN_SET = PREPARED / "train.parquet"
EVAL_SET = PREPARED / "eval.parquet"
MODEL = Path("artifacts/model.skops")
ESTIMATOR = Path("artifacts/estimator.skops")  # the label-free error estimator (drift/estimate.py)
REFERENCE_SUMMARY = Path("artifacts/reference.json")  # the training window summarised (docs/scale.md)
REPORTS = Path("reports")
MONITOR_REPORTS = REPORTS / "monitor"  # the monitor's own outputs: never a DVC stage's (gitignored)
METRICS = REPORTS / "metrics.json"
PLOTS = REPORTS / "plots"
PREDICTIONS = PLOTS / "predictions.csv"
IMPORTANCE = PLOTS / "importance.csv"
