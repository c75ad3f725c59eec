"""Drift detection: check reference vs current, decide from params.yaml, write the evidence.

    result = check(reference, current, params, model)   # DriftResult: plain scores, no Evidently
    decision = decide(result, params)                   # Decision(drift, reasons, notes)
    write_outputs(Path("reports"), result, decision, params, html=...)
"""

from staleguard.drift.compare_rows import check
from staleguard.drift.decide import decide
from staleguard.drift.outputs import write_outputs
from staleguard.drift.result import ColumnDrift, Decision, DriftResult, Quality

__all__ = ["ColumnDrift", "Decision", "DriftResult", "Quality", "check", "decide", "write_outputs"]
