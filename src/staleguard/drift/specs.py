"""Which drift method and threshold each feature gets: the type default from params.yaml `drift:`,
or the feature's own `contract.columns.<name>.drift` (checked at load, docs/contract.md).

Its own module so that check.py and evidently_adapter.py both import it and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from staleguard.params import Params


@dataclass(frozen=True)
class Spec:
    column: str
    kind: str
    method: str
    threshold: float


def column_specs(params: Params) -> list[Spec]:
    """Method and threshold per feature, in feature order."""
    d, f = params.drift, params.features
    specs = []
    for col in f.columns:
        kind = "numerical" if col in f.numerical else "categorical"
        base = d.numerical if kind == "numerical" else d.categorical
        over = params.contract.columns[col].drift
        method = (over and over.method) or base.method
        threshold = (over and over.threshold) or base.threshold
        specs.append(Spec(col, kind, method, threshold))
    return specs
