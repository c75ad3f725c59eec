"""Markdown building blocks that keep a comment readable and under GitHub's size limit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

GITHUB_LIMIT = 65_536
# Room left for CML's watermark and the asset URLs that replace local image paths (~120 chars each).
BUDGET = GITHUB_LIMIT - 4_000
CELL = 80


def cell(value: Any, width: int = CELL) -> str:
    """One table cell: no pipes or newlines, long values cut with an ellipsis."""
    text = value if isinstance(value, str) else fmt(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-3 and value else f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], max_rows: int,
          what: str = "rows") -> str:
    """A GitHub table of at most `max_rows` rows, with a note saying how many were left out."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows[:max_rows]]
    if len(rows) > max_rows:
        lines.append(f"\n_… {len(rows) - max_rows} more {what} not shown; "
                     "the full list is in the workflow artifact._")
    return "\n".join(lines)


def clip(text: str, limit: int, note: str) -> str:
    """Cut `text` at a line boundary so it fits in `limit` characters, then say so."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(note) - 2)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return f"{cut.rstrip()}\n\n{note}"


def fit(sections: list[tuple[str, str]], budget: int, keep: set[str],
        where: str) -> list[tuple[str, str]]:
    """Cut the longest sections (never those in `keep`) until the joined text fits `budget`.

    Each cut section ends with a note naming what was cut and `where` the full text is.
    """
    out = list(sections)

    def total() -> int:
        return sum(len(t) for _, t in out) + 2 * (len(out) - 1) + 1

    while total() > budget:
        cuttable = [i for i, (k, _) in enumerate(out) if k not in keep and len(out[i][1]) > 400]
        if not cuttable:
            break
        i = max(cuttable, key=lambda j: len(out[j][1]))
        key, text = out[i]
        lines = text.count("\n") + 1
        note = f"_… {key} cut here to fit GitHub's {GITHUB_LIMIT:,}-character comment limit " \
               f"(of {lines:,} lines); {where}._"
        cut = clip(text, max(400, len(text) - (total() - budget)), note)
        if len(cut) >= len(text):
            break
        out[i] = (key, cut)
    return out
