from pathlib import Path

import pytest
import yaml

from staleguard.errors import ConfigError
from staleguard.params import Params, load_params

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, **changes: dict) -> Path:
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, values in changes.items():
        doc[section].update(values)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_params_default_file_loads_with_expected_names():
    params = load_params(ROOT / "params.yaml")
    assert {"seed", "n_est", "min_split"} <= set(params.train.model_dump())
    assert params.features.target == "cnt"
    assert params.windows.train.end <= params.windows.eval.start


def test_params_features_never_include_leak_columns():
    params = load_params(ROOT / "params.yaml")
    assert not set(params.contract.ignore) & set(params.features.columns)
    assert params.features.target not in params.features.columns


@pytest.mark.parametrize("leak", ["casual", "registered", "instant", "cnt"])
def test_params_refuses_a_leak_column_as_feature(tmp_path, leak):
    path = write(tmp_path, features={"numerical": ["temp", leak]})
    with pytest.raises(ConfigError, match=rf"params.yaml: (features: )?.*'{leak}'.*leak the target"):
        load_params(path)


def test_params_refuses_overlapping_windows(tmp_path):
    path = write(tmp_path, windows={"eval": {"start": "2011-01-20", "end": "2011-02-08"}})
    with pytest.raises(ConfigError, match=r"windows: .*overlap"):
        load_params(path)


def test_params_refuses_window_ending_before_it_starts(tmp_path):
    path = write(tmp_path, windows={"eval": {"start": "2011-03-01", "end": "2011-02-08"}})
    with pytest.raises(ConfigError, match=r"windows.eval: .*must be after start"):
        load_params(path)


def test_params_half_open_windows_may_touch(tmp_path):
    path = write(tmp_path, windows={"eval": {"start": "2011-02-01", "end": "2011-02-08"}})
    assert load_params(path).windows.eval.start == load_params(path).windows.train.end


def test_params_refuses_a_nullable_target_at_load(tmp_path):
    """A null target would pass `prepare` and stop `train` with sklearn's "Input y contains NaN"."""
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["contract"]["columns"]["cnt"]["nullable"] = True
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"^\S*params\.yaml: contract\.columns\.cnt\.nullable is true, but "
                                          r"'cnt' is features\.target: every row of data\.raw needs its "
                                          r"target [^\n]*set nullable: false[^\n]*$"):
        load_params(path)


def test_params_unknown_estimator_is_refused(tmp_path):
    path = write(tmp_path, train={"estimator": "xgboost"})
    with pytest.raises(ConfigError, match=r"params.yaml: train.estimator: Input should be"):
        load_params(path)


def test_params_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.yaml: not found"):
        load_params(tmp_path / "nope.yaml")


def test_data_url_and_sha256_come_together_or_not_at_all(tmp_path):
    text = (ROOT / "params.yaml").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("  sha256:")]
    path = tmp_path / "params.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=r"data: Value error, give url and sha256 together"):
        load_params(path)
    path.write_text("\n".join(ln for ln in lines if not ln.startswith(("  url:", "  member:"))) + "\n")
    assert load_params(path).data.url is None


