"""`staleguard dashboard`: index.html + PNGs (+ README.md, the same page for GitHub's file view).

Self-contained: inline CSS, no JavaScript, images by relative path, so the folder reads offline,
from a file:// URL, on GitHub Pages and, through README.md, on the assets branch.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from staleguard.dashboard import charts
from staleguard.dashboard.life import Life, PullRequest, Week, life, serving
from staleguard.errors import DataError
from staleguard.io import write_text

STYLE = """body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:1.5em auto;padding:0 1em;
color:#222}h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}
img{max-width:100%;height:auto;display:block;margin:.4em 0}table{border-collapse:collapse;
font-size:13px;width:100%}th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;
vertical-align:top}td.n{text-align:right}.muted{color:#666;font-size:13px}.card{background:#f5f7fa;
border-left:4px solid #2a7;padding:.6em 1em}.drift{color:#b00;font-weight:600}"""
FILES = ("index.html", "README.md", "error.png", "drift.png", "shadow.png", "rows.png")
RECENT = 26   # weeks in the table (the plots show all)


def _day(value: datetime) -> str:
    return f"{value:%Y-%m-%d}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def figures(view: Life, out: Path, target: str) -> list[tuple[str, str]]:
    """Draw every figure into `out`; (file name, alt text) of each, in page order."""
    shown = [("error.png", "weekly error: measured, estimated, tolerance, baseline, retrains, deploys")]
    charts.error(view, out / shown[0][0], target)
    if any(w.scores for w in view.weeks):
        charts.heatmap(view, out / "drift.png")
        shown.append(("drift.png", "drift score / threshold per column and week"))
    if charts.shadow(view, out / "shadow.png"):
        shown.append(("shadow.png", "shadow vs served MAE per week"))
    charts.rows(view, out / "rows.png")
    shown.append(("rows.png", "rows per week, labeled and awaiting labels"))
    return shown


def serving_lines(view: Life, registry: dict[str, Any] | None) -> list[str]:
    """'What serves now and since when', from the registry when it has a prod version."""
    lines = []
    if registry:
        since = (registry.get("since") or "?")[:16].replace("T", " ")
        lines.append(f"Registry: **{registry['version']}** (model `{registry['model']}`) at stage "
                     f"`{registry['stage']}` since {since} (tag `{registry['tag']}`).")
    else:
        lines.append("Registry: no version at stage `prod` yet (the deploy workflow registers and "
                     "promotes on merge).")
    now = serving(view.weeks)
    if now:
        last = view.weeks[-1]
        lines.append(f"Monitored: model `{now[0]}` since the week of {_day(now[1])}; newest week "
                     f"{_day(last.start)}: {last.decision}.")
    return lines


def pr_rows(prs: list[PullRequest]) -> list[list[str]]:
    """Newest first; a simulated PR (the replay) was merged at once."""
    def outcome(p: PullRequest) -> str:
        return "merged (replay)" if p.action.startswith("simulated: merged") else p.outcome

    return [[p.url or "–", p.branch, _day(p.first), p.action or "–", p.verdict or "–",
             outcome(p), p.last_run[:16].replace("T", " ") or "–"] for p in reversed(prs)]


PR_HEAD = ["PR", "branch", "triggered by week", "last action", "evidence verdict", "outcome",
           "last run"]
WEEK_HEAD = ["week of", "rows (labeled)", "model", "decision", "reasons", "MAE", "est. MAE",
             "tolerance"]


def week_rows(weeks: list[Week]) -> list[list[str]]:
    return [[_day(w.start), f"{w.rows} ({w.labeled})", w.model, w.decision,
             "; ".join(w.reasons) or "–", _num(w.measured),
             f"no reliable estimate ({w.unreliable})" if w.unreliable else _num(w.estimated), _num(w.bar)]
            for w in reversed(weeks[-RECENT:])]


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    def cell(i: int, text: str) -> str:
        if text.startswith("https://"):
            return f'<td><a href="{escape(text)}">{escape("/".join(text.split("/")[-2:]))}</a></td>'
        klass = ' class="drift"' if text == "drift" else ""
        return f"<td{klass}>{escape(text)}</td>"

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return ("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table>")


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _md_inline(text: str) -> str:
    """The **bold** and `code` of the serving lines, as HTML."""
    import re

    text = escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def render(view: Life, shown: list[tuple[str, str]], registry: dict[str, Any] | None,
           source: str, built: datetime) -> tuple[str, str]:
    """(index.html, README.md) of the page."""
    first, last = view.weeks[0].start, view.weeks[-1].end
    title = "The model's life: monitored weeks, drift, retrains, deploys"
    meta = (f"{len(view.weeks)} weeks, {_day(first)} to {_day(last)}; from `{source}`; built "
            f"{built:%Y-%m-%d %H:%M} UTC by `staleguard dashboard`. A label-free estimate is shown "
            "only where it was judged reliable (`drift.estimate`); elsewhere the week says why not.")
    serving_now = serving_lines(view, registry)
    prs = pr_rows(view.prs)
    html = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f'<meta name=viewport content="width=device-width,initial-scale=1"><style>{STYLE}</style>'
            f"</head><body><h1>{escape(title)}</h1><p class=muted>{_md_inline(meta)}</p>",
            "<h2>Serving now</h2><div class=card>"
            + "".join(f"<p>{_md_inline(s)}</p>" for s in serving_now) + "</div>"]
    md = [f"# {title}", "", meta, "", "## Serving now", "", *[f"- {s}" for s in serving_now]]
    for name, alt in shown:
        html.append(f'<img src="{name}" alt="{escape(alt)}">')
        md += ["", f"![{alt}]({name})"]
    html.append("<h2>Retraining pull requests</h2>")
    md += ["", "## Retraining pull requests", ""]
    if prs:
        html.append(_html_table(PR_HEAD, prs))
        md.append(_md_table(PR_HEAD, prs))
    else:
        html.append("<p class=muted>None yet.</p>")
        md.append("None yet.")
    recent = week_rows(view.weeks)
    html += [f"<h2>The last {len(recent)} weeks</h2>", _html_table(WEEK_HEAD, recent), "</body></html>"]
    md += ["", f"## The last {len(recent)} weeks", "", _md_table(WEEK_HEAD, recent), ""]
    return "\n".join(html) + "\n", "\n".join(md)


def build(rows: list[dict[str, Any]], out: Path, target: str = "target",
          registry: dict[str, Any] | None = None, outcomes: dict[str, str] | None = None,
          source: str = "the monitor history") -> Path:
    """Write the site into `out` (replaced whole, atomically per file); the index.html path."""
    if not rows:
        raise DataError(f"{source}: the monitor history has no weeks yet; run `staleguard monitor` first")
    view = life(rows)
    view.prs = [replace(p, outcome=(outcomes or {}).get(p.url or "", p.outcome)) for p in view.prs]
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:  # a figure that has nothing to show this time must not linger
        (out / name).unlink(missing_ok=True)
    shown = figures(view, out, target)
    html, md = render(view, shown, registry, source, datetime.now(UTC))
    write_text(out / "README.md", md)
    write_text(out / "index.html", html)
    for path in out.iterdir():   # atomic writes create 0600 files; a web server needs them readable
        if path.name in FILES:
            path.chmod(0o644)
    return out / "index.html"
