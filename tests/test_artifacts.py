"""staleguard.artifacts: the one owner of artifact paths, dvc.lock reading and the model id."""

import ast
from pathlib import Path

import pytest
import yaml

from staleguard import artifacts
from staleguard.errors import ModelError
from tests.conftest import ROOT

LOCK = "stages:\n  train:\n    outs:\n    - path: artifacts/model.skops\n      md5: abc123ff00\n"
NOT_PIPELINE_OUTPUTS = {"REPORTS", "MONITOR_REPORTS", "PLOTS", "LOCK"}  # folders, and dvc.lock itself


def _dvc_paths() -> tuple[set[str], set[str]]:
    """Every out (metrics and plots included) and every dep that dvc.yaml's stages name."""
    outs: set[str] = set()
    deps: set[str] = set()
    for stage in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].values():
        for key in ("outs", "metrics", "plots"):
            for entry in stage.get(key, []):
                outs.add(next(iter(entry)) if isinstance(entry, dict) else entry)
        deps.update(stage.get("deps", []))
    return outs, deps


def _constants() -> dict[str, str]:
    return {name: value.as_posix() for name, value in vars(artifacts).items()
            if name.isupper() and isinstance(value, Path) and name not in NOT_PIPELINE_OUTPUTS}


def test_every_artifact_path_is_an_output_dvc_yaml_names():
    outs, _ = _dvc_paths()
    def output(path: str) -> bool:  # named, or inside an output folder (artifacts/prepared)
        return any(path == out or path.startswith(out + "/") for out in outs)

    missing = {name: path for name, path in _constants().items() if not output(path)}
    assert not missing, f"artifacts.py names paths that no dvc.yaml stage outputs: {missing}"


def test_every_artifact_dvc_yaml_names_has_its_constant():
    outs, deps = _dvc_paths()
    named = set(_constants().values())
    pipeline = {p for p in outs | deps if p.startswith("artifacts/")}
    assert pipeline <= named, f"dvc.yaml artifacts without a constant in artifacts.py: {pipeline - named}"


def test_lock_md5_reads_the_model_output_and_explains_a_missing_one():
    assert artifacts.lock_md5(LOCK) == "abc123ff00"
    assert artifacts.recorded_md5(yaml.safe_load(LOCK)) == "abc123ff00"
    assert artifacts.recorded_md5(None) is None
    with pytest.raises(ModelError, match=r"no output 'artifacts/model\.skops' with an md5"):
        artifacts.lock_md5("stages: {}\n")
    with pytest.raises(ModelError, match="not valid YAML"):
        artifacts.lock_md5("stages: [\n")


def test_model_id_of_a_file_is_the_id_of_the_md5_dvc_lock_records(tmp_path: Path):
    model = tmp_path / "model.skops"
    model.write_bytes(b"x" * 3_000_000)  # more than one read chunk
    md5 = artifacts.file_md5(model)
    (tmp_path / "dvc.lock").write_text(LOCK.replace("abc123ff00", md5))
    assert artifacts.current_model_id(tmp_path) == artifacts.file_id(model) == md5[:8]
    with pytest.raises(ModelError, match=r"dvc\.lock: not found; run `dvc repro` first"):
        artifacts.current_md5(tmp_path / "elsewhere")


def test_no_other_module_computes_an_md5_or_cuts_a_model_id():
    """The id has one owner: no hashlib.md5 and no `md5[:8]` outside artifacts.py (replay/trainer.py's
    run id and recipe.py's fit cache key, used by the backtest, hash training inputs, not a model file)."""
    allowed = {"artifacts.py", "trainer.py", "recipe.py"}  # recipe: Recipe.key(), a cache key of its inputs
    found = []
    for path in sorted((ROOT / "src" / "staleguard").rglob("*.py")):
        if path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "md5" and \
                    isinstance(node.value, ast.Name) and node.value.id == "hashlib":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and \
                    "md5" in ast.unparse(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not found, found
