"""The `replay:` section of params.yaml and the CLI's one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from staleguard.cli import main
from staleguard.errors import ConfigError
from staleguard.params import load_params

ROOT = Path(__file__).resolve().parents[2]


def params_file(tmp_path: Path, **replay: object) -> Path:
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["replay"] = {**doc["replay"], **replay}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_params_replay_defaults_cover_2011_02_to_2012_12():
    p = load_params(ROOT / "params.yaml")
    assert p.replay.policies == ["never", "weekly", "monitor"]
    assert f"{p.windows.train.end:%Y-%m-%d}" == "2011-02-01" and f"{p.replay.end:%Y-%m-%d}" == "2013-01-01"


@pytest.mark.parametrize(("policies", "message"), [
    ([], "replay: Value error, policies lists none; expected some of never, weekly, monitor"),
    (["never", "never"], r"replay: Value error, policies \['never', 'never'\] lists a policy twice"),
    (["sometimes"], r"replay.policies.0: Input should be 'never', 'weekly' or 'monitor'"),
])
def test_params_replay_bad_policies_are_one_line_config_errors(tmp_path, policies, message):
    with pytest.raises(ConfigError, match=message) as err:
        load_params(params_file(tmp_path, policies=policies))
    assert "\n" not in str(err.value)


def test_params_replay_bad_end_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"replay\.end: Input should be a valid datetime"):
        load_params(params_file(tmp_path, end="last week"))


def test_cli_replay_end_before_training_end_exits_1_with_one_line(tmp_path, capsys):
    code = main(["--params", str(params_file(tmp_path)), "replay", "--end", "2011-01-20"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == ("staleguard: error: replay.end 2011-01-20 is not after windows.train.end 2011-02-01; "
                   "set replay.end (or --end) to a later date\n")


@pytest.mark.slow
def test_cli_replay_writes_outputs_and_prints_the_policy_lines(tmp_path, capsys, raw_csv):
    doc = yaml.safe_load(params_file(tmp_path).read_text())
    doc["data"].update(raw=str(raw_csv), batches=str(tmp_path / "none"))
    doc["replay"].update(variants={}, label_delays_weeks=[0])  # the three policies, on time: quick
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(doc))
    code = main(["--params", str(tmp_path / "params.yaml"), "replay", "--end", "2011-02-15",
                 "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("replay: 2 weeks × 3 policies in ")
    assert [line.split()[0] for line in out.splitlines()[1:4]] == ["never", "weekly", "monitor"]
    assert "distinct training runs fitted" in out.splitlines()[4]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "freshness.json", "freshness.md", "freshness.png", "monitor-history.json"]


@pytest.mark.parametrize(("replay", "message"), [
    ({"label_delays_weeks": [0, 0]}, r"label_delays_weeks \[0, 0\] must list distinct weeks >= 0"),
    ({"label_delays_weeks": [-1]}, r"label_delays_weeks \[-1\] must list distinct weeks >= 0"),
    ({"variants": {"weekly": {"policy": "weekly"}}}, r"a name must not be a policy or contain '@'"),
    ({"variants": {"x": {"policy": "monitor", "window": "forever"}}},
     r"replay.variants.x.window: Input should be 'sliding', 'all' or 'weighted'"),
])
def test_params_replay_bad_delays_and_variants_are_one_line_config_errors(tmp_path, replay, message):
    with pytest.raises(ConfigError, match=message):
        load_params(params_file(tmp_path, **replay))


def test_a_variant_whose_training_window_cannot_hold_train_min_rows_is_refused(tmp_path):
    """The replay obeys the checks params.yaml passed at load: a variant's own train_weeks too."""
    from staleguard.replay.replay_job import specs

    path = params_file(tmp_path, variants={"short": {"policy": "weekly", "train_weeks": 2}})
    doc = yaml.safe_load(path.read_text())
    doc["train"]["min_rows"] = 500
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"^replay\.variants\.short: windows\.retrain\.train_weeks=2 holds "
                                          r"at most 336 rows at contract\.timestamp\.freq 1h, below "
                                          r"train\.min_rows=500"):
        specs(load_params(path))
