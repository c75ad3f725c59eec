import hashlib
import json
import shutil
from pathlib import Path

import pytest

from staleguard import cli, registry
from staleguard.artifacts import current_model_id, lock_md5
from staleguard.errors import ModelError
from staleguard.registry.actions import stale_stages
from tests.registry.conftest import sh

pytestmark = pytest.mark.xdist_group("registry")  # one worker builds the two-version repo once


def md5_at(repo, rev):
    return lock_md5(sh(repo, "git", "show", f"{rev}:dvc.lock"))


def test_register_is_idempotent_per_model_and_maps_hashes_both_ways(repo):
    first = registry.register(repo)
    assert (first.created, first.tag, first.version.version) == (True, "model@v0.0.1", "v0.0.1")
    again = registry.register(repo)
    assert (again.created, again.tag) == (False, "model@v0.0.1")
    assert registry.version_for_hash(md5_at(repo, "HEAD")[:8], repo) == "v0.0.1"
    assert registry.hash_for_version("model@v0.0.1", repo) == md5_at(repo, "HEAD")[:8]
    assert current_model_id(repo) == md5_at(repo, "HEAD")[:8]
    assert registry.version_for_hash("ffffffff", repo) is None


def test_register_an_older_commit_then_the_new_one_gets_the_next_version(repo):
    assert registry.register(repo, rev="HEAD~1").version.version == "v0.0.1"
    newer = registry.register(repo)
    assert newer.version.version == "v0.0.2" and newer.version.md5 == md5_at(repo, "HEAD")


def test_promote_moves_prod_and_rolls_back(repo):
    registry.register(repo, rev="HEAD~1")
    registry.register(repo)
    assert registry.current_version(repo) is None
    done = registry.promote("v0.0.2", repo=repo)
    assert (done.created, done.tag) == (True, "model#prod#1")
    assert registry.promote("v0.0.2", repo=repo).created is False
    assert registry.promote("v0.0.1", repo=repo).tag == "model#prod#2"
    assert registry.current_version(repo) == "v0.0.1"
    rows = {r["version"]: r for r in registry.show(repo)}
    assert rows["v0.0.1"]["stages"] == "prod" and rows["v0.0.2"]["stages"] == ""


@pytest.mark.parametrize(("spec", "message"), [("1.2", "is not a model version"),
                                               ("v9.9.9", "model version v9.9.9 is not in the registry")])
def test_find_version_errors(repo, spec, message):
    registry.register(repo)
    with pytest.raises(ModelError, match=message):
        registry.find_version(spec, repo)


def test_resolve_stage_and_version_downloads_from_the_dvc_remote(repo, tmp_path):
    registry.register(repo, rev="HEAD~1")
    registry.register(repo)
    registry.promote("v0.0.2", repo=repo)
    shutil.rmtree(repo / ".dvc" / "cache")
    shutil.rmtree(repo / "artifacts")
    prod = registry.resolve("prod", repo, cache=tmp_path / "cache")
    assert prod.version == "v0.0.2" and prod.path.read_bytes().startswith(b"model bytes for seed 2")
    assert hashlib.md5(prod.path.read_bytes()).hexdigest() == prod.md5
    assert json.loads((prod.path.parent / "model.json").read_text())["seed"] == 2
    assert prod.metrics == {"mae": 12.0, "r2": 0.5}
    old = registry.resolve("v0.0.1", repo, cache=tmp_path / "cache")
    assert old.path.read_bytes().startswith(b"model bytes for seed 1") and old.path != prod.path
    assert registry.resolve(str(old.path), repo).version == "v0.0.1"  # a path maps back to its version


def test_fetch_refuses_a_file_whose_md5_differs_from_dvc_lock(repo, tmp_path):
    registry.register(repo)
    version = registry.find_version("v0.0.1", repo)
    shutil.rmtree(repo / ".dvc" / "cache")
    remote = sh(repo, "dvc", "remote", "list").split()[1]
    blob = next(p for p in Path(remote).rglob("*") if p.is_file()
                and version.md5[2:] in p.name)
    original = blob.read_bytes()
    blob.write_bytes(b"tampered")
    try:
        with pytest.raises(ModelError, match=r"does not match dvc\.lock"):
            registry.fetch(version, repo, cache=tmp_path / "cache")
    finally:
        blob.write_bytes(original)


