"""The fuzz bar (issue 31.8) in the suite: generated params.yaml variants on small generated data
sets, prepare → train → evaluate → simulate + monitor → report pr in-process, end in success,
'not decided' or a one-line refusal, never a traceback. benchmarks/fuzz.py runs 500 of them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

RUNS = range(1000, 1020)   # seeds apart from the benchmark's default 0-499; ~35 s of CPU


def fuzz_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_bar", ROOT / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_bar"] = module   # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzz() -> ModuleType:
    return fuzz_module()


def test_fuzzed_params_and_data_never_end_in_a_traceback(fuzz, tmp_path):
    """Each run ends in one of the three outcomes a user can act on; the mix shows the runs got
    past load (a fuzz that only produced refusals would test nothing)."""
    outcomes = fuzz.fuzz(RUNS, tmp_path)
    tracebacks = [o for o in outcomes if o.kind == "traceback"]
    assert not tracebacks, fuzz.table(outcomes)
    kinds = {o.kind for o in outcomes}
    assert "success" in kinds and "refusal" in kinds, fuzz.table(outcomes)
    refusals = [o for o in outcomes if o.kind == "refusal"]
    assert all("\n" not in o.detail and o.detail for o in refusals), refusals


def test_fuzz_classifies_a_refusal_and_a_traceback(fuzz, tmp_path, monkeypatch):
    """The classifier the bar rests on: a StaleguardError is a refusal in its stage, anything
    else a traceback naming its type and innermost frame in src/staleguard."""
    from staleguard.errors import ConfigError

    def refuse(*_: object) -> str:
        raise ConfigError("params.yaml: train.n_est: bad")

    monkeypatch.setattr(fuzz, "pipeline", refuse)
    assert fuzz.run_case(7, tmp_path).kind == "refusal"

    def crash(*_: object) -> str:
        from staleguard.data.windows import start_of

        return str(start_of(None, None, None))  # type: ignore[arg-type]

    monkeypatch.setattr(fuzz, "pipeline", crash)
    got = fuzz.run_case(8, tmp_path)
    assert got.kind == "traceback" and got.detail.startswith("TypeError at staleguard/data/windows.py:")
    assert not list(Path(tmp_path).iterdir())   # every run's folder is removed
