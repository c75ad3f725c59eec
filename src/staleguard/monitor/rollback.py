"""Rollback on evidence: is the model promoted last worse, on live labeled data, than its predecessor?

The rows are the labeled production rows the current `prod` model served (store root). The
predecessor's predictions of the same rows come from shadow scoring when it was the shadow
(`<store>/shadow/`), otherwise from re-predicting those rows with the predecessor, fetched by its
dvc.lock hash. The two are compared with the PR gate's paired verdict. Only `worse` (the whole CI
beyond `report.tolerance`) asks for a rollback: one GitHub issue with the evidence and the command,
deduplicated by its title, so a second run opens nothing new.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard import artifacts, gha
from staleguard.contract import TIMESTAMP
from staleguard.errors import DataError, StaleguardError
from staleguard.io import write_json, write_text
from staleguard.monitor import shadow_evidence, store
from staleguard.params import Params

REPORT = artifacts.MONITOR_REPORTS / "rollback"  # .json (the evidence) and .md (the issue body)


@dataclass(frozen=True)
class Evidence:
    """The current and the previous prod model, the paired rows, and the verdict on them."""

    current: str
    previous: str
    current_id: str
    previous_id: str
    source: str
    verdict: dict[str, Any]

    @property
    def worse(self) -> bool:
        return bool(self.verdict["verdict"] == "worse")

    def title(self) -> str:
        return (f"Rollback: prod model {self.current} ({self.current_id}) is worse than "
                f"{self.previous} ({self.previous_id}) on live data")


def compare(rows: pd.DataFrame, previous: pd.Series, target: str, params: Params) -> dict[str, Any]:
    """Paired verdict of the served model (challenger) against the predecessor (champion)."""
    from staleguard.verdict import paired_verdict

    return paired_verdict(rows[target].to_numpy(float), previous.to_numpy(float),
                          rows[store.PREDICTION].to_numpy(float), rows[TIMESTAMP].to_numpy(),
                          params.report).to_dict()


def previous_predictions(rows: pd.DataFrame, previous: Any, store_url: str, params: Params,
                         repo: Path | str) -> tuple[pd.Series, str]:
    """The predecessor's predictions of `rows`: its shadow log if it covers them, else re-predicted."""
    logged = shadow_evidence.read_labeled(shadow_evidence.shadow_url(store_url), params)
    if logged is not None:
        mine = logged[logged[store.MODEL_VERSION] == previous.short_hash].set_index(TIMESTAMP)
        if rows[TIMESTAMP].isin(mine.index).all():
            logged_pred = mine.loc[rows[TIMESTAMP], store.PREDICTION].reset_index(drop=True)
            return logged_pred, "its shadow predictions"
    from staleguard import registry
    from staleguard.model import load_model

    model = load_model(registry.fetch(previous, repo).path)
    pred = model.predict(rows[params.features.columns])
    return pd.Series(pred, dtype=float), f"re-predicting the same rows with {previous.version}"


def evidence(params: Params, store_url: str, repo: Path | str = ".") -> Evidence | None:
    """None when there is nothing to compare (fewer than two prod models, no rows served by prod)."""
    from staleguard import registry

    history = registry.stage_history(registry.STAGE, repo)
    current = history[0][0] if history else None
    previous = next((v for v, _ in history if v != current), None)
    if current is None or previous is None:
        return None
    now, before = registry.find_version(current, repo), registry.find_version(previous, repo)
    labeled = shadow_evidence.read_labeled(store_url, params)
    if labeled is None:
        raise DataError(f"store {store_url}: no labeled production rows; is serving logging actuals?")
    rows = labeled[labeled[store.MODEL_VERSION] == now.short_hash].sort_values(TIMESTAMP)
    if rows.empty:
        return None
    rows = rows.reset_index(drop=True)
    prev, source = previous_predictions(rows, before, store_url, params, repo)
    return Evidence(now.version, before.version, now.short_hash, before.short_hash, source,
                    compare(rows, prev, params.features.target, params))


def markdown(ev: Evidence) -> str:
    """The issue body: verdict, the paired table, how it was measured, and the command."""
    v = ev.verdict
    lines = [f"## {ev.title()}" if ev.worse else f"## Prod model {ev.current}: no rollback",
             "", f"On the labeled production rows that `{ev.current}` served, compared with "
             f"`{ev.previous}` by {ev.source}:", "",
             f"| rows | days | {v['metric']} {ev.previous} | {v['metric']} {ev.current} | change | "
             f"{v['confidence']:.0%} CI | verdict |", "|---:|---:|---:|---:|---:|---|---|",
             f"| {v['rows']} | {v['days']} | {_num(v['champion'])} | {_num(v['challenger'])} | "
             f"{shadow_evidence.change(v)} | {shadow_evidence.interval(v)} | **{v['verdict']}** |", "",
             f"_Method: {v['method']}, the PR gate's paired comparison. `worse` means the whole "
             f"interval is beyond +{v['tolerance']:.0%} (`report.tolerance`)._"]
    if ev.worse:
        lines += ["", "Roll back (servers following `prod` swap at their next poll):", "", "```bash",
                  f"staleguard registry promote {ev.previous}", "git push origin --tags", "```", "",
                  "Close this issue instead if the new model should stay; the next monitor run "
                  "opens no duplicate while this one is open."]
    return "\n".join(lines) + "\n"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def open_issue(title: str, body: Path) -> str:
    """Open the issue unless an open one has this exact title; returns what happened."""
    listed = _gh("issue", "list", "--state", "open", "--limit", "200", "--json", "number,title")
    same = [i for i in json.loads(listed or "[]") if i.get("title") == title]
    if same:
        return f"already open: #{same[0]['number']}"
    return "opened " + _gh("issue", "create", "--title", title, "--body-file", str(body)).strip()


def _gh(*args: str) -> str:
    try:
        proc = subprocess.run(["gh", *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise StaleguardError(f"gh {args[0]} {args[1]}: {err}") from err
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()
        raise StaleguardError(f"gh {args[0]} {args[1]} failed: {last[-1] if last else proc.returncode}")
    return proc.stdout


def run(params: Params, store_url: str | None = None, dry_run: bool = False,
        out: Path = REPORT, repo: Path | str = ".") -> Evidence | None:
    """`staleguard rollback`: measure, write reports/monitor/rollback.{json,md}, open the issue if worse."""
    url = store.resolve(store_url, params)
    ev = evidence(params, url, repo)
    if ev is None:
        text = "No rollback check: prod has no predecessor yet, or no labeled rows it served.\n"
        gha.add_summary(text)
        print(text, end="")
        gha.set_outputs(rollback="false")
        return None
    body = out.with_suffix(".md")
    write_json(out.with_suffix(".json"), {"current": ev.current, "previous": ev.previous,
                                          "source": ev.source, "worse": ev.worse, "verdict": ev.verdict})
    write_text(body, markdown(ev))
    gha.add_summary(markdown(ev))
    done = open_issue(ev.title(), body) if ev.worse and not dry_run else "nothing opened"
    print(f"rollback: {ev.current} vs {ev.previous}: {ev.verdict['verdict']}; {done}")
    gha.set_outputs(rollback=str(ev.worse).lower())
    return ev
