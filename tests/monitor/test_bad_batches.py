"""Every class of broken production batch, through the monitor's real sequence (issue 13).

One project is built per module (template copy, data, `dvc repro train`, pushed to a local DVC
remote, a bare `origin`, the recording `cml` stand-in on PATH, `staleguard simulate` weeks in a
store). Each case replaces one valid weekly batch by its broken variant and runs what
monitor.yml runs: `staleguard monitor --dry-run`, then `staleguard retrain` if it said drift.
Then: exit != 0, one line on stderr naming the file and the problem, no traceback, nothing
merged into data/, nothing pushed, no branch, no PR, the rest of the store untouched, `git
status` clean. The store is restored after each case.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import copy_worktree, data_url, run
from tests.workflows.harness import add_dvc_remote, cml_calls, git, make_origin

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WEEK = "20110215T0000_20110221T2300_simulate.parquet"  # the drifted week: a good batch opens a PR


@dataclass
class Site:
    repo: Path
    store: Path
    remote: Path
    origin: Path
    tmp: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    base = tmp_path_factory.mktemp("bad-batches")
    (base / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STALEGUARD_"))}
    env.update(STALEGUARD_DATA_URL=data_url(), HOME=str(base / "home"), DVC_NO_ANALYTICS="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GITHUB_TOKEN="test-token", CML_SHIM_LOG=str(base / "cml.jsonl"),
               PATH=f"{ROOT / 'tests' / 'workflows' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    repo = copy_worktree(base / "repo")
    remote = add_dvc_remote(repo, base / "remote", env)
    run(["staleguard", "data", "fetch"], repo, env)
    params = repo / "params.yaml"  # speed: 20 trees, no Evidently HTML
    text = params.read_text().replace("\n  html: true", "\n  html: false", 1)
    # every drift opens the PR (as before issue 21): the refusals below must reach `retrain` too
    text = re.sub(r"\n  retrain_when: \w+", "\n  retrain_when: drift", text, count=1)
    params.write_text(text.replace("\n  n_est: 100", "\n  n_est: 20", 1))
    run(["dvc", "repro", "-q", "train"], repo, env)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "data and model")
    run(["dvc", "push", "-q"], repo, env)
    origin = make_origin(repo, base / "origin.git")
    run(["staleguard", "simulate", "--through", "2011-02-28", "--store", str(base / "store")], repo, env)
    assert (base / "store" / WEEK).exists()
    return Site(repo, base / "store", remote, origin, base, env)


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _set(frame: pd.DataFrame, column: str, value: object, row: int = 5) -> pd.DataFrame:
    out = frame.copy()
    if isinstance(value, str):
        out[column] = out[column].astype(str)  # a text column (Parquet holds one type per column)
    elif not isinstance(value, int | float):
        out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


def _garbled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    out.loc[7, "timestamp"] = "2011-02-1x 07:00"
    return out


@dataclass(frozen=True)
class Case:
    make: Callable[[pd.DataFrame, bytes], bytes]  # (valid frame, its bytes) → the broken file
    message: str                                  # regex for the problem, after the file name
    name: str = WEEK                              # the broken file's name in the store


def frame_case(edit: Callable[[pd.DataFrame], pd.DataFrame], message: str) -> Case:
    return Case(lambda frame, _: _parquet(edit(frame)), message)


CASES = {
    # the 17 classes of issue 13
    "missing-column": frame_case(lambda f: f.drop(columns="temp"), r"missing column\(s\) \['temp'\]"),
    "renamed-column": frame_case(lambda f: f.rename(columns={"temp": "temperature"}),
                                 r"missing column\(s\) \['temp'\]"),
    "text-in-numeric": frame_case(lambda f: _set(f, "hum", "humid"),
                                  r"column 'hum' must be numeric, got 'humid'"),
    "all-nan-column": frame_case(lambda f: f.assign(windspeed=np.nan),
                                 r"column 'windspeed' is entirely empty \(all NaN\)"),
    "header-only": frame_case(lambda f: f.iloc[:0], r"holds no rows"),
    "duplicated-hour": frame_case(lambda f: pd.concat([f, f.iloc[3:4]], ignore_index=True),
                                  r"duplicated timestamp 2011-02-15 0\d:00:00"),
    "garbled-timestamp": frame_case(_garbled, r"column 'timestamp' must be date-times \(ISO 8601\), "
                                              r"got '2011-02-1x 07:00'"),
    "empty-file": Case(lambda f, data: b"", r"empty file \(0 bytes\); expected a Parquet file"),
    "not-parquet": Case(lambda f, data: f.to_csv(index=False).encode(), r"not a readable Parquet file \("),
    "truncated": Case(lambda f, data: data[: len(data) // 2], r"not a readable Parquet file \("),
    "extra-column": frame_case(lambda f: f.assign(casual=1), r"unexpected column\(s\) \['casual'\], which "
                                                             r"the contract does not describe"),
    "one-row-named-as-a-week": frame_case(
        lambda f: f.iloc[:1], r"its name says 2011-02-15 00:00 … 2011-02-21 23:00 but its rows span "
                              r"2011-02-15 00:00 … 2011-02-15 00:00"),
    "negative-counts": frame_case(lambda f: f.assign(cnt=-f["cnt"]),
                                  r"column 'cnt' has value -\d+ outside its range \[0, 100000\]"),
    "calendar-contradicts-timestamp": frame_case(
        lambda f: f.assign(mnth=9), r"column 'mnth' is 9 at 2011-02-15 00:00, but the contract derives 2 "
                                    r"from that timestamp \(mnth = month\)"),
    "category-outside-set": frame_case(lambda f: _set(f, "season", 11),
                                       r"column 'season' has unseen category 11; known values are "
                                       r"\[1, 2, 3, 4\]"),
    "inf": frame_case(lambda f: _set(f, "temp", np.inf), r"column 'temp' has value inf outside its range "
                                                         r"\[0, 1\]"),
    "1e300": frame_case(lambda f: _set(f, "hum", 1e300), r"column 'hum' has value 1e\+300 outside its "
                                                         r"range \[0, 1\]"),
    "ten-years-ahead": Case(
        lambda f, _: _parquet(f.assign(timestamp=f["timestamp"] + pd.DateOffset(years=10))),
        r"column 'yr' is 0 at 2021-02-15 00:00, but the contract derives 10 from that timestamp "
        r"\(yr = year - 2011\)"),
    # and those docs/monitor.md lists besides
    "file-name-breaks-convention": Case(lambda f, data: data, r"\['week-8\.parquet'\] refused: names must "
                                                              r"be <first>_<last>_<source>\.parquet",
                                        name="week-8.parquet"),
    "missing-version": frame_case(lambda f: _set(f, "model_version", None),
                                  r"column 'model_version' has 1 missing value\(s\); every row needs one"),
    "missing-prediction": frame_case(lambda f: _set(f, "prediction", np.nan),
                                     r"column 'prediction' has 1 missing value\(s\)"),
    "future-hour": frame_case(lambda f: _set(f, "timestamp", pd.Timestamp("2100-01-01"), row=0),
                              r"timestamp 2100-01-01 00:00:00 is in the future"),
}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        *args: str) -> tuple[int, str]:
    """`staleguard <args>` through the CLI's entry point, in this process (no 2 s of imports per
    case); returns (exit code, stderr). The act test in tests/workflows runs the real process."""
    from staleguard import cli as entry

    for key, value in site.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(site.repo)
    capsys.readouterr()
    code = entry.main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_monitor_refuses_a_bad_batch_and_changes_nothing(site: Site, case: Case, monkeypatch, capsys):
    week = site.store / WEEK
    valid = week.read_bytes()
    broken = case.make(pd.read_parquet(week), valid)
    week.unlink()
    (site.store / case.name).write_bytes(broken)
    store, data, remote = _digest(site.store), _digest(site.repo / "data"), _digest(site.remote)
    head, calls = git(site.repo, "rev-parse", "HEAD"), len(cml_calls(site.tmp))
    try:
        code, err = cli(site, monkeypatch, capsys, "monitor", "--dry-run", "--store", str(site.store))
        plan = site.repo / "reports" / "monitor" / "monitor.json"
        if code == 0 and plan.exists() and json.loads(plan.read_text())["retrain"]["open"]:
            code, err = cli(site, monkeypatch, capsys, "retrain")  # as monitor.yml would
        assert code != 0
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert lines[0].startswith("staleguard: error: ")
        assert case.name in lines[0], lines[0]
        where = "" if case.name != WEEK else rf"{WEEK}: "  # a bad name is the store listing's error
        assert re.search(where + case.message, lines[0]), lines[0]
        assert _digest(site.store) == store
        assert _digest(site.repo / "data") == data and _digest(site.remote) == remote
        assert git(site.repo, "status", "--porcelain") == ""
        assert git(site.repo, "rev-parse", "HEAD") == head
        assert run(["git", "--git-dir", str(site.origin), "branch", "--list", "retrain/*"],
                   site.tmp).stdout.strip() == ""
        assert len(cml_calls(site.tmp)) == calls
    finally:
        (site.store / case.name).unlink(missing_ok=True)
        week.write_bytes(valid)
        git(site.repo, "checkout", "-q", "--", ".")


def test_the_valid_store_does_open_a_retraining_pr(site: Site, monkeypatch, capsys):
    """The control: with the valid week back, the same sequence decides drift (so every refusal
    above is the bad batch's doing, not a store that could never retrain)."""
    code, err = cli(site, monkeypatch, capsys, "monitor", "--dry-run", "--store", str(site.store))
    assert code == 0, err
    assert json.loads((site.repo / "reports" / "monitor" / "monitor.json").read_text())["drift"] is True
    git(site.repo, "checkout", "-q", "--", ".")
    git(site.repo, "clean", "-fdq", "--", "reports")


def test_a_run_that_decided_no_window_says_not_decided_everywhere(site: Site, monkeypatch, capsys, tmp_path):
    """Every window below monitor.min_rows: never 'no drift'. The heading, the exit status
    (NOT_DECIDED), monitor.json (`drift: null`) and the step output all say it was not decided.
    min_rows is a full week of hours (the most a plan may ask, cadence.py) and every tenth logged
    row inside each batch is taken out of the store, so no window reaches it."""
    from staleguard.monitor.monitor_cli import NOT_DECIDED

    strict = tmp_path / "params.yaml"
    strict.write_text((site.repo / "params.yaml").read_text().replace(
        "\n  min_rows: 100               # a window with fewer",
        "\n  min_rows: 168               # a window with fewer", 1))
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    kept = {path: path.read_bytes() for path in site.store.rglob("*.parquet")}
    for path in kept:
        frame = pd.read_parquet(path)
        thin = (frame.index % 10 != 5) | (frame.index == len(frame) - 1)  # keeps the span its name says
        path.write_bytes(_parquet(frame[thin].reset_index(drop=True)))
    try:
        code, err = cli(site, monkeypatch, capsys, "--params", str(strict), "monitor", "--dry-run",
                        "--store", str(site.store))
        assert code == NOT_DECIDED, err
        assert err.startswith("staleguard: not decided: none of the 4 window(s) had monitor.min_rows=168")
        plan = json.loads((site.repo / "reports" / "monitor" / "monitor.json").read_text())
        assert plan["drift"] is None and plan["decision"] == "not decided" and plan["undecided"]
        assert {w["drift"] for w in plan["windows"]} == {None}
        text = (site.repo / "reports" / "monitor" / "monitor.md").read_text()
        assert text.startswith("## Not decided: none of the 4 window(s)") and "No drift" not in text
        assert "drift=null" in outputs.read_text()
    finally:
        for path, valid in kept.items():
            path.write_bytes(valid)
        git(site.repo, "checkout", "-q", "--", ".")
        git(site.repo, "clean", "-fdq", "--", "reports")
