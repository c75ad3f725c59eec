"""The replay measures what ships: its retrain and `staleguard retrain` make the same model.

For the same history (four simulated production weeks on the real data) and the same params,
the replay's `weekly` retrain at the end of February and the retrain `staleguard retrain` runs
in its scratch clone (`monitor.retrain.retrained`: batches into data/, windows moved,
`dvc repro`) give byte-identical canonical skops files, so the same model id (issue 19).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from staleguard import artifacts
from staleguard.model import canonical_skops
from staleguard.monitor import retrain
from staleguard.params import load_params
from staleguard.replay.replay_job import replay
from tests.conftest import run

pytestmark = pytest.mark.slow


def test_replay_retrain_and_staleguard_retrain_ship_the_same_model(project: Path, env, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    import skops.io as sio

    text = (project / "params.yaml").read_text()  # test speed: 10 trees, no Evidently HTML
    text = text.replace("\n  n_est: 100", "\n  n_est: 10", 1).replace("\n  html: true", "\n  html: false", 1)
    (project / "params.yaml").write_text(text)
    run(["dvc", "repro", "-q", "train"], project, env)
    run(["git", "add", "-A"], project, env)
    run(["git", "commit", "-qm", "model"], project, env)
    store = tmp_path / "store"
    run(["staleguard", "simulate", "--through", "2011-02-28", "--store", str(store)], project, env)
    run(["staleguard", "monitor", "--dry-run", "--force", "--store", str(store)], project, env)
    plan = json.loads((project / "reports" / "monitor" / "monitor.json").read_text())

    monkeypatch.chdir(project)
    params = load_params(project / "params.yaml")
    with retrain.retrained(plan, params, Path("params.yaml"), project) as wt:
        shipped = artifacts.file_md5(wt / artifacts.MODEL)
        assert artifacts.current_md5(wt) == shipped  # the md5 dvc.lock records for the model
        shipped_id = artifacts.current_model_id(wt)
        windows = load_params(wt / "params.yaml").windows

    data = params.data.model_copy(update={"raw": project / params.data.raw, "batches": tmp_path / "none"})
    loop = params.replay.model_copy(update={"end": datetime(2011, 3, 1), "out": tmp_path / "replay",
                                            "policies": ["weekly"], "label_delays_weeks": [0]})
    result = replay(params.model_copy(update={"data": data, "replay": loop}), progress=False,
                    workers=1)  # in this process: its trainer holds the fitted models
    last = [w for w in result.weeks if w.retrained is not None][-1].retrained
    assert (last.train, last.eval) == (windows.train, windows.eval)
    assert last.train.end == datetime(2011, 3, 1)  # up to the newest labeled hour (2011-02-28 23:00)
    assert result.trainer is not None
    model = result.trainer.model(last.model_id)
    assert hashlib.md5(canonical_skops(sio.dumps(model))).hexdigest() == shipped
    assert artifacts.model_id(shipped) == shipped_id
