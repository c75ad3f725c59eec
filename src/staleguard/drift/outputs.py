"""Write the four outputs of a drift check into one folder: drift.json, drift.md, drift.html, plots/.

Everything is computed before the first file is written, and each file is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from staleguard.drift import plots
from staleguard.drift.documents import to_json, to_markdown
from staleguard.drift.result import Decision, DriftResult
from staleguard.io import write_json, write_text
from staleguard.params import Params

FILES = ("drift.json", "drift.md", "drift.html", "plots/drift_scores.png", "plots/drift_distributions.png")


def write_outputs(out: Path, result: DriftResult, decision: Decision, params: Params,
                  html: Callable[[Path], Any] | None = None, model: dict[str, Any] | None = None,
                  extra: dict[str, Any] | None = None) -> None:
    """drift.json + drift.md + the two PNGs, and drift.html via `html(path)` when given.

    `extra`: more top-level keys for drift.json (e.g. the summary engine's Evidently cross-check).
    """
    out = Path(out)
    doc = {**to_json(result, decision, params, model), **(extra or {})}
    text = to_markdown(result, decision, params)
    if html is not None:
        html(out / "drift.html")
    plots.scores_chart(result, out / "plots" / "drift_scores.png")
    plots.distributions_chart(result, out / "plots" / "drift_distributions.png")
    write_text(out / "drift.md", text)
    write_json(out / "drift.json", doc)
