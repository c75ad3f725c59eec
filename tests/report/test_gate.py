"""The PR's gate: walk-forward of main's recipe vs the PR's when the history allows, else one
window; gate.json and `staleguard report gate`."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from staleguard.cli import main
from staleguard.params import load_params
from staleguard.report.gate import NOT_COMPARED, SINGLE, WALK_FORWARD, base_params, decide
from tests.conftest import ROOT, clone_seed, run, zip_path

TREE = yaml.safe_load((ROOT / "params.yaml").read_text())


def params_with(tmp_path: Path, train: dict | None = None, windows: dict | None = None):
    """params.yaml with the real hour.csv under tmp_path and the given train/windows changes."""
    raw = tmp_path / "hour.csv"
    if not raw.exists():
        raw.write_bytes(zipfile.ZipFile(zip_path()).read("hour.csv"))
    tree = {**TREE, "data": {**TREE["data"], "raw": str(raw),
                             "batches": str(tmp_path / "none")},
            "train": {**TREE["train"], **(train or {})}, "windows": windows or TREE["windows"]}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(tree))
    return load_params(tmp_path / "p.yaml"), tree


MAY = {"train": {"start": "2011-04-26", "end": "2011-05-24"},
       "eval": {"start": "2011-05-24", "end": "2011-05-31"}}


@pytest.mark.slow
def test_gate_walks_forward_when_the_history_allows_and_reads_worse(tmp_path):
    _, main_tree = params_with(tmp_path, windows=MAY)
    pr, _ = params_with(tmp_path, train={"n_est": 2, "min_split": 200}, windows=MAY)
    gate = decide(pr, main_tree, None, None)
    assert gate.basis == WALK_FORWARD and gate.verdict.folds == 4 and gate.fits == 8
    assert gate.verdict.verdict == "worse" and gate.verdict.ci[0] > 0.02 and not gate.passed
    d = gate.to_dict()
    assert d["weeks"][-1] == ["2011-05-24T00:00:00", "2011-05-31T00:00:00"]
    assert {"metric", "verdict", "delta", "ci", "confidence", "rows", "folds", "method"} <= set(d)


def test_the_worked_example_walks_forward_over_at_least_three_folds(tmp_path):
    """Issue 20: the default params (expanding folds inside the history the PR may see) give
    the worked example's one-month training window a walk-forward, not one window."""
    _, tree = params_with(tmp_path)
    pr, _ = params_with(tmp_path, train={"seed": 7})
    gate = decide(pr, tree, None, None)
    assert gate.basis == WALK_FORWARD and gate.verdict.folds >= 3, gate
    assert gate.weeks[-1].end == pr.windows.eval.end and gate.weeks[0].start >= pr.windows.train.start
    assert gate.verdict.verdict == "no clear difference" and gate.passed   # seed noise


def test_the_same_recipe_is_not_compared_with_itself(tmp_path):
    """Issue 31: identical fits on every fold used to read "no clear difference … too small to
    matter" with a zero-width CI; no fold is fitted and the gate says the backtest cannot see it."""
    pr, tree = params_with(tmp_path)
    gate = decide(pr, tree, None, None)
    assert gate.basis == NOT_COMPARED and gate.verdict.verdict == "not compared" and gate.passed
    assert gate.fits == 0 and gate.verdict.ci is None and gate.verdict.folds == 4
    assert "the params are the same" in gate.verdict.note


def test_gate_falls_back_to_one_window_and_says_why(tmp_path):
    short = {"train": {"start": "2011-01-01", "end": "2011-01-08"},
             "eval": {"start": "2011-01-08", "end": "2011-01-15"}}
    pr, tree = params_with(tmp_path, windows=short)
    gate = decide(pr, tree, None, __import__("pandas").DataFrame({"cnt": []}))
    assert gate.basis == SINGLE and gate.verdict.verdict == "not enough data"
    assert re.search(r"holds 1 week\(s\) whose training windows fit; a walk-forward needs 2",
                     gate.why)


