"""Following the registry in-process: a corrupt or feature-mismatched new prod is refused and the
old model keeps answering; a good one is swapped in and /model says since when it serves.

The registry is real: a bare `origin`; a developer repository that records tiny skops models in
dvc.lock (`dvc commit`, pushed to a local DVC remote) and moves `prod` with GTO tags; and the
server's own clone, which fetches those tags and downloads each model through DVC. The polling
thread is given an hour between checks, so the test drives `Follower.check()` itself.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from staleguard import registry
from staleguard.errors import ConfigError
from staleguard.model import build_estimator, save_model
from staleguard.params import Features, TrainParams
from staleguard.serve.app import create_app
from staleguard.serve.follow import followed_stage, seconds
from tests.registry.conftest import init_repo, sh
from tests.serve.conftest import ROOT

pytestmark = pytest.mark.xdist_group("registry")

DVC_YAML = """stages:
  train:
    cmd: echo "models are written by the test (make_model)"
    params: [seed, kind]
    outs: [artifacts/model.skops, artifacts/model.json]
    metrics:
      - reports/metrics.json:
          cache: false
artifacts:
  model:
    path: artifacts/model.skops
    type: model
"""
KINDS = {1: "good", 2: "corrupt", 3: "mismatch", 4: "good"}  # version v0.0.N is seed N


def make_model(repo: Path, seed: int, features: dict) -> None:
    """A 3-tree forest on random rows; `mismatch` drops a feature, `corrupt` truncates the file."""
    kind = KINDS[seed]
    feats = Features(**features)
    cols = feats.columns[:-1] if kind == "mismatch" else feats.columns
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((100, len(cols))), columns=cols)
    model = build_estimator(TrainParams(n_est=3, seed=seed), feats).fit(x, rng.random(100) * 100)
    out = repo / "artifacts" / "model.skops"
    save_model(model, out, {"estimator": "random_forest", "seed": seed})
    if kind == "corrupt":
        out.write_bytes(out.read_bytes()[:300])
    (repo / "reports").mkdir(exist_ok=True)
    (repo / "reports" / "metrics.json").write_text(json.dumps({"mae": float(seed)}))


def commit_model(repo: Path, seed: int, features: dict) -> None:
    """Write the model in-process, record it in dvc.lock (`dvc commit`), push, commit, register."""
    from dvc.repo import Repo

    (repo / "params.yaml").write_text(yaml.safe_dump({"seed": seed, "kind": KINDS[seed],
                                                      "features": features}))
    make_model(repo, seed, features)
    with contextlib.chdir(repo), Repo(str(repo)) as dvc_repo:
        dvc_repo.commit(force=True)
        dvc_repo.push()
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", f"model {seed} ({KINDS[seed]})")
    with contextlib.chdir(repo):
        registry.register(repo)


@pytest.fixture(scope="module")
def four_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dev/ with v0.0.1 good, v0.0.2 corrupt, v0.0.3 on other features, v0.0.4 good; origin.git."""
    root = tmp_path_factory.mktemp("follow")
    dev = init_repo(root / "dev", root / "remote")
    (dev / "dvc.yaml").write_text(DVC_YAML)
    features = yaml.safe_load((ROOT / "params.yaml").read_text())["features"]
    for seed in KINDS:
        commit_model(dev, seed, features)
    sh(root, "git", "init", "-q", "--bare", "-b", "main", "origin.git")
    sh(dev, "git", "remote", "add", "origin", str(root / "origin.git"))
    sh(dev, "git", "push", "-q", "origin", "main")
    return root


@pytest.fixture
def world(four_versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(dev, server): private copies; prod → v0.0.1 on origin; the server cloned origin."""
    root = tmp_path / "w"
    shutil.copytree(four_versions, root, symlinks=True)
    dev = root / "dev"
    sh(dev, "git", "remote", "set-url", "origin", str(root / "origin.git"))
    monkeypatch.setenv("STALEGUARD_MODEL_CACHE", str(tmp_path / "cache"))
    promote(dev, "v0.0.1")
    sh(root, "git", "clone", "-q", str(root / "origin.git"), "server")
    return dev, root / "server"


def promote(dev: Path, version: str) -> None:
    """What deploy.yml does after a merge: move prod, push the tags to origin."""
    registry.promote(version, repo=dev)
    sh(dev, "git", "push", "-q", "origin", "--tags")


def test_follow_refuses_bad_models_keeps_serving_then_swaps_a_good_one(world, params, row, tmp_path):
    dev, server = world
    resend = params.model_copy(update={"serve": params.serve.model_copy(update={"corrections": "replace"})})
    app = create_app(resend, "prod", str(tmp_path / "store"), repo=str(server), follow=3600)  # `row` again
    with TestClient(app) as client:
        follower = app.state.follower
        start = client.get("/model").json()
        assert start["version"] == "v0.0.1" and client.get("/health").json()["follow"]["refused"] is None
        served = client.post("/predict", json=row).json()
        assert follower.check() == "unchanged"

        for version, reason in (("v0.0.2", "not a skops model file"), ("v0.0.3", "model expects features")):
            promote(dev, version)
            assert follower.check() == "refused"
            health = client.get("/health").json()
            assert health["status"] == "ok" and health["model_version"] == start["model_version"]
            assert health["follow"]["refused"]["version"] == version
            assert reason in health["follow"]["refused"]["reason"]
            assert client.post("/predict", json=row).json() == served  # the old model answers
            assert follower.check() == "unchanged"  # refused once, not reloaded on every poll

        promote(dev, "v0.0.4")
        assert follower.check() == "swapped"
        now = client.get("/model").json()
        assert now["version"] == "v0.0.4" and now["model_version"] == registry.hash_for_version("v0.0.4", dev)
        assert now["since"] > start["since"] and now["metrics"] == {"mae": 4.0}
        assert client.get("/health").json()["follow"]["refused"] is None
        answer = client.post("/predict", json=row).json()
        assert answer["model_version"] == now["model_version"] and answer != served


def test_follow_reports_an_unreachable_origin_and_keeps_serving(world, params, row, tmp_path):
    _, server = world
    app = create_app(params, "auto", str(tmp_path / "store"), repo=str(server), follow=3600)
    with TestClient(app) as client:
        sh(server, "git", "remote", "set-url", "origin", str(tmp_path / "gone.git"))
        assert app.state.follower.check() == "error"
        follow = client.get("/health").json()["follow"]
        assert follow["stage"] == "prod" and "git fetch failed" in follow["last_error"]
        assert client.post("/predict", json=row).status_code == 200


@pytest.mark.parametrize(("text", "expected"), [("60s", 60.0), ("2m", 120.0), ("500ms", 0.5), ("90", 90.0)])
def test_every_accepts_durations(text, expected):
    assert seconds(text) == expected


def test_every_and_follow_refuse_what_cannot_work():
    with pytest.raises(ConfigError, match="expected a positive duration"):
        seconds("soon")
    with pytest.raises(ConfigError, match=r"'v0\.0\.3' never moves"):
        followed_stage("v0.0.3")
    with pytest.raises(ConfigError, match="never moves"):
        followed_stage("artifacts/model.skops")
    assert followed_stage("auto") == followed_stage("prod") == "prod"
