"""The drift stage end to end: `dvc repro` on the real data, the HTML in a real browser, the CLI."""

import json

import pandas as pd
import pytest

from tests.conftest import REPRO_LOG, clone_seed, run
from tests.drift.chromium import console_errors

pytestmark = pytest.mark.slow
OUTPUTS = ["reports/drift.json", "reports/drift.md", "reports/drift.html",
           "reports/plots/drift_scores.png", "reports/plots/drift_distributions.png"]


def test_drift_stage_runs_in_dvc_repro_html_opens_cleanly_and_cli_validates(reproduced, env, tmp_path):
    out = (reproduced / REPRO_LOG).read_text()  # the shared template's `dvc repro` from nothing
    project = clone_seed(reproduced, tmp_path / "repo")
    assert "Running stage 'drift'" in out
    for rel in OUTPUTS:
        assert (project / rel).stat().st_size > 0, rel
    doc = json.loads((project / "reports/drift.json").read_text())
    assert isinstance(doc["drift"], bool) and doc["schema_version"] == 1
    assert doc["rows"]["current"] > 100 and doc["quality"]["reference"]["mae"] > 0
    lock = (project / "dvc.lock").read_text()
    assert doc["model"]["version"] in lock
    # the reference policy and the label-free estimate, in the JSON and in the Markdown the PR shows
    assert doc["reference"]["policy"] == "recent" and doc["reference"]["rows"] == doc["rows"]["reference"]
    assert doc["estimate"]["estimated"] > 0 and doc["estimate"]["actual"] == doc["quality"]["current"]["mae"]
    md = (project / "reports/drift.md").read_text()
    assert "reference policy recent: the last 4 weeks of the training window" in md
    assert "Estimated MAE (label-free" in md
    assert (project / "artifacts/estimator.skops").stat().st_size > 0
    check_failing_stage_keeps_committed_reports(project, env)
    errors, text_length = console_errors(project / "reports/drift.html")
    assert errors == []
    assert text_length > 500  # the report rendered, not a blank page
    assert "Running stage" not in run(["dvc", "repro"], project, env).stdout
    check_cli_on_batches(project, env, tmp_path)


def check_failing_stage_keeps_committed_reports(project, env):
    """DVC deletes a stage's outputs before running it, unless `persist`: a drift stage that fails
    (here: a setting that moved into the contract, refused at load) must leave drift.json there."""
    before = {rel: (project / rel).read_bytes() for rel in OUTPUTS}
    params = project / "params.yaml"
    good = params.read_text()
    params.write_text(good.replace("  min_rows: 100               # a smaller current window",
                                   "  columns: {mnth: {threshold: 0.2}}\n  min_rows: 100               #", 1))
    bad = run(["dvc", "repro", "drift"], project, env, check=False)
    assert bad.returncode != 0
    assert "params.yaml: drift: Value error, columns moved to contract.columns.<column>.drift" in bad.stderr
    params.write_text(good)
    assert {rel: (project / rel).read_bytes() for rel in OUTPUTS} == before


def check_cli_on_batches(project, env, tmp_path):
    """`staleguard drift --current FOLDER` on a drifted window: exit 0, drift=true in $GITHUB_OUTPUT.
    A bad batch: exit 1, one line naming it, no output."""
    ts = pd.to_datetime(pd.read_csv(project / "data/hour.csv", usecols=["dteday"])["dteday"])
    june = pd.read_csv(project / "data/hour.csv")[(ts >= "2011-06-01") & (ts < "2011-06-15")]
    june.insert(0, "timestamp", pd.to_datetime(june["dteday"]) + pd.to_timedelta(june["hr"], unit="h"))
    june = june.drop(columns=["instant", "dteday", "casual", "registered"])
    batches = tmp_path / "batches"
    batches.mkdir()
    june.iloc[:150].to_parquet(batches / "1.parquet", index=False)
    june.iloc[150:].to_csv(batches / "2.csv", index=False)
    gh = tmp_path / "github_output"
    proc = run(["staleguard", "drift", "--current", str(batches), "--out", str(tmp_path / "ok")], project,
               {**env, "GITHUB_OUTPUT": str(gh)})
    assert proc.stdout.startswith("drift: drift (")
    doc = json.loads((tmp_path / "ok/drift.json").read_text())
    assert doc["drift"] is True and doc["reasons"]
    assert gh.read_text() == "drift=true\n"
    assert doc["rows"]["current"] == len(june)

    june.drop(columns="temp").to_csv(batches / "3.csv", index=False)
    bad = run(["staleguard", "drift", "--current", str(batches), "--out", str(tmp_path / "bad")], project,
              env, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"staleguard: error: {batches / '3.csv'}: missing column(s) ['temp']; expected "
        f"{['timestamp', *doc['features']]} plus optionally ['cnt', 'prediction', 'model_version']"]
    assert not (tmp_path / "bad").exists()
