"""The real pipeline on the real data in a throwaway copy of the template (the suite's one `dvc repro`
from nothing is the shared `reproduced` fixture's; tests that need its results copy it)."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPRO_LOG, clone_seed, run

pytestmark = pytest.mark.slow
METRICS = {"mae", "rmse", "r2", "mape"}


def test_pipeline_repro_on_real_data_then_noop(reproduced, env, tmp_path):
    out = (reproduced / REPRO_LOG).read_text()  # the suite's one `dvc repro` from nothing
    assert "Running stage 'train'" in out
    project = clone_seed(reproduced, tmp_path / "repo")
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert set(metrics) >= METRICS and all(isinstance(metrics[k], float) for k in METRICS)
    assert metrics["r2"] > 0.5, metrics
    for png in ("predicted_vs_actual", "residuals", "importance"):
        assert (project / f"reports/plots/{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = run(["dvc", "repro"], project, env).stdout
    assert "Running stage" not in again, again
    status = run(["dvc", "status"], project, env).stdout
    assert "up to date" in status


def test_pipeline_exp_run_sets_param_and_shows_metrics(reproduced, env, tmp_path):
    project = clone_seed(reproduced, tmp_path / "repo")  # main ran `dvc repro`, results committed
    run(["dvc", "exp", "run", "-S", "train.n_est=60", "-S", "train.min_split=64"], project, env)
    table = run(["dvc", "exp", "show", "--csv"], project, env).stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    exp = [r for r in rows if r.get("train.n_est") == "60"]
    assert exp, table
    assert exp[0]["train.min_split"] == "64"
    assert all(exp[0][m] not in ("", "-") for m in METRICS), exp[0]


def test_pipeline_local_remote_round_trip_into_fresh_clone(reproduced, env, tmp_path):
    project = clone_seed(reproduced, tmp_path / "repo")  # main ran `dvc repro`, results committed
    run(["dvc", "remote", "remove", "ci"], project, env)  # then the README's way: `staleguard setup`
    run(["staleguard", "setup", "--remote", str(tmp_path / "remote")], project, env)
    run(["dvc", "push", "-q"], project, env)
    run(["git", "add", "-A"], project, env)
    run(["git", "commit", "-qm", "results, no committed remote"], project, env)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], tmp_path, env)
    remote = run(["dvc", "remote", "list", "--local"], project, env).stdout.split()[1]
    run(["staleguard", "setup", "--remote", remote], clone, env)
    assert not (clone / "data/hour.csv").exists()
    run(["dvc", "pull", "-q"], clone, env)
    assert (clone / "data/hour.csv").read_bytes() == (project / "data/hour.csv").read_bytes()
    assert (clone / "artifacts/model.skops").exists()
    assert "up to date" in run(["dvc", "status"], clone, env).stdout


def test_cli_data_fetch_bad_checksum_exits_1_and_keeps_data(project, env):
    before = (project / "data.dvc").read_text()
    params = (project / "params.yaml").read_text().replace(
        "sha256: b70182d0", "sha256: 070182d0")
    (project / "params.yaml").write_text(params)
    proc = run(["staleguard", "data", "fetch"], project, env, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "sha256 mismatch" in lines[0], proc.stderr
    assert (project / "data.dvc").read_text() == before


def test_cli_unreachable_url_exits_1(project, env, tmp_path):
    proc = run(["staleguard", "data", "fetch"], project,
               {**env, "STALEGUARD_DATA_URL": (tmp_path / "gone.zip").as_uri()}, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("staleguard: error: file://") and "cannot download" in proc.stderr


def test_prepare_refuses_schema_errors_with_one_line(project, env):
    raw = project / "data/hour.csv"
    raw.chmod(0o644)
    raw.write_text(raw.read_text().replace("temp,", "tmp,", 1))
    proc = run(["staleguard", "prepare"], project, env, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "staleguard: error: data/hour.csv: missing column(s) ['temp']; expected "
        "['dteday', 'season', 'yr', 'mnth', 'hr', 'holiday', 'weekday', 'workingday', 'weathersit', "
        "'temp', 'atemp', 'hum', 'windspeed', 'cnt'] plus optionally ['instant', 'casual', 'registered']")
    assert not (project / "artifacts/prepared").exists()


@pytest.mark.s3
def test_pipeline_s3_remote_round_trip(project, env, tmp_path, moto_s3):
    s3_env = {**env, **moto_s3}
    run(["dvc", "remote", "add", "--local", "-f", "-d", "s3", "s3://staleguard-test/dvc"], project, s3_env)
    run(["dvc", "remote", "modify", "--local", "s3", "endpointurl", moto_s3["AWS_ENDPOINT_URL"]],
        project, s3_env)
    run(["dvc", "push", "-q"], project, s3_env)
    clone = tmp_path / "s3clone"
    run(["git", "clone", "-q", str(project), str(clone)], tmp_path, s3_env)
    shutil.copy(project / ".dvc/config.local", clone / ".dvc/config.local")
    run(["dvc", "pull", "-q", "data.dvc"], clone, s3_env)
    assert (clone / "data/hour.csv").read_bytes() == (project / "data/hour.csv").read_bytes()


def test_cli_help_lists_every_stage():
    out = run(["staleguard", "--help"], Path.cwd()).stdout
    for name in ("setup", "data", "prepare", "train", "evaluate"):
        assert name in out
