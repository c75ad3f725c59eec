"""The monitor's history: what each run decided for each week, kept beside the production store.

One JSON file, `<store>/monitor-history.json` (read and written through fsspec, like the store),
holding one row per monitored week: window, rows, labeled rows, measured and estimated error,
the quality baseline and tolerance, drift scores per feature/target/prediction, the decision and
its reasons, the deployed model, the run, the evidence verdict and the retraining PR. A run
replaces the rows of the weeks it re-checked with the same deployed model (any stored row of that
model overlapping a new row's window), so re-running the same weeks never duplicates them. A
file that is not such a history (corrupt, foreign, or from a newer schema) is refused in one line
and never overwritten.

Schema 1. Later fields are added as optional keys; readers ignore keys they do not know, and
`SCHEMA` grows only when a key changes meaning. `estimate_unreliable` (optional): a week whose
label-free estimate was judged unreliable (drift/reliability.py) has `estimated: null` and here
the reason and the number not shown; rows without the key read as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from staleguard.errors import DataError

NAME = "monitor-history.json"
FORMAT = "staleguard-monitor-history"
SCHEMA = 1
Row = dict[str, Any]


class HistoryError(DataError):
    """The history file exists but is not a history this version can extend."""


def url_of(store_url: str) -> str:
    """Where the history of a store lives: beside its batches (`<store>/monitor-history.json`)."""
    return f"{store_url.rstrip('/')}/{NAME}"


def parse(text: bytes | str, source: str) -> list[Row]:
    """The rows of a history file's text; a HistoryError naming `source` when it is not one."""
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise HistoryError(f"{source}: not a staleguard monitor history (not JSON: {err}); "
                           "move it away, the monitor never overwrites it") from err
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HistoryError(f"{source}: not a staleguard monitor history (no \"format\": "
                           f"{FORMAT!r}); move it away, the monitor never overwrites it")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise HistoryError(f"{source}: schema_version {version!r} is not a positive integer")
    if version > SCHEMA:
        raise HistoryError(f"{source}: history schema {version} is newer than this staleguard "
                           f"reads ({SCHEMA}); upgrade staleguard")
    rows = doc.get("weeks")
    if not isinstance(rows, list) or not all(_valid(r) for r in rows):
        raise HistoryError(f"{source}: \"weeks\" must be a list of rows with ISO \"start\" < "
                           "\"end\"; the file is corrupt, move it away")
    return rows


def _valid(row: Any) -> bool:
    try:
        return isinstance(row, dict) and datetime.fromisoformat(row["start"]) < \
            datetime.fromisoformat(row["end"])
    except (KeyError, TypeError, ValueError):
        return False


def dumps(rows: list[Row]) -> str:
    return json.dumps({"format": FORMAT, "schema_version": SCHEMA, "weeks": rows}, indent=1,
                      sort_keys=False) + "\n"


def _span(row: Row) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"])


def _overlap(a: Row, b: Row) -> bool:
    (lo, hi), (start, end) = _span(a), _span(b)
    return lo < end and start < hi


def merge(old: list[Row], new: Iterable[Row]) -> list[Row]:
    """`old` with the weeks of `new` merged in, by start. A week belongs to the model deployed when
    it was first checked (the one that served it): a re-run by that model replaces its rows
    (idempotent), a later model's re-check of it (a retrained model's evaluation week, a
    rollback) leaves them alone."""
    new = [r for r in new
           if not any(_overlap(r, o) and o["model_version"] != r["model_version"] for o in old)]
    kept = [o for o in old if not any(_overlap(o, r) for r in new)]
    return sorted(kept + new, key=lambda r: r["start"])


def _fs(url: str) -> tuple[Any, str]:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as err:
        raise HistoryError(f"{url}: unsupported URL ({err})") from err
    return fs, str(path)


def read(url: str) -> list[Row]:
    """The rows stored at `url` ([] when there is no file yet)."""
    fs, path = _fs(url)
    try:
        if not fs.exists(path):
            return []
        data = fs.cat_file(path)
    except Exception as err:  # botocore/OS errors: unreachable
        raise HistoryError(f"{url}: cannot read the monitor history ({type(err).__name__}: {err})") from err
    return parse(data, url)


