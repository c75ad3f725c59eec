"""Paired, uncertainty-aware verdicts: is the challenger better, worse, or not clearly different?

Shared by the PR report (gate.json), the monitor's retraining evidence and any other caller:
`from staleguard.verdict import paired_verdict, Verdict`.
"""

from staleguard.verdict.paired import Verdict, VerdictName, paired_verdict, passes

__all__ = ["Verdict", "VerdictName", "paired_verdict", "passes"]