def test_fetch_without_the_data_in_the_remote_names_the_version(repo, tmp_path):
    registry.register(repo)
    version = registry.find_version("v0.0.1", repo)
    shutil.rmtree(repo / ".dvc" / "cache")
    sh(repo, "dvc", "remote", "modify", "local", "url", str(tmp_path / "empty-remote"))
    with pytest.raises(ModelError, match=r"model@v0\.0\.1: cannot fetch artifacts/model\.skops"):
        registry.fetch(version, repo, cache=tmp_path / "cache")


def test_check_lock_passes_when_current_and_names_the_stale_stage(repo):
    registry.check_lock(repo)
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("seed: 2", "seed: 3"))
    with pytest.raises(ModelError, match=r"dvc.lock is out of date \(train: changed deps .*never retrains"):
        registry.check_lock(repo)


def test_stale_stages_lists_each_change():
    status = {"train": [{"changed deps": {"params.yaml": {"train.seed": "modified"}}},
                        {"changed outs": {"artifacts/model.skops": "deleted"}}],
              "prepare": ["always changed"]}
    assert stale_stages(status) == ["prepare: always changed",
                                    "train: changed deps (params.yaml); changed outs (artifacts/model.skops)"]


def test_card_describes_the_version_from_its_commit(repo):
    registry.register(repo)
    text = registry.card(registry.find_version("v0.0.1", repo), repo, stage="prod")
    for expected in ("# Model v0.0.1 (prod)", md5_at(repo, "HEAD"), "[2011-01-01, 2011-02-01)",
                     "| 12.0 | 0.5 |", "No drift report", "seed: 2", "data.dvc` md5 `unknown`"):
        assert expected in text, expected


def test_cli_register_and_promote_write_github_outputs(repo, monkeypatch, capsys, tmp_path):
    out = tmp_path / "github_output"
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    assert cli.main(["registry", "register"]) == 0
    assert cli.main(["registry", "promote"]) == 0
    assert cli.main(["registry", "show"]) == 0
    printed = capsys.readouterr().out
    assert "tagged model@v0.0.1" in printed and "v0.0.1 → prod" in printed
    assert out.read_text().splitlines() == ["version=v0.0.1", "tag=model@v0.0.1", "created=true",
                                            "stage_tag=model#prod#1", "promoted=true"]


