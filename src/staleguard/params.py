"""params.yaml → typed, validated settings, read once and passed down.

Importing this module has no side effects; `load_params` is the only reader of params.yaml.
"""

from __future__ import annotations

import difflib
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from staleguard.errors import ConfigError

PARAMS_FILE = Path("params.yaml")
TIMESTAMP_COLUMN = "timestamp"   # the built time column every stage, batch and request carries
MOVED = {  # settings that moved into the contract: one line saying where, instead of "extra input"
    "drift.columns": "contract.columns.<column>.drift",
    "drift.categories": "contract.columns.<column>.categories",
    "serve.limits": "contract.columns.<column>.range",
    "timestamp.unique": "contract.key (timestamp | <a key column> | none)",
}
KEY_TIMESTAMP, KEY_NONE = "timestamp", "none"   # contract.key: what identifies a row
WINDOW_SETTINGS_MOVED = {  # the window policy's settings, once under `monitor:`: still read there
    "window_days": "week_days",   # (monitor.<old> → windows.<new>), with a one-line note at load
    "reference": "reference",
    "retrain": "retrain",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def refuse_moved(data: Any, section: str) -> Any:
    """A setting that moved into the contract is an error naming its new place (not 'extra input')."""
    for key in data if isinstance(data, dict) else ():
        new = MOVED.get(f"{section}.{key}")
        if new:
            raise ValueError(f"{key} moved to {new} (docs/contract.md)")
    return data


def move_window_settings(raw: Any) -> tuple[Any, list[tuple[str, str]]]:
    """params.yaml as read, with window settings left at their old place under `monitor:` moved
    into `windows:`, and the (old, new) names moved. Both places set is an error: which one
    counts would be a guess."""
    mon, win = (raw.get("monitor"), raw.get("windows")) if isinstance(raw, dict) else (None, None)
    if not isinstance(mon, dict) or not isinstance(win, dict | None):
        return raw, []  # a malformed section: its own validation names it
    mon, win, moved = dict(mon), dict(win or {}), []
    for old, new in WINDOW_SETTINGS_MOVED.items():
        if old not in mon:
            continue
        if new in win:
            raise ValueError(f"monitor.{old} and windows.{new} are both set; monitor.{old} moved to "
                             f"windows.{new}: delete monitor.{old}")
        win[new] = mon.pop(old)
        moved.append((f"monitor.{old}", f"windows.{new}"))
    return ({**raw, "monitor": mon, "windows": win}, moved) if moved else (raw, [])


def moved_note(path: Path, moved: list[tuple[str, str]]) -> str:
    """The one line saying that settings were read from their old place."""
    old, new = (", ".join(names) for names in zip(*moved, strict=True))
    them = "them" if len(moved) > 1 else "it"
    return f"{path}: {old} moved to {new} (read from there; move {them} to silence this note)"


class Window(_Strict):
    """A half-open time interval [start, end) on the timestamp."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"window end {self.end:%Y-%m-%d} must be after start {self.start:%Y-%m-%d}")
        return self

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end

    def label(self) -> str:
        return f"[{self.start:%Y-%m-%d %H:%M}, {self.end:%Y-%m-%d %H:%M})"


class DataParams(_Strict):
    """Where the raw data comes from: a download checked by sha256 (`staleguard data fetch`), or,
    without `url`, a file you put at `raw` and track with `dvc add`."""

    url: str | None = None
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    member: str | None = None  # the file to extract when `url` is a zip/tar; None: url is the file
    raw: Path = Path("data/hour.csv")
    batches: Path = Path("data/batches")

    @model_validator(mode="after")
    def _url_with_checksum(self) -> DataParams:
        if (self.url is None) != (self.sha256 is None):
            raise ValueError("give url and sha256 together (a download is always checked), or neither "
                             "(the raw file is added with `dvc add`)")
        return self


class RetrainWindows(_Strict):
    """What a retrain trains on (docs/monitor.md): eval = the last `eval_weeks`; train = the
    `train_weeks` before it (sliding), or everything since windows.train.start (all), or that
    with recency weights halving every `half_life_weeks` (weighted)."""

    policy: Literal["sliding", "all", "weighted"] = "sliding"
    train_weeks: int = Field(12, ge=1)
    eval_weeks: int = Field(1, ge=1)
    half_life_weeks: float = Field(8.0, gt=0)


class ReferencePolicy(_Strict):
    """What the drift check compares a week with (docs/monitor.md), independent of what the model
    trained on: the whole training window, its last `weeks`, or the same weeks a year earlier."""

    policy: Literal["training", "recent", "last_year"] = "recent"
    weeks: int = Field(4, ge=1)


class Windows(_Strict):
    """The window policy's settings, in one section (data/windows.py applies them): the deployed
    model's training and evaluation windows, the week grid, the drift reference and what a
    retrain trains on."""

    train: Window
    eval: Window
    week_days: int = Field(7, ge=1)    # the grid: weeks of this many days from train.end
    reference: ReferencePolicy = ReferencePolicy()
    retrain: RetrainWindows = RetrainWindows()

    @model_validator(mode="after")
    def _disjoint(self) -> Windows:
        if self.train.overlaps(self.eval):
            raise ValueError(
                f"windows.train {self.train.label()} and windows.eval {self.eval.label()} overlap; "
                "the evaluation window must not contain training rows"
            )
        return self


class Features(_Strict):
    numerical: list[str]
    categorical: list[str]
    target: str

    @model_validator(mode="after")
    def _no_leaks(self) -> Features:
        cols = self.numerical + self.categorical
        if self.target in cols:
            raise ValueError(f"features must not include {[self.target]}: they leak the target "
                             f"{self.target!r}")
        if len(set(cols)) != len(cols):
            raise ValueError("a column is listed twice in features.numerical/categorical")
        if not cols:
            raise ValueError("features lists no columns")
        return self

    @property
    def columns(self) -> list[str]:
        return [*self.numerical, *self.categorical]


class ModelParams(_Strict):
    """What the model is, in words: its model card and model.json say it (dvc.yaml's artifact
    entry stays generic, so adopting other data is a params change)."""

    description: str = "Regression model"


class TrainParams(_Strict):
    seed: int = 42
    n_est: int = Field(100, ge=1)
    min_split: int = Field(2, ge=2)
    estimator: Literal["random_forest", "extra_trees", "gradient_boosting", "ridge"] = "random_forest"
    min_rows: int = Field(100, ge=1)  # fewer training rows: `train` refuses to fit a model
    missing: Literal["native", "impute"] = "native"   # nullable features: the estimator takes NaN
                                      # (forests) | the pipeline imputes (median; any estimator)

    @property
    def takes_nan(self) -> bool:
        """Whether the fitted pipeline accepts NaN features (forests natively, or imputation)."""
        return self.missing == "impute" or self.estimator in ("random_forest", "extra_trees")


class MonitorParams(_Strict):
    """The production store and the monitor's knobs (docs/monitor.md)."""

    store: str = "production"         # folder or fsspec URL (s3://bucket/prefix)
    min_rows: int = Field(100, ge=1)   # fewer labeled rows: reported, not decided (>= drift.min_rows)
    base_branch: str = "main"          # retraining PRs target this branch
    html: bool = True                  # Evidently HTML of the published window (~10 s)
    engine: Literal["pandas", "duckdb", "spark"] = "pandas"  # where window summaries are computed
    spark_master: str = "local[2]"     # engine spark: the master when no SparkSession is active
    batch_rows: int = Field(1_000_000, ge=1000)  # engine duckdb/spark: rows per summarised batch
    # when a retraining PR opens (monitor/retrain_rule.py): drift | evidence | evidence_weekly
    retrain_when: Literal["drift", "evidence", "evidence_weekly"] = "evidence_weekly"
    label_delay_days: int = Field(0, ge=0)  # an actual counts once timestamp + label_delay + this <= now
    evidence_windows: int = Field(8, ge=1)  # the retraining evidence scores the latest this many windows
    # when a row's actual exists after its timestamp (30min, 1h, 1d); default: one contract.timestamp.freq
    label_delay: str | None = Field(None, pattern=r"^\d+\s*(s|min|h|d)$")

    def label_lag(self, freq: str) -> timedelta:
        """How long after its timestamp a row's actual exists (label_delay, else one period)."""
        from staleguard.cadence import period_seconds

        return timedelta(seconds=period_seconds(self.label_delay or freq) or 3600)


class ComputeParams(_Strict):
    """What the long commands (monitor evidence, PR backtest, replay) may hold in memory."""

    fit_cache_mb: float = Field(1024, ge=0)   # fitted models kept for reuse (0: none; fit_cache.py)


class ServeAuth(_Strict):
    """Who may call the server (docs/deploy-and-serve.md, "Security"). The token itself never goes
    in params.yaml: it comes from $STALEGUARD_TOKEN or a file ($STALEGUARD_TOKEN_FILE, token_file)."""

    token_file: str | None = None       # a file holding the token(s), one a line: a mounted secret
    predict: bool = False               # /predict needs the token too (/actuals does once one is set)
    allow_no_token: bool = False        # listen on a non-loopback address with no token (logged)


class ServeParams(_Strict):
    """Real-time and batch serving (docs/deploy-and-serve.md); predictions go to monitor.store."""

    model: str = "auto"                 # auto (prod, else the workspace model), a stage, version or path
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_rows: int = Field(10_000, ge=1)       # rows per /predict request
    flush_rows: int = Field(1_000, ge=1)      # the prediction log writes a batch at this many rows...
    flush_seconds: float = Field(5.0, gt=0)   # ...or this often, whichever comes first
    chunk_rows: int = Field(100_000, ge=1)    # `staleguard predict` reads its input in chunks of this
    follow: bool = False                # watch the registry and swap in each new model at the stage
    follow_every: float = Field(60.0, gt=0)  # seconds between checks of the origin's tags
    shadow: str | None = None           # a second model scoring each request off the request path
    max_body_bytes: int = Field(8_000_000, ge=1024)  # larger request bodies get 413
    timeout: float = Field(30.0, gt=0)  # seconds per request, then 503
    journal: str | None = None          # local folder of logged rows not yet in the store
    buffer_rows: int = Field(100_000, ge=1)  # rows held in memory when the journal cannot be written
    retry_seconds: float = Field(30.0, gt=0)  # longest wait between two tries of an unreachable store
    corrections: Literal["refuse", "replace"] = "refuse"  # a logged id repeated: 409, or replace it
    auth: ServeAuth = ServeAuth()

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return refuse_moved(data, "serve")


class DriftMethod(_Strict):
    """A drift method and the score at or above which a column counts as drifted (all are distances)."""

    method: Literal["wasserstein", "jensenshannon", "psi"]
    threshold: float = Field(gt=0)


class DriftOverride(_Strict):
    method: Literal["wasserstein", "jensenshannon", "psi"] | None = None
    threshold: float | None = Field(None, gt=0)


class DriftTriggers(_Strict):
    """Which findings alone make `drift: true` (docs/drift.md explains the defaults)."""

    data: bool = False        # share of drifted features >= drift.share
    target: bool = True       # the actuals' distribution moved
    prediction: bool = True   # the model's outputs moved
    quality: bool = True      # measured error grew beyond drift.quality.tolerance
    estimate: bool = True     # no labels yet: the estimated error grew beyond it (one-sided)


class DriftQuality(_Strict):
    metric: Literal["mae", "rmse"] = "mae"
    tolerance: float = Field(0.5, ge=0)    # tolerated relative increase over the reference quality
    folds: int = Field(4, ge=2)             # time blocks for the reference's out-of-sample quality


class DriftEstimate(_Strict):
    """When the label-free estimate is trusted, and its recalibration (drift/reliability.py)."""

    max_outside: float = Field(0.05, ge=0, le=1)  # share of rows outside the reference's range
    rare_category: float = Field(0.05, ge=0, lt=1)  # a category on at most this share of the
                                                  # reference's rows counts as outside (a holiday)
    max_auc: float = Field(0.95, ge=0.5, le=1)    # domain classifier AUC (1: not computed)
    max_recent_error: float = Field(0.15, ge=0)   # its error on the latest labeled weeks
    max_ratio: float = Field(1.25, ge=1)          # recalibration beyond ×this or ÷this: the estimator is off
    weeks: int = Field(3, ge=1)                   # latest labeled weeks: ratio and recent error
    ignore: list[str] = []                        # features left out of support and domain classifier
                                                  # (besides those derived from the timestamp)
    require_labels: bool = False                  # true: no labeled week yet = unreliable
    sample_rows: int = Field(1000, ge=10)         # rows per side for the domain classifier


class DriftParams(_Strict):
    """The drift decision (docs/drift.md): methods, thresholds, triggers, quality tolerance."""

    min_rows: int = Field(100, ge=2)
    share: float = Field(0.5, gt=0, le=1)
    numerical: DriftMethod = DriftMethod(method="wasserstein", threshold=0.2)
    categorical: DriftMethod = DriftMethod(method="jensenshannon", threshold=0.1)
    target: DriftMethod = DriftMethod(method="wasserstein", threshold=0.3)
    prediction: DriftMethod = DriftMethod(method="wasserstein", threshold=0.3)
    triggers: DriftTriggers = DriftTriggers()
    quality: DriftQuality = DriftQuality()
    estimate: DriftEstimate = DriftEstimate()
    sample_rows: int = Field(200_000, ge=1000)
    seed: int = 0
    false_alarm: float = Field(0.05, ge=0, lt=1)  # per column: the chance a same-distribution window
                                                  # is flagged (the noise bar); 0 = thresholds alone
    null_draws: int = Field(400, ge=50)           # same-distribution draws per window size (drift/noise.py)

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return refuse_moved(data, "drift")

    @model_validator(mode="after")
    def _distances_only_where_defined(self) -> DriftParams:
        if self.categorical.method == "wasserstein":
            raise ValueError("categorical.method wasserstein is for numerical columns; "
                             "use jensenshannon or psi")
        return self


class Backtest(_Strict):
    """Walk-forward origins for comparing two training recipes (docs/pr-workflow.md)."""

    folds: int = Field(4, ge=0)            # K weekly origins; 0 = single-window comparison only
    policy: Literal["sliding", "expanding"] = "expanding"  # expanding: all labeled history
                                                           # before the week (>= 1 week); sliding:
                                                           # the recipe's windows.train length


class ReportParams(_Strict):
    """The PR comment and the paired verdict (docs/pr-workflow.md): gate metric, confidence,
    equivalence margin, tolerance and the minimum evidence a verdict needs."""

    metric: Literal["mae", "rmse", "mape", "r2"] = "mae"   # the gate metric
    tolerance: float = Field(0.02, ge=0)   # `worse` only when the whole CI is beyond this (relative)
    margin: float = Field(0.01, ge=0)      # `better` only when the whole CI is beyond -margin
    confidence: float = Field(0.9, gt=0, lt=1)   # two-sided confidence of the interval
    min_rows: int = Field(100, ge=1)       # fewer paired rows: `not enough data`
    min_days: int = Field(5, ge=2)         # fewer distinct days (bootstrap blocks): `not enough data`
    n_boot: int = Field(2000, ge=100)      # day-block bootstrap resamples
    seed: int = 0                          # bootstrap seed: the same rows give the same verdict
    undecided: Literal["pass", "fail"] = "pass"  # gate on `no clear difference` / `not enough data`
    backtest: Backtest = Backtest()
    max_rows: int = Field(30, ge=1)        # longer params/metrics tables are cut with a note
    images: Literal["auto", "github-branch", "cml"] = "auto"   # where the comment's plots live
    title: str = "staleguard model report"  # the comment's heading
    baseline: Literal["median", "hour_median", "none"] = "median"   # the naive model shown beside them


class ReplayVariant(_Strict):
    """A named policy with its own window settings (unset: as in `windows:`)."""

    policy: Literal["never", "weekly", "monitor"]
    window: Literal["sliding", "all", "weighted"] | None = None       # windows.retrain.policy
    train_weeks: int | None = Field(None, ge=1)                       # windows.retrain.train_weeks
    reference: Literal["training", "recent", "last_year"] | None = None  # windows.reference.policy
    retrain_when: Literal["drift", "evidence", "evidence_weekly"] | None = None  # monitor.retrain_when


class ReplayParams(_Strict):
    """`staleguard replay` (docs/replay.md): the closed loop over the held-back weeks, per policy."""

    end: datetime = datetime(2013, 1, 1)   # replay the weeks from windows.train.end up to this date
    policies: list[Literal["never", "weekly", "monitor"]] = ["never", "weekly", "monitor"]
    variants: dict[str, ReplayVariant] = {}  # more policies by name, e.g. weekly-all: {policy: weekly, ...}
    label_delays_weeks: list[int] = [0]     # every retraining policy is replayed with each label delay
    out: Path = Path("reports")            # freshness.{png,md,json}

    @model_validator(mode="after")
    def _delays(self) -> ReplayParams:
        bad = [d for d in self.label_delays_weeks if d < 0]
        delays = self.label_delays_weeks
        if bad or not delays or len(set(delays)) != len(delays):
            raise ValueError(f"label_delays_weeks {self.label_delays_weeks} must list distinct weeks >= 0")
        clash = sorted(set(self.variants) & {"never", "weekly", "monitor"})
        if clash or any("@" in name for name in self.variants):
            raise ValueError(f"variants {sorted(self.variants)}: a name must not be a policy or contain '@'")
        return self

    @model_validator(mode="after")
    def _policies(self) -> ReplayParams:
        if not self.policies:
            raise ValueError("policies lists none; expected some of never, weekly, monitor")
        if len(set(self.policies)) != len(self.policies):
            raise ValueError(f"policies {self.policies} lists a policy twice")
        return self

# The data contract (docs/contract.md): the data described once; src/staleguard/contract/ generates
# every validator from it (raw data, production batches, drift windows, predict files, the API).

CalendarField = Literal["year", "quarter", "month", "day", "dayofyear", "hour", "dayofweek"]
FREQ = re.compile(r"^(\d+)\s*(s|min|h|d)$")
FREQ_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


class Derived(_Strict):
    """A calendar field computed from the timestamp: value = field(timestamp) - offset.

    `dayofweek` counts 0..6 from Monday (pandas) unless `sunday` gives Sunday's code: with
    `sunday: 0`, Sunday is 0, Monday 1 … Saturday 6.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: CalendarField = Field(alias="from")
    offset: int = 0
    sunday: int | None = Field(None, ge=0, le=6)

    @model_validator(mode="after")
    def _sunday_for_dayofweek_only(self) -> Derived:
        if self.sunday is not None and self.source != "dayofweek":
            raise ValueError(f"sunday applies to `from: dayofweek` only, not {self.source!r}")
        return self


class TimestampSpec(_Strict):
    """How the raw data gives each row's time: one datetime `column`, or a `date` column plus an
    `hour` column (hour of day). Every other role carries the built column, named `timestamp`."""

    column: str | None = None
    date: str | None = None
    hour: str | None = None
    format: str | None = None      # strptime format of the text in `column`/`date` (default ISO 8601)
    freq: str = "1h"               # one row per period: batch coverage is counted in these

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return refuse_moved(data, "timestamp")

    @model_validator(mode="after")
    def _one_source(self) -> TimestampSpec:
        if (self.column is None) == (self.date is None):
            raise ValueError("give either `column` (one datetime column) or `date` (+ optional `hour`)")
        if self.hour is not None and self.date is None:
            raise ValueError("`hour` needs a `date` column to add it to")
        if not FREQ.match(self.freq):
            raise ValueError(f"freq {self.freq!r} must look like 1h, 15min, 1d or 30s")
        return self

    @property
    def period_seconds(self) -> int:
        m = FREQ.match(self.freq)
        if m is None:  # unreachable: checked at load
            raise ValueError(f"freq {self.freq!r} must look like 1h, 15min, 1d or 30s")
        return int(m[1]) * FREQ_SECONDS[m[2]]


class ColumnSpec(_Strict):
    """One column: its type, the values it may take, whether it may be empty, how it is derived."""

    type: Literal["int", "float", "str"]
    range: tuple[float, float] | None = None       # [min, max], inclusive
    categories: list[float] | list[str] | None = None   # the only values allowed (str: required)
    unknown: Literal["refuse", "encode"] = "refuse"  # str: a value outside categories in a batch,
                                                   # a predict file or a request (never the raw data)
    nullable: bool = False
    derived: Derived | None = None                 # must equal this calendar field of the timestamp
    drift: DriftOverride | None = None             # method/threshold when the column is a feature

    @model_validator(mode="after")
    def _values(self) -> ColumnSpec:
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range {list(self.range)}: min is above max")
        if self.type == "str":
            if self.categories is not None and (not self.categories
                                                or not all(isinstance(v, str) for v in self.categories)):
                raise ValueError("a str column lists its allowed values as text: categories: [a, b, ...]")
            if self.range is not None or self.derived is not None:
                raise ValueError("a str column takes categories only (no range, not derived)")
            return self
        if self.unknown != "refuse":
            raise ValueError("unknown: encode applies to str columns only")
        if self.categories is not None:
            if not self.categories or not all(isinstance(v, int | float) for v in self.categories):
                raise ValueError(f"categories {self.categories} of a {self.type} column must be numbers")
            if self.type == "int" and any(v != int(v) for v in self.categories):
                raise ValueError(f"categories {self.categories} of an int column must be whole numbers")
        return self


class BatchChecks(_Strict):
    """Checks of production batches beyond their columns (docs/monitor.md)."""

    min_rows: int = Field(1, ge=1)                    # fewer rows in one batch file: refused
    min_coverage: float = Field(0.5, ge=0, le=1)      # share of the periods its name spans that hold a row
    before_training: Literal["refuse", "allow"] = "refuse"   # rows older than windows.train.start


class Contract(_Strict):
    """The data, described once (docs/contract.md)."""

    timestamp: TimestampSpec
    columns: dict[str, ColumnSpec]
    key: str = KEY_TIMESTAMP                    # what identifies a row: timestamp (unique) | a key
                                                # column (an event/request id) | none (rows stand alone)
    ignore: list[str] = []                      # raw columns dropped on read; never features
    extra: Literal["refuse", "drop"] = "refuse"  # columns the contract does not describe
    batches: BatchChecks = BatchChecks()

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        if TIMESTAMP_COLUMN in self.columns:
            raise ValueError(f"columns: {TIMESTAMP_COLUMN!r} is built from contract.timestamp; "
                             "do not list it as a column")
        both = sorted(set(self.ignore) & set(self.columns))
        if both:
            raise ValueError(f"ignore lists {both}, which columns also describes")
        for name in (self.timestamp.column, self.timestamp.date):
            if name is not None and name in self.columns:
                raise ValueError(f"timestamp source {name!r} is consumed to build the timestamp; "
                                 "do not list it in columns")
        if self.key not in (KEY_TIMESTAMP, KEY_NONE):
            spec = self.columns.get(self.key)
            if spec is None or spec.type == "float" or spec.nullable:
                raise ValueError(f"key {self.key!r} must be timestamp, none, or a non-nullable int/str "
                                 "column of contract.columns")
        return self

    @property
    def key_column(self) -> str | None:
        """The key column, when rows are identified by one (not by the timestamp, not `none`)."""
        return None if self.key in (KEY_TIMESTAMP, KEY_NONE) else self.key

    @property
    def unique_timestamp(self) -> bool:
        return self.key == KEY_TIMESTAMP

    def text(self, names: list[str]) -> list[str]:
        """The str (text category) columns among `names`."""
        return [n for n in names if n in self.columns and self.columns[n].type == "str"]


class Params(BaseModel):
    """All settings; an unknown section or key anywhere is a load error (a misspelt `monitr:` would
    otherwise run on the defaults without a word)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: DataParams
    windows: Windows
    features: Features
    contract: Contract
    train: TrainParams
    model: ModelParams = ModelParams()
    drift: DriftParams = DriftParams()
    monitor: MonitorParams = MonitorParams()
    serve: ServeParams = ServeParams()
    report: ReportParams = ReportParams()
    replay: ReplayParams = ReplayParams()
    compute: ComputeParams = ComputeParams()

    @model_validator(mode="before")
    @classmethod
    def _sizes_from_frequency(cls, data: Any) -> Any:
        """Window settings at their old place moved (load_params notes it); then window sizes and
        quality folds params leave out, derived from the data's frequency."""
        from staleguard import cadence

        data = move_window_settings(data)[0]
        return cadence.derived(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _plans_can_run(self) -> Params:
        """Settings that cannot work together at the data's frequency: one line naming them."""
        from staleguard import cadence

        problems = cadence.problems(self.windows, self.contract, self.train, self.monitor, self.drift)
        if problems:
            raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _engine_supports_the_monitor(self) -> Params:
        problem = engine_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _columns_are_described(self) -> Params:
        """Every column a setting names is checked here, at load, the same way (docs/contract.md)."""
        f, c = self.features, self.contract
        leaks = [n for n in f.columns if n in c.ignore]
        if leaks:
            raise ValueError(f"features must not include {leaks}: contract.ignore lists them "
                             f"(they leak the target {f.target!r})")
        for role, names in (("features.numerical", f.numerical), ("features.categorical", f.categorical),
                            ("features.target", [f.target])):
            unknown = [n for n in names if n not in c.columns]
            if unknown:
                raise ValueError(f"{role} names {unknown}, which contract.columns does not describe")
        if c.columns[f.target].nullable:
            raise ValueError(f"contract.columns.{f.target}.nullable is true, but {f.target!r} is "
                             "features.target: every row of data.raw needs its target (production "
                             "rows wait for theirs without it); set nullable: false and leave "
                             "unlabeled rows out of data.raw")
        numeric_text = [n for n in f.numerical if c.columns[n].type == "str"]
        if numeric_text:
            raise ValueError(f"features.numerical lists text column(s) {numeric_text}; list them in "
                             "features.categorical")
        if c.key_column in f.columns:
            raise ValueError(f"contract.key {c.key!r} identifies rows; it must not be a feature")
        nullable = [n for n in f.columns if c.columns[n].nullable and c.columns[n].type != "str"]
        if nullable and not self.train.takes_nan:
            raise ValueError(f"features {nullable} are nullable but train.estimator {self.train.estimator} "
                             "does not take NaN; set train.missing: impute")
        open_text = [n for n in f.categorical if c.columns[n].type == "str" and not c.columns[n].categories]
        if open_text:
            raise ValueError(f"text feature(s) {open_text} need their allowed values: "
                             "contract.columns.<column>.categories")
        for name in f.categorical:
            over = c.columns[name].drift
            if over is not None and over.method == "wasserstein":
                raise ValueError(f"contract.columns.{name}.drift.method wasserstein is for numerical "
                                 "features; use jensenshannon or psi")
        return self


def engine_problem(params: Params) -> str | None:
    """The monitor features a summary engine (monitor.engine duckdb|spark) cannot give, as one
    line naming both settings (docs/scale.md lists them). Summaries are built from labeled rows
    against one reference frozen at train, so a label delay, a reference chosen per window and
    the label-free estimate (which scores unlabeled rows) need the rows: engine pandas."""
    mon, engine = params.monitor, params.monitor.engine
    if engine == "pandas":
        return None
    if mon.label_delay_days:
        return (f"monitor.engine {engine} cannot honour monitor.label_delay_days {mon.label_delay_days} "
                "(summaries count labeled rows only; docs/scale.md): use engine pandas or delay 0")
    if params.windows.reference.policy == "last_year":
        return (f"monitor.engine {engine} cannot honour windows.reference.policy last_year (one "
                "reference summary is frozen at train; docs/scale.md): use training or recent")
    if params.drift.triggers.estimate:
        return (f"monitor.engine {engine} cannot honour drift.triggers.estimate true (the label-free "
                "estimate scores unlabeled rows; docs/scale.md): set it false or use engine pandas")
    return None


def with_engine(params: Params, engine: str, flag: str = "--engine") -> Params:
    """`params` with monitor.engine replaced (a command's --engine), refused as at load."""
    changed = params.model_copy(update={"monitor": params.monitor.model_copy(update={"engine": engine})})
    problem = engine_problem(changed)
    if problem:
        raise ConfigError(f"{flag} {engine}: {problem}")
    return changed


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    """Read and validate params.yaml; any problem becomes one ConfigError naming the file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: not found; run from the project root") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from err
    try:
        moved = move_window_settings(raw)[1]
    except ValueError:
        moved = []  # both places set: validation says so
    try:
        params = Params.model_validate(raw)
    except ValidationError as err:
        unknown = unknown_keys(err)
        if unknown:
            raise ConfigError(f"{path}: {unknown}") from err
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = first["msg"] if where else first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {where}: {msg}" if where else f"{path}: {msg}") from err
    missing = untracked(raw, path.parent / "dvc.yaml")
    if missing:
        keys = [k for k, _ in missing if not any(k.startswith(f"{o}.") for o, _ in missing)]
        what = ", ".join(f"{k} (stage {dict(missing)[k]!r})" for k in keys)
        add = ", ".join(additions(params, raw, [k for k, _ in missing]))
        raise ConfigError(f"{path}: dvc.yaml tracks {what}, which {path.name} leaves out; DVC stops on "
                          f"a missing tracked param: add {add} (the defaults)")
    if moved:
        print(moved_note(path, moved), file=sys.stderr)
    return params


def untracked(raw: Any, dvc_yaml: Path) -> list[tuple[str, str]]:
    """(key, stage) for each param `dvc_yaml` tracks that params.yaml as read leaves out: staleguard
    takes its default, DVC refuses to run the stage ("Parameters ... are missing")."""
    try:
        stages = yaml.safe_load(dvc_yaml.read_text()).get("stages") or {}
    except (OSError, yaml.YAMLError, AttributeError):
        return []  # no pipeline beside it (a fixture, a scratch file): nothing DVC would track
    out: list[tuple[str, str]] = []
    for stage, spec in stages.items():
        for key in (k for k in (spec or {}).get("params", []) if isinstance(k, str)):
            node = raw
            for part in key.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node is None and key not in dict(out):
                out.append((key, stage))
    return out


def additions(params: Params, raw: Any, keys: list[str]) -> list[str]:
    """What to add for the tracked `keys` params.yaml leaves out, with their defaults: `model: {}`
    for a whole section, `monitor: {engine: pandas, ...}` for a missing section whose keys a stage
    tracks one by one, `drift.min_rows: 100` for a key of a section that is there."""
    out = []
    for top in dict.fromkeys(k.split(".")[0] for k in keys):
        subs = [k for k in keys if k.startswith(f"{top}.")]
        if isinstance(raw, dict) and isinstance(raw.get(top), dict):
            out += [f"{k}: {_flow(_default(params, k))}" for k in subs]
            continue
        nested: dict[str, Any] = {}
        for key in subs:
            *parents, last = key.split(".")[1:]
            node = nested
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = _default(params, key)
        out.append(f"{top}: {_flow(nested)}")
    return out


def _default(params: Params, key: str) -> Any:
    value: Any = params
    for part in key.split("."):
        value = getattr(value, part)
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _flow(value: Any) -> str:
    """`value` as one line of YAML."""
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return text.removesuffix("\n...").strip()


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The settings class that holds the keys at `loc` (mappings such as contract.columns.<name>
    are stepped through), or None when `loc` does not lead to one."""
    model: type[BaseModel] = Params
    i = 0
    while i < len(loc):
        field = model.model_fields.get(str(loc[i]))
        if field is None:
            return None
        inner: Any = field.annotation
        while not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            args = [a for a in get_args(inner) if a is not type(None)]
            if not args:
                return None
            if get_origin(inner) is dict:
                i += 1  # the mapping's key (a column name)
            inner = args[-1]
        model, i = inner, i + 1
    return model


def unknown_keys(err: ValidationError) -> str | None:
    """One line naming every unknown section or key, with "did you mean" where one is close."""
    parts = []
    for e in err.errors():
        if e["type"] != "extra_forbidden":
            continue
        *parent, key = e["loc"]
        name = ".".join(str(p) for p in e["loc"])
        model = _model_at(tuple(parent))
        close = difflib.get_close_matches(str(key), list(model.model_fields), n=1) if model else []
        what = "section" if not parent else "key"
        hint = f" (did you mean {'.'.join([*map(str, parent), close[0]])!r}?)" if close else ""
        parts.append(f"unknown {what} {name!r}{hint}")
    return "; ".join(parts) or None
