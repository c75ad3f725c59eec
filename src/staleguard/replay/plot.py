"""freshness.png: weekly MAE per policy over time, the monitor's drift weeks marked, retrains below.

700 px wide: the top panel is the story (the stale line climbs away, the guarded ones stay
down), the strip below shows when each policy retrained.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from staleguard import model_plots
from staleguard.cadence import window_name
from staleguard.params import Params
from staleguard.replay.figures import PolicySummary
from staleguard.replay.loop import Week

COLORS = {"never": "tab:red", "weekly": "tab:blue", "monitor": "tab:green"}
VARIANT_COLORS = ("tab:purple", "tab:orange", "tab:brown", "tab:olive", "tab:cyan")
LABELS = {"never": "never retrain", "weekly": "every {period}", "monitor": "monitor ({rule})"}


def period(params: Params) -> str:
    """What one replayed window is called: a week, or an n-day window (windows.week_days)."""
    return window_name(params.windows.week_days)


def _style(name: str, s: PolicySummary, extra: dict[str, str], each: str = "week") -> tuple[str, str, str]:
    """Colour, line style and legend label of a run: delayed runs dashed in their variant's colour."""
    variant = s.run.get("variant", name)
    color = COLORS.get(variant) or extra.setdefault(variant, VARIANT_COLORS[len(extra) % len(VARIANT_COLORS)])
    delay = s.run.get("label_delay_weeks", 0)
    rule = s.run.get("retrain_when") or "drift"  # monitor.retrain_when: what opens a retraining PR
    label = LABELS.get(variant, variant).format(period=each, rule=rule)
    label += f", labels {delay} wk late" if delay else ""
    return color, "--" if delay else "-", label


def short(name: str, s: PolicySummary, each: str = "week") -> str:
    """The strip's row label: the policy's name and label delay only (the legend says the rest)."""
    variant = s.run.get("variant", name)
    label = {"never": "never", "weekly": f"every {each}", "monitor": "monitor"}.get(variant, variant)
    delay = s.run.get("label_delay_weeks", 0)
    return f"{label}, {delay} wk late" if delay else label


def shown(summaries: dict[str, PolicySummary]) -> list[str]:
    """The on-time runs, plus each monitor run with the longest label delay (the story of item 2)."""
    late = max((s.run.get("label_delay_weeks", 0) for s in summaries.values()), default=0)
    return [n for n, s in summaries.items() if not s.run.get("label_delay_weeks")
            or (s.run.get("policy") == "monitor" and s.run.get("label_delay_weeks") == late)]


def freshness(weeks: list[Week], summaries: dict[str, PolicySummary], params: Params, path: Path) -> None:
    fig, (top, strip) = plt.subplots(2, 1, figsize=(7.0, 4.8), sharex=True,
                                     gridspec_kw={"height_ratios": [4, 1.3]})
    names, extra, each = shown(summaries), dict[str, str](), period(params)
    for row, name in enumerate(names):
        mine = [w for w in weeks if w.policy == name]
        s = summaries[name]
        color, style, label = _style(name, s, extra, each)
        when = [w.start for w in mine]
        top.plot(when, [w.mae for w in mine], color=color, ls=style, lw=1.4 if name != "weekly" else 1.0,
                 label=f"{label}: mean {s.mean_mae:.3g}, {s.retrains} retrains")  # 2.47, not "2"
        drifted = [w for w in mine if w.drift]
        if drifted and style == "-":
            top.scatter([w.start for w in drifted], [w.mae for w in drifted], marker="v", s=22,
                        color=color, edgecolor="black", linewidth=0.5, zorder=3,
                        label="monitor: drift found (a PR only if the rule says so)")
        retrained = [w.start for w in mine if w.retrained is not None]
        strip.scatter(retrained, [row] * len(retrained), marker="|", s=60, color=color)
    top.set_ylabel(f"MAE per {each} ({params.features.target})")
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=7, framealpha=0.9)
    first, last = weeks[0].start, weeks[-1].end - timedelta(days=1)
    # a figure title: centred on the page, not on an axes pushed right by the strip's labels
    fig.suptitle(f"Stale vs guarded model, {each} by {each} ({first:%b %Y} – {last:%b %Y})", fontsize=11)
    strip.set_yticks(range(len(names)), [short(n, summaries[n], each) for n in names], fontsize=7)
    strip.set_ylim(-0.6, len(names) - 0.4)
    strip.set_title("retrains", fontsize=8, loc="left")
    strip.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    strip.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    strip.tick_params(axis="x", labelsize=8)
    model_plots.save(fig, path)