@pytest.mark.parametrize(("extra", "message"), [
    ({"monitr": {"engine": "duckdb"}}, r"unknown section 'monitr' \(did you mean 'monitor'\?\)$"),
    ({"zzz": 1}, r"unknown section 'zzz'$"),
    ({"monitor": {"engin": "duckdb"}}, r"unknown key 'monitor\.engin' \(did you mean 'monitor\.engine'\?\)$"),
    ({"drift": {"quality": {"tolerence": 0.3}}},
     r"unknown key 'drift\.quality\.tolerence' \(did you mean 'drift\.quality\.tolerance'\?\)$"),
    ({"contract": {"columns": {"temp": {"rang": [0, 1]}}}},
     r"unknown key 'contract\.columns\.temp\.rang' \(did you mean 'contract\.columns\.temp\.range'\?\)$"),
    ({"windows": {"week_day": 7}},
     r"unknown key 'windows\.week_day' \(did you mean 'windows\.week_days'\?\)$"),
    ({"monitor": {"retrian": {}}},
     r"unknown key 'monitor\.retrian' \(did you mean 'monitor\.retrain_when'\?\)$"),
])
def test_params_unknown_sections_and_keys_are_one_line_errors(tmp_path, extra, message):
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())

    def merge(into: dict, new: dict) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(doc, extra)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"^.*params\.yaml: " + message) as err:
        load_params(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("path", ["params.yaml", *sorted(p.relative_to(ROOT).as_posix()
                                                         for p in (ROOT / "tests").rglob("params*.yaml"))])
def test_params_every_shipped_and_fixture_params_file_loads(path):
    load_params(ROOT / path)


def old_place(tmp_path: Path, *names: str) -> tuple[Path, dict]:
    """params.yaml with the window settings `names` (week_days, reference, retrain) written where
    they were before issue 19 (monitor.window_days, monitor.reference, monitor.retrain), changed."""
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    changed = {"week_days": 14, "reference": {"policy": "training", "weeks": 3},
               "retrain": {"policy": "weighted", "train_weeks": 8, "eval_weeks": 2, "half_life_weeks": 4}}
    for name in names:
        del doc["windows"][name]
        doc["monitor"]["window_days" if name == "week_days" else name] = changed[name]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path, doc


def test_params_window_settings_at_their_old_place_load_with_a_one_line_note(tmp_path, capsys):
    path, _ = old_place(tmp_path, "retrain")
    p = load_params(path)
    assert (p.windows.retrain.policy, p.windows.retrain.train_weeks, p.windows.retrain.eval_weeks) == \
        ("weighted", 8, 2)
    assert capsys.readouterr().err == (f"{path}: monitor.retrain moved to windows.retrain (read from there; "
                                       "move it to silence this note)\n")
    path, _ = old_place(tmp_path, "week_days", "reference", "retrain")
    p = load_params(path)
    assert (p.windows.week_days, p.windows.reference.weeks, p.windows.retrain.half_life_weeks) == (14, 3, 4)
    assert capsys.readouterr().err == (
        f"{path}: monitor.window_days, monitor.reference, monitor.retrain moved to windows.week_days, "
        "windows.reference, windows.retrain (read from there; move them to silence this note)\n")
    load_params(ROOT / "params.yaml")
    assert capsys.readouterr().err == ""


def test_params_window_settings_at_their_old_place_read_from_another_branch(tmp_path, capsys):
    """The PR report validates main's params.yaml, which may still have the old layout."""
    _, doc = old_place(tmp_path, "week_days", "retrain")
    p = Params.model_validate(doc)
    assert (p.windows.week_days, p.windows.retrain.train_weeks) == (14, 8)


@pytest.mark.parametrize(("old", "new"), [("window_days", "week_days"), ("reference", "reference"),
                                          ("retrain", "retrain")])
def test_params_window_setting_in_both_places_is_a_one_line_error(tmp_path, old, new):
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["monitor"][old] = doc["windows"][new]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=rf"^{path}: monitor\.{old} and windows\.{new} are both set; "
                                          rf"monitor\.{old} moved to windows\.{new}: delete monitor\.{old}$"):
        load_params(path)


def without(tmp_path: Path, *sections: str) -> Path:
    """The example's params.yaml with `sections` left out, beside a copy of dvc.yaml."""
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    for name in sections:
        doc.pop(name)
    (tmp_path / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text())
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_params_a_section_dvc_yaml_tracks_left_out_is_one_line_before_dvc(tmp_path, capsys):
    """Issue 31: no `model:` got DVC's "Parameters 'model' are missing" while staleguard took the
    defaults; `staleguard check` (run before `dvc repro`) names every such key and what to add."""
    from staleguard.cli import main

    path = without(tmp_path, "model", "monitor")
    with pytest.raises(ConfigError, match=r"params\.yaml: dvc\.yaml tracks monitor \(stage 'prepare'\), "
                       r"model \(stage 'train'\), which params\.yaml leaves out; DVC stops on a missing "
                       r"tracked param: add monitor: \{engine: pandas, batch_rows: 1000000, spark_master: "
                       r"'local\[2\]'\}, model: \{\} \(the defaults\)$"):
        load_params(path)
    assert main(["--params", str(path), "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("staleguard: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_params_every_section_dvc_yaml_tracks_that_has_defaults_is_checked(tmp_path):
    """Each defaulted section dvc.yaml names is either present or refused; with what the refusal
    says to add (`{}`, or the keys a stage tracks one by one), it loads."""
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    tracked = {key.split(".")[0] for spec in dvc.values() for key in spec.get("params", [])}
    defaulted = {name for name in tracked if not Params.model_fields[name].is_required()}
    assert defaulted == {"model", "drift", "monitor"}
    for name in sorted(defaulted):
        with pytest.raises(ConfigError, match=rf"leaves out; .*add {name}"):
            load_params(without(tmp_path, name))
    doc = yaml.safe_load(without(tmp_path, *defaulted).read_text())
    doc.update(model={}, drift={"min_rows": 100},
               monitor={"engine": "pandas", "batch_rows": 1000000, "spark_master": "local[2]"})
    with_drift = without(tmp_path, "drift")
    with_drift.write_text(with_drift.read_text() + "drift: {quality: {folds: 4}}\n")
    with pytest.raises(ConfigError, match=r"tracks drift\.min_rows \(stage 'evaluate'\), .*: add "
                                          r"drift\.min_rows: 100 \(the defaults\)$"):
        load_params(with_drift)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(doc))
    params = load_params(tmp_path / "params.yaml")
    assert params.model.description == "Regression model" and params.drift.min_rows == 100
    assert load_params(ROOT / "params.yaml").model.description   # the shipped file tracks all
