"""The replay's runs on more than one core, with the fits they share kept together.

A seeded fit is the same wherever it runs, so only one thing decides how runs may be split:
which of them share fits (recipe.FITS). Runs that retrain the same way (weekly
and monitor on one window policy, at every label delay: a delayed run refits what the on-time
one fitted a week or two earlier) form a family and stay in one process. Each process fits and
predicts single-threaded: a forest's `n_jobs` changes its speed, never its trees (and fitted
forests sum them in tree order: model.fit_in_order),
and two processes keep both cores busy where threads fanned out over 168-row weeks did not.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from staleguard.replay import loop

# What one run of a kind costs, relative to a weekly run (the monitor also decides and assesses;
# the stale model only serves); a window growing with the history fits ~4x the rows over 100 weeks.
KIND_COST = {"never": 0.3, "weekly": 1.0, "monitor": 2.0}
GROWING_COST = 3.5


@dataclass
class Played:
    """What one process replayed: each of its runs' weeks, the journal, and what it fitted."""

    weeks: dict[str, list[loop.Week]]                 # by run name, in week order
    journal: list[dict[str, Any]] | None = None
    fitted: list[str] = field(default_factory=list)   # training run ids, once per fit
    assessed: list[str] = field(default_factory=list)  # model ids, once per assessment
    trainer: loop.Trainer | None = None                # kept in-process only (tests)


def family(spec: loop.Spec) -> str:
    """Runs of one family can share fits: the same retrain recipe (window policy, train params)."""
    if spec.kind == "never":
        return "never"
    params = spec.params
    return json.dumps({"retrain": params.windows.retrain.model_dump(mode="json"),
                       "train": params.train.model_dump(mode="json")}, sort_keys=True)


def cost(spec: loop.Spec) -> float:
    growing = spec.kind != "never" and spec.params.windows.retrain.policy != "sliding"
    return KIND_COST.get(spec.kind, 1.0) * (GROWING_COST if growing else 1.0)


def groups(runs: list[loop.Spec], workers: int) -> list[list[int]]:
    """The runs' indexes split into at most `workers` groups of whole families, heaviest family
    first onto the lightest group; each group lists its runs in the replay's order."""
    families: dict[str, list[int]] = {}
    for i, spec in enumerate(runs):
        families.setdefault(family(spec), []).append(i)
    load = [0.0] * max(1, min(workers, len(families)))
    out: list[list[int]] = [[] for _ in load]
    for members in sorted(families.values(), key=lambda m: -sum(cost(runs[i]) for i in m)):
        slot = load.index(min(load))
        out[slot] += members
        load[slot] += sum(cost(runs[i]) for i in members)
    return [sorted(g) for g in out if g]


def default_workers() -> int:
    """One process per core the replay may use (two on the CI runner and the demo machine)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(2, cores or 1))


Pace = Callable[[], AbstractContextManager[Any]]
Job = Callable[[list[int], Callable[[int], None], Pace], Played]


def run(job: Job, parts: list[list[int]], tick: Callable[[int], None]) -> list[Played]:
    """`job(part, tick, pace)` for each part in its own (spawned) process; `tick(k)` in this one
    when every part has finished its week k. A failed part's error is raised here."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    running = ctx.Value("i", len(parts))
    procs = [ctx.Process(target=_work, args=(job, part, slot, queue, running), daemon=True)
             for slot, part in enumerate(parts)]
    for proc in procs:
        proc.start()
    done: dict[int, Played] = {}
    weeks = [0] * len(parts)
    try:
        while len(done) < len(parts):
            try:
                kind, slot, payload = queue.get(timeout=5)
            except Exception:  # queue.Empty: make sure nobody died without a word
                if dead := [i for i, p in enumerate(procs) if not p.is_alive() and i not in done]:
                    raise RuntimeError(f"replay worker {dead[0]} exited with code "
                                       f"{procs[dead[0]].exitcode}") from None
                continue
            if kind == "week":
                before = min(weeks)
                weeks[slot] += 1
                for k in range(before, min(weeks)):
                    tick(k)
            elif kind == "done":
                done[slot] = payload
            else:
                raise payload
        for proc in procs:
            proc.join()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return [done[slot] for slot in range(len(parts))]


def _work(job: Job, part: list[int], slot: int, queue: Any, running: Any) -> None:
    """A worker: the part's runs, a message per finished week, then the result. Single-threaded
    while another part runs; the last one left fans its fits out over the cores again."""
    from joblib import parallel_config

    def pace() -> AbstractContextManager[Any]:  # threads named: the default (loky) is 1 in a worker
        config: AbstractContextManager[Any] = parallel_config(
            backend="sequential" if running.value > 1 else "threading")
        return config

    try:
        played = job(part, lambda _k: queue.put(("week", slot, None)), pace)
        played.trainer = None  # its forests stay here: the parent needs the weeks
        queue.put(("done", slot, played))
    except BaseException as err:  # any failure is the parent's to raise
        queue.put(("error", slot, err if _pickles(err) else
                   RuntimeError("".join(traceback.format_exception(err)))))
        raise
    finally:
        with running.get_lock():
            running.value -= 1


def _pickles(err: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes, just made
    except Exception:  # whatever the exception's own __reduce__ raises
        return False
    return True