def write(url: str, rows: list[Row]) -> None:
    """Replace the file at `url` whole: temp + rename locally, one PUT on object stores."""
    from staleguard.io import write_text

    fs, path = _fs(url)
    text = dumps(rows)
    if "://" not in url or url.startswith("file://"):
        write_text(path, text)
        return
    try:
        fs.pipe_file(path, text.encode())
    except Exception as err:
        raise HistoryError(f"{url}: cannot write the monitor history ({type(err).__name__}: {err})") from err


def append(url: str, rows: Iterable[Row]) -> list[Row]:
    """Merge `rows` into the history at `url` (refusing a file that is not one); all rows after."""
    merged = merge(read(url), rows)
    write(url, merged)
    return merged


def update(url: str, starts: set[str], fields: Row, model_version: str | None = None) -> int:
    """Set `fields` on the stored rows whose start is in `starts` (and, given, of that deployed
    model: a run's weeks, not another model's): the retrain's PR. How many rows."""
    rows = read(url)
    hits = [r for r in rows if r["start"] in starts
            and model_version in (None, r.get("model_version"))]
    for row in hits:
        row.update(fields)
    if hits:
        write(url, rows)
    return len(hits)


# ---------------------------------------------------------------- rows from a monitor plan
def run_info(env: dict[str, str] | os._Environ[str] = os.environ) -> Row:
    """Which run decided: the Actions run (id, URL) or a local one, and when (UTC)."""
    run_id = env.get("GITHUB_RUN_ID")
    url = (f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env['GITHUB_REPOSITORY']}"
           f"/actions/runs/{run_id}") if run_id and env.get("GITHUB_REPOSITORY") else None
    return {"id": run_id or "local", "url": url,
            "at": datetime.now(UTC).replace(microsecond=0).isoformat()}


def _decision(drift: bool | None) -> str:
    return {True: "drift", False: "no drift", None: "not decided"}[drift]


def rows_from_plan(plan: Row, tolerance: float, run: Row,
                   shadow: dict[str, Row] | None = None, model: str | None = None) -> list[Row]:
    """One history row per window of the monitor's plan (reports/monitor/monitor.json).

    `shadow`: per window start, the served and shadow MAE of the rows both models predicted.
    `model`: a name for the deployed model besides its id (the replay's v1, v2, ...).
    """
    evidence = plan.get("evidence") or {}
    verdict = ({k: evidence.get(k) for k in ("verdict", "metric", "delta", "ci")}
               if evidence else None)
    trigger = plan.get("trigger")
    rows = []
    for w in plan["windows"]:
        quality, est = w.get("quality"), w.get("estimate") or {}
        rows.append({
            "start": w["start"], "end": w["end"], "rows": w["rows"],
            "labeled": w["rows"] if w.get("labeled") is None else w["labeled"],
            "model_version": plan["model_version"], "model": model,
            "decision": _decision(w.get("drift")), "reasons": list(w.get("reasons") or []),
            "measured": quality,
            "estimated": None if est.get("estimated") is None or est.get("reliable") is False
            else {"mae": est["estimated"]},
            "estimate_unreliable": _unreliable(est),
            "baseline": w.get("baseline") or (None if est.get("reference") is None
                                              else {"mae": est["reference"]}),
            "tolerance": tolerance,
            "drift_scores": w.get("scores"),
            "run": {**run, "retrain": bool(plan.get("drift")), "trigger": trigger,
                    "forced": bool(plan.get("forced"))},
            "evidence": verdict,
            "retrain": None,
            "shadow": (shadow or {}).get(w["start"]),
        })
    return rows


def _unreliable(est: Row) -> Row | None:
    """An estimate judged unreliable: why, and the number kept out of `estimated` (so readers that
    predate the key show no number either); None when it was reliable or there was none."""
    if est.get("reliable") is not False:
        return None
    return {"why": est.get("unreliable"), "mae": est.get("estimated"), "raw": est.get("raw"),
            "outside": est.get("outside"), "auc": est.get("auc"), "recent_error": est.get("recent_error")}


def record(store_url: str, plan: Row, tolerance: float, shadow: dict[str, Row] | None = None) -> str:
    """Append this run's weeks to the store's history; the history's URL."""
    url = url_of(store_url)
    append(url, rows_from_plan(plan, tolerance, run_info(), shadow))
    return url