def test_base_params_explains_a_base_the_pr_code_cannot_read():
    assert base_params(None) == (None, "the base has no params.yaml")
    params, why = base_params({**TREE, "train": {**TREE["train"], "novel": 1}})
    assert params is None and "train.novel" in why


@pytest.mark.parametrize(("passed", "code"), [(True, 0), (False, 1)])
def test_report_gate_exits_by_the_verdict(tmp_path, capsys, passed, code):
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"passed": passed, "verdict": "worse", "metric": "mae",
                                "note": "the whole 90% CI is beyond +2.0%"}))
    assert main(["report", "gate", "--file", str(gate)]) == code
    if not passed:
        err = capsys.readouterr().err
        assert err.startswith("staleguard: error: gate fails: mae verdict 'worse'")
        assert len(err.strip().splitlines()) == 1


def test_report_gate_without_a_result_fails_in_one_line(tmp_path, capsys):
    assert main(["report", "gate", "--file", str(tmp_path / "none.json")]) == 1
    assert "none.json: no readable gate result" in capsys.readouterr().err


def set_train(repo: Path, **values: object) -> None:
    text = (repo / "params.yaml").read_text()
    for key, value in values.items():
        text = re.sub(rf"(?m)^(  {key}:\s*)\S+", rf"\g<1>{value}", text, count=1)
    (repo / "params.yaml").write_text(text)


@pytest.mark.slow
def test_report_pr_writes_gate_json_seed_noise_passes_a_crippled_forest_fails(reproduced, env, tmp_path):
    """End to end in a template copy: main has run (results committed); a seed-only PR, then a 2-tree PR."""
    project = clone_seed(reproduced, tmp_path / "repo")
    run(["git", "checkout", "-qb", "pr"], project, env)
    report = ["staleguard", "report", "pr", "--base", "main", "--output", "reports/pr/report.md"]
    gate_cmd = ["staleguard", "report", "gate"]
    for change, verdict, code in (({"seed": 7}, "no clear difference", 0),
                                  ({"seed": 42, "n_est": 2, "min_split": 200}, "worse", 1)):
        set_train(project, **change)
        run(["dvc", "repro", "-q", "evaluate"], project, env)  # the drift stage is not needed
        out = run(report, project, env).stdout
        gate = json.loads((project / "reports/pr/gate.json").read_text())
        assert gate["verdict"] == verdict and gate["basis"] == WALK_FORWARD, (gate, out)
        assert gate["folds"] >= 3
        assert run(gate_cmd, project, env, check=False).returncode == code
        text = (project / "reports/pr/report.md").read_text()
        assert text.count("| metric |") == 1 and f"{verdict}**" in text.split("\n\n")[1]
        assert (project / "reports/pr/report.full.md").exists()
    assert gate["ci"][0] > 0.02 and gate["folds"] == 4 and gate["days"] == 28


def test_weekly_folds_of_monthly_rows_fall_back_to_one_window_and_say_why(tmp_path):
    """Issue 31: weekly folds of a monthly panel fit the history but hold no rows; `report pr`
    died with IndexError in render.headline. It now names the setting and renders."""
    from staleguard.report.render import Context, headline
    from tests.test_sizes import PARAMS, panel

    panel().to_csv(tmp_path / "panel.csv", index=False)
    tree = {**PARAMS, "data": {"raw": str(tmp_path / "panel.csv"), "batches": str(tmp_path / "none")}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(tree))
    pr = load_params(tmp_path / "p.yaml")
    assert pr.report.backtest.folds == 4
    gate = decide(pr, tree, None, None)
    assert gate.basis == SINGLE and gate.weeks == []
    assert gate.why == ("only 0 of the 4 weeks before 2005-01-01 (report.backtest.folds 4) hold a "
                        "labeled row; a walk-forward needs 2 (data coarser than weekly: set "
                        "report.backtest.folds: 0)")
    text = headline(Context(base="main", base_sha="0" * 40, params_old=tree, params_new=tree,
                            metrics_old=None, metrics_new={}, gate=gate), "main")
    assert "A walk-forward backtest was not possible: only 0 of the 4 weeks" in text
