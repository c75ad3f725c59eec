"""The engine matrix: `staleguard monitor` on pandas, DuckDB and Spark over the same store gives the
same decision, the same reasons per window and the same retraining-evidence verdict; with a label
delay (or another combination a summary engine cannot honour) the summary engines are refused at
load, in one line naming both settings (docs/scale.md lists them)."""

import zipfile

import pytest
import yaml

from staleguard.errors import ConfigError
from staleguard.monitor import monitor_job
from staleguard.params import load_params, with_engine
from tests.conftest import ROOT, zip_path
from tests.drift.sketch.test_run import VERSION, batches, logged_batches, project  # noqa: F401  (fixtures)

REFUSED = [  # (settings, the line's pattern): each combination a summary engine cannot honour
    ({"monitor": {"label_delay_days": 7}},
     r"monitor\.engine {e} cannot honour monitor\.label_delay_days 7 .*use engine pandas or delay 0$"),
    ({"windows": {"reference": {"policy": "last_year"}}},
     r"monitor\.engine {e} cannot honour windows\.reference\.policy last_year .*use training or recent$"),
    ({"drift": {"triggers": {"estimate": True}}},
     r"monitor\.engine {e} cannot honour drift\.triggers\.estimate true .*or use engine pandas$"),
]


def _settings(p, delay: int):
    """`p` as the matrix runs it: no estimate trigger (a summary engine refuses it), `delay` days."""
    drift = p.drift.model_copy(update={"triggers": p.drift.triggers.model_copy(update={"estimate": False})})
    mon = p.monitor.model_copy(update={"label_delay_days": delay})
    return p.model_copy(update={"drift": drift, "monitor": mon})


def _run(p, engine: str, url: str, out, monkeypatch) -> tuple:
    monkeypatch.setattr(monitor_job, "deployed_version", lambda *a: VERSION)
    plan = monitor_job.monitor(with_engine(p, engine), url, out=out)
    windows = [(w["start"], w["rows"], w["drift"], w["reasons"]) for w in plan["windows"] if w["rows"]]
    assert (out / "monitor.md").read_text().startswith("## ")
    return plan["drift"], windows, plan.get("evidence", {}).get("verdict")


@pytest.fixture
def matrix(project, batches, tmp_path):  # noqa: F811
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(zip_path()) as zf:  # the raw history the evidence refits on
        (tmp_path / "data" / "hour.csv").write_bytes(zf.read("hour.csv"))
    return project[0], batches[0]


@pytest.mark.parametrize("delay", [0, 7])
def test_engine_matrix_pandas_and_duckdb_decide_alike_or_refuse(matrix, tmp_path, monkeypatch, delay):
    p, url = matrix
    p = _settings(p, delay)
    pandas = _run(p, "pandas", url, tmp_path / "pandas", monkeypatch)
    assert pandas[0] and pandas[2] in {"better", "worse", "no clear difference", "not enough data"}
    if delay:
        with pytest.raises(ConfigError, match=r"--engine duckdb: monitor\.engine duckdb cannot honour "
                                              r"monitor\.label_delay_days 7"):
            with_engine(p, "duckdb")
        return
    assert _run(p, "duckdb", url, tmp_path / "duckdb", monkeypatch) == pandas


@pytest.mark.spark
def test_engine_matrix_spark_decides_as_pandas(matrix, spark, tmp_path, monkeypatch):
    p, url = matrix
    p = _settings(p, 0)
    assert _run(p, "spark", url, tmp_path / "spark", monkeypatch) == \
        _run(p, "pandas", url, tmp_path / "pandas", monkeypatch)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize(("change", "message"), REFUSED)
def test_summary_engines_refuse_what_they_cannot_honour_at_load(tmp_path, engine, change, message):
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["monitor"]["engine"] = engine
    doc["drift"].setdefault("triggers", {})["estimate"] = False
    for section, values in change.items():
        for key, value in values.items():
            if isinstance(value, dict):
                doc[section].setdefault(key, {}).update(value)
            else:
                doc[section][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=r"params\.yaml: " + message.format(e=engine)) as err:
        load_params(path)
    assert "\n" not in str(err.value)


def test_refused_combinations_are_listed_in_docs_scale():
    text = (ROOT / "docs" / "scale.md").read_text()
    for setting in ("monitor.label_delay_days", "windows.reference.policy", "drift.triggers.estimate"):
        assert setting in text, setting

