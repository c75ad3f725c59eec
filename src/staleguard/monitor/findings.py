"""What a monitor run adds to its decision, the same on every engine (pandas, DuckDB, Spark):
the retraining evidence when it found drift, and the live shadow comparison when one was served.

Both need labeled rows, not summaries: the evidence refits the retraining recipe week by week (as
the retraining PR then does on the same rows), the shadow pairs two models' rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from staleguard.errors import DataError
from staleguard.monitor import evidence, job_summary, retrain_rule, shadow_evidence, store
from staleguard.monitor.decision import Outcome
from staleguard.params import Params


def read_new_batches(url: str, params: Params) -> tuple[list[store.BatchRef], list[pd.DataFrame]]:
    """Every batch that reaches past the training window, validated; all bad ones named at once."""
    end = params.windows.train.end
    refs = [r for r in store.list_batches(url) if r.last >= end]
    good, frames, bad = [], [], []
    for ref in refs:
        try:
            frames.append(store.read_batch(ref, params))
            good.append(ref)
        except store.StoreError:
            raise
        except DataError as err:
            bad.append(str(err))
    if bad:
        raise DataError(f"{len(bad)} bad batch(es) refused, nothing merged: " + "; ".join(bad))
    return good, frames


def retraining_evidence(outcome: Outcome, plan: dict[str, Any], params: Params, url: str, model: Any,
                        version: str, labeled: pd.DataFrame | None = None) -> str:
    """The retraining evidence into `plan["evidence"]`, and its Markdown, when the rule asks for it
    (retrain_rule.wants_evidence: on drift, or every run with `evidence_weekly`; else ""; one fit
    per week since the training window). `labeled`: the run's production rows when it holds them
    (pandas); else they are read from the store here (summary engines: only when needed)."""
    if not retrain_rule.wants_evidence(params.monitor.retrain_when, outcome):
        return ""
    target = params.features.target
    if labeled is None:
        from staleguard.monitor.decision import new_rows

        labeled = new_rows(read_new_batches(url, params)[1], params.windows.train.end, target,
                           params=params)
    found = evidence.gather(params, labeled[labeled[target].notna()], model)
    plan["evidence"] = found.to_dict()
    return evidence.markdown(found, version, params)


def open_pr(outcome: Outcome, plan: dict[str, Any], params: Params) -> retrain_rule.Opening:
    """Whether the run opens the retraining PR (monitor.retrain_when), written into the plan:
    `retrain.open`, `retrain.why` (the summary's and the PR body's first line), the PR's title."""
    pr = retrain_rule.opening(params.monitor.retrain_when, outcome, plan.get("evidence"), params)
    retrain = plan["retrain"]
    retrain.update(open=pr.open, why=pr.why, basis=pr.basis)
    if pr.open:
        retrain["title"] = pr.why
        retrain["message"] = f"{pr.why}: {retrain['message'].rsplit(': ', 1)[-1]}"
    return pr


def with_shadow(plan: dict[str, Any], text: str, params: Params, url: str
                ) -> tuple[str, pd.DataFrame | None]:
    """`text` with the live shadow comparison (and `plan["shadow"]`) when a shadow was served, and
    the served/shadow pairs (None without a shadow) for the monitor's logbook."""
    found = shadow_evidence.pairs(url, params)
    if live := shadow_evidence.compare(found, params) if found is not None else []:  # same rows
        plan["shadow"] = live
        text = job_summary.clip(f"{text}\n{shadow_evidence.markdown(live)}")
    return text, found
