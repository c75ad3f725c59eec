"""Rollback on evidence: prod promoted to a worse model → exactly one rollback issue; rerun → none.

A real registry (git tags, models through a local DVC remote): v0.0.1 is a forest fit on January
2011, v0.0.2 the same fit on shuffled targets. prod went v0.0.1 → v0.0.2, and the store holds the
real February hours served and labeled under v0.0.2. `gh` is the recording stand-in.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from staleguard import cli, registry
from staleguard.model import build_estimator, load_model, save_model
from staleguard.monitor import rollback, shadow_evidence, store
from staleguard.params import Features, TrainParams
from tests.registry.conftest import sh
from tests.workflows.harness import BIN_DIR

pytestmark = pytest.mark.xdist_group("registry")
ROOT = Path(__file__).resolve().parents[2]

DVC_YAML = """stages:
  train:
    cmd: echo "models are written by the test"
    params: [kind]
    outs: [artifacts/model.skops, artifacts/model.json]
artifacts:
  model:
    path: artifacts/model.skops
    type: model
"""


@pytest.fixture(scope="module")
def promoted_worse(tmp_path_factory, hour) -> Path:
    """dev/: v0.0.1 (fit on January), v0.0.2 (shuffled); prod#1 → v0.0.1, prod#2 → v0.0.2."""
    from dvc.repo import Repo

    root = tmp_path_factory.mktemp("rollback")
    dev = root / "dev"
    dev.mkdir()
    sh(dev, "git", "init", "-q", "-b", "main")
    Repo.init(str(dev)).close()
    (dev / ".dvc" / "config").write_text(f"[core]\n    remote = local\n    analytics = false\n"
                                         f"['remote \"local\"']\n    url = {root / 'remote'}\n")
    (dev / "dvc.yaml").write_text(DVC_YAML)
    features = yaml.safe_load((ROOT / "params.yaml").read_text())["features"]
    feats = Features(**features)
    rows = hour[hour["timestamp"] < "2011-02-01"]
    for kind in ("fit", "shuffled"):
        y = rows[feats.target].to_numpy()
        if kind == "shuffled":
            y = np.random.default_rng(0).permutation(y)
        model = build_estimator(TrainParams(n_est=10, seed=0), feats).fit(rows[feats.columns], y)
        save_model(model, dev / "artifacts" / "model.skops", {"estimator": "random_forest"})
        (dev / "params.yaml").write_text(yaml.safe_dump({"kind": kind, "features": features}))
        with contextlib.chdir(dev), Repo(str(dev)) as dvc_repo:
            dvc_repo.commit(force=True)  # record the model in dvc.lock, as `dvc repro` would
            dvc_repo.push()
        sh(dev, "git", "add", "-A")
        sh(dev, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", kind)
        registry.promote(registry.register(dev).version.version, repo=dev)
    return root


@pytest.fixture
def site(promoted_worse, tmp_path, monkeypatch, hour, params) -> tuple[Path, Path]:
    """(dev, store): the store holds two February weeks served by v0.0.2 and labeled."""
    import shutil

    root = tmp_path / "site"
    shutil.copytree(promoted_worse, root, symlinks=True)
    dev = root / "dev"
    served = load_model(dev / "artifacts" / "model.skops")  # the workspace is v0.0.2
    part = hour[(hour["timestamp"] >= "2011-02-01") & (hour["timestamp"] < "2011-02-15")]
    batch = part[["timestamp", *params.features.columns, params.features.target]].copy()
    batch.insert(len(batch.columns) - 1, store.PREDICTION, served.predict(batch[params.features.columns]))
    batch[store.MODEL_VERSION] = registry.hash_for_version("v0.0.2", dev)
    store.write_batch(str(tmp_path / "store"), batch.reset_index(drop=True), params, "actuals-1")
    monkeypatch.chdir(dev)
    monkeypatch.setenv("PATH", f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GH_TOKEN", "fake-token")
    monkeypatch.setenv("GH_REPO", "octo/staleguard")
    monkeypatch.setenv("GH_SHIM_LOG", str(tmp_path / "gh.jsonl"))
    monkeypatch.setenv("STALEGUARD_MODEL_CACHE", str(tmp_path / "cache"))
    for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(var, raising=False)
    return dev, tmp_path / "store"


def gh_calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_rollback_opens_one_issue_with_the_paired_comparison_and_a_rerun_opens_none(site, tmp_path, capsys):
    dev, url = site
    argv = ["--params", str(ROOT / "params.yaml"), "rollback", "--store", str(url)]
    assert cli.main(argv) == 0
    created = [c for c in gh_calls(tmp_path / "gh.jsonl") if c["command"] == "issue create"]
    assert len(created) == 1, gh_calls(tmp_path / "gh.jsonl")
    issue = created[0]
    assert issue["title"].startswith("Rollback: prod model v0.0.2 (")
    assert "worse than v0.0.1" in issue["title"]
    body = issue["body"]
    assert "re-predicting the same rows with v0.0.1" in body and "**worse**" in body
    assert "| rows | days | mae v0.0.1 | mae v0.0.2 | change | 90% CI | verdict |" in body
    assert "staleguard registry promote v0.0.1" in body and "paired day-block bootstrap" in body
    evidence = json.loads((dev / "reports" / "monitor" / "rollback.json").read_text())
    assert evidence["worse"] and evidence["verdict"]["rows"] >= 300 and evidence["verdict"]["days"] == 14

    assert cli.main(argv) == 0  # the next monitor run: the issue is still open
    calls = gh_calls(tmp_path / "gh.jsonl")
    assert [c["command"] for c in calls] == ["issue list", "issue create", "issue list"]
    assert "already open: #1" in capsys.readouterr().out


def test_rollback_prefers_the_predecessors_shadow_predictions(site, params):
    dev, url = site
    labeled = shadow_evidence.read_labeled(str(url), params)
    previous = load_model(registry.resolve("v0.0.1", dev).path)
    logged = labeled.assign(prediction=previous.predict(labeled[params.features.columns]),
                            model_version=registry.hash_for_version("v0.0.1", dev))
    store.write_batch(shadow_evidence.shadow_url(str(url)), logged, params, "actuals-1")
    ev = rollback.evidence(params, str(url), dev)
    assert ev is not None and ev.source == "its shadow predictions" and ev.worse


def test_rollback_with_no_rows_served_by_prod_opens_nothing(site, params, tmp_path):
    dev, url = site
    registry.promote("v0.0.1", repo=dev)  # prod#3: now v0.0.1, which served none of the rows
    assert rollback.run(params, str(url), out=tmp_path / "r") is None
    assert gh_calls(tmp_path / "gh.jsonl") == []
