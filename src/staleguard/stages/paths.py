"""Where the pipeline's outputs live: one copy, mirrored in dvc.yaml's deps and outs."""

from pathlib import Path

PREPARED = Path("artifacts/prepared")
TRAIN_SET = PREPARED / "train.parquet"
EVAL_SET = PREPARED / "eval.parquet"
MODEL = Path("artifacts/model.skops")
REFERENCE_SUMMARY = Path("artifacts/reference.json")  # the training window summarised (docs/scale.md)
REPORTS = Path("reports")
METRICS = REPORTS / "metrics.json"
PLOTS = REPORTS / "plots"
PREDICTIONS = PLOTS / "predictions.csv"
IMPORTANCE = PLOTS / "importance.csv"
