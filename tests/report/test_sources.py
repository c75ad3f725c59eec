"""Reading the base ref without checking it out: git show, dvc.lock hashes, drift outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from staleguard.errors import ConfigError, ModelError
from staleguard.report import sources
from tests.conftest import run


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    run(["git", "init", "-q", "-b", "main"], tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text('{"mae": 1.5}')
    (tmp_path / "params.yaml").write_text("train: {n_est: 100}\n")
    run(["git", "add", "-A"], tmp_path)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"], tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_resolve_refuses_a_ref_that_is_not_here(repo):
    with pytest.raises(ConfigError, match=r"--base 'origin/main': no such git ref here; fetch it "
                                          r"first \(actions/checkout with fetch-depth: 0"):
        sources.resolve("origin/main")
    assert len(sources.resolve("main")) == 40


def test_show_reads_files_at_the_base_and_none_when_absent(repo):
    (repo / "reports" / "metrics.json").write_text('{"mae": 9.9}')
    assert sources.json_at("main", "reports/metrics.json") == {"mae": 1.5}
    assert sources.yaml_at("main", "params.yaml") == {"train": {"n_est": 100}}
    assert sources.json_at("main", "reports/nope.json") is None
    assert sources.predictions_at("main") is None


def test_json_at_path_names_the_missing_workspace_file(repo):
    with pytest.raises(ConfigError, match=r"reports/none.json: not found; run `dvc repro` before "
                                          r"`staleguard report pr`"):
        sources.json_at_path(Path("reports/none.json"))
    (repo / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match=r"bad.json: not valid JSON"):
        sources.json_at_path(Path("bad.json"))


def test_fetch_model_reports_why_the_base_model_is_unavailable(repo, tmp_path):
    reason = sources.fetch_model("main", tmp_path / "m.skops")
    assert reason and ":" in reason


def test_drift_outputs_are_empty_without_the_drift_stage(tmp_path):
    assert sources.drift_outputs(tmp_path) == {}
    (tmp_path / "drift.json").write_text(json.dumps({"drift": False, "share": 0.1}))
    found = sources.drift_outputs(tmp_path)
    assert found["json"]["share"] == 0.1 and found["plots"] == []


def test_report_pr_cli_fails_in_one_line_on_a_missing_base(repo, capsys):
    from staleguard.cli import main

    params = Path(__file__).resolve().parents[2] / "params.yaml"
    code = main(["--params", str(params), "report", "pr", "--base", "nope", "--output", "r.md"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("staleguard: error: --base 'nope': no such git ref here")
    assert len(err.strip().splitlines()) == 1
    assert not (repo / "r.md").exists()


def test_report_pr_without_pipeline_outputs_says_to_run_repro(repo):
    from staleguard.params import load_params
    from staleguard.report.pr import champion_vs_challenger

    params = load_params(Path(__file__).resolve().parents[2] / "params.yaml")
    with pytest.raises(ModelError, match=r"not found; run `dvc repro` first"):
        champion_vs_challenger(sources.resolve("main"), params)