def test_cli_promote_unregistered_model_says_register_first(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    assert cli.main(["registry", "promote"]) == 1
    assert "not in the registry; run `staleguard registry register` first" in capsys.readouterr().err


def test_deployed_stages_are_the_ones_writing_the_model_and_metrics(repo, tmp_path):
    from tests.serve.conftest import ROOT

    assert registry.deployed_stages(ROOT) == ["train", "evaluate"]
    assert registry.deployed_stages(repo) == ["train"]
    (tmp_path / "dvc.yaml").write_text("stages:\n  other:\n    cmd: echo\n    outs: [x.txt]\n")
    with pytest.raises(ModelError, match=r"no stage writes \['artifacts/model\.skops', 'reports/metrics"):
        registry.deployed_stages(tmp_path)


def test_pull_fetches_the_deployed_outputs_by_hash(repo):
    shutil.rmtree(repo / ".dvc" / "cache")
    shutil.rmtree(repo / "artifacts")
    assert registry.pull(repo) == ["train"]
    assert hashlib.md5((repo / "artifacts" / "model.skops").read_bytes()).hexdigest() == md5_at(repo, "HEAD")
    sh(repo, "dvc", "remote", "modify", "local", "url", str(repo.parent / "nowhere"))
    shutil.rmtree(repo / ".dvc" / "cache")
    shutil.rmtree(repo / "artifacts")
    with pytest.raises(ModelError, match="dvc pull --with-deps train failed"):
        registry.pull(repo)


def test_resolve_auto_is_the_workspace_model_until_prod_exists(repo, tmp_path):
    workspace = registry.resolve("auto", repo, cache=tmp_path / "cache")
    assert workspace.path == repo / "artifacts" / "model.skops" and workspace.version is None
    assert workspace.md5 == md5_at(repo, "HEAD") and "no model is at stage 'prod'" in workspace.note
    assert workspace.metrics == {"mae": 12.0, "r2": 0.5}
    with pytest.raises(ModelError, match="no model version is at stage 'prod'"):
        registry.resolve("prod", repo)  # asked for explicitly: strict
    registry.register(repo, rev="HEAD~1")
    registry.promote("v0.0.1", repo=repo)
    prod = registry.resolve("auto", repo, cache=tmp_path / "cache")
    assert (prod.version, prod.md5, prod.note) == ("v0.0.1", md5_at(repo, "HEAD~1"), "")


def test_resolve_auto_refuses_a_workspace_model_that_is_not_dvc_locks(repo):
    (repo / "artifacts" / "model.skops").write_bytes(b"edited by hand")
    with pytest.raises(ModelError, match=r"is not the model dvc.lock names .*dvc checkout"):
        registry.resolve("auto", repo)
    (repo / "artifacts" / "model.skops").unlink()
    with pytest.raises(ModelError, match="not found and no model is at stage 'prod'; run `make demo`"):
        registry.resolve("auto", repo)


def test_promote_back_to_a_version_that_held_prod_before_is_a_rollback(repo):
    registry.register(repo, rev="HEAD~1")
    registry.register(repo)
    registry.promote("v0.0.1", repo=repo)
    registry.promote("v0.0.2", repo=repo)
    assert registry.promote("v0.0.1", repo=repo).tag == "model#prod#3"  # GTO alone refuses this
    assert registry.current_version(repo) == "v0.0.1"
    assert [v for v, _ in registry.stage_history("prod", repo)] == ["v0.0.1", "v0.0.2", "v0.0.1"]


def test_resolve_into_stages_the_files_and_a_path_resolve_names_the_version_without_git(repo, tmp_path):
    registry.register(repo)
    found = registry.resolve("v0.0.1", repo, cache=tmp_path / "cache")
    staged = registry.stage(found, tmp_path / "image" / "model")
    assert sorted(p.name for p in staged.parent.iterdir()) == ["metrics.json", "model.json", "model.skops",
                                                               "registry.json"]
    nowhere = tmp_path / "not-a-repo"
    nowhere.mkdir()
    again = registry.resolve(str(staged), nowhere)  # as in the container: no git, no dvc.lock
    assert (again.version, again.md5, again.metrics) == ("v0.0.1", found.md5, {"mae": 12.0, "r2": 0.5})
    staged.write_bytes(b"tampered")
    assert registry.resolve(str(staged), nowhere).version is None  # the identity is for the other bytes


def test_a_candidate_stage_resolves_like_prod_for_serve_shadow(repo, tmp_path):
    registry.register(repo, rev="HEAD~1")
    registry.register(repo)
    registry.promote("v0.0.1", repo=repo)
    registry.promote("v0.0.2", stage="candidate", repo=repo)
    candidate = registry.resolve("candidate", repo, cache=tmp_path / "cache")
    assert candidate.version == "v0.0.2" and registry.current_version(repo) == "v0.0.1"


def test_dashboard_reads_what_serves_now_and_since_when_from_the_prod_tag(repo):
    from datetime import datetime

    from staleguard.dashboard.lookups import registry_serving

    assert registry_serving(repo) is None
    registry.register(repo)
    registry.promote("v0.0.1", repo=repo)
    found = registry_serving(repo)
    assert {k: found[k] for k in ("version", "tag", "stage")} == {"version": "v0.0.1",
                                                                  "tag": "model#prod#1", "stage": "prod"}
    assert found["model"] == md5_at(repo, "HEAD")[:8]
    assert abs((datetime.now().astimezone() - datetime.fromisoformat(found["since"])).total_seconds()) < 600
