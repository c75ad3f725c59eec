"""freshness.png: weekly MAE per policy over time, with the monitor's drift → retrain weeks marked.

700 px wide: the top panel is the story (the stale line climbs away, the guarded ones stay
down), the strip below shows when each policy retrained.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from staleguard import plots
from staleguard.params import Params
from staleguard.replay.loop import Week
from staleguard.replay.summary import PolicySummary

COLORS = {"never": "tab:red", "weekly": "tab:blue", "monitor": "tab:green"}
LABELS = {"never": "never retrain", "weekly": "every week", "monitor": "on monitor drift"}


def freshness(weeks: list[Week], summaries: dict[str, PolicySummary], params: Params, path: Path) -> None:
    fig, (top, strip) = plt.subplots(2, 1, figsize=(7.0, 4.6), sharex=True,
                                     gridspec_kw={"height_ratios": [4, 1.1]})
    for row, name in enumerate(summaries):
        mine = [w for w in weeks if w.policy == name]
        s = summaries[name]
        when = [w.start for w in mine]
        top.plot(when, [w.mae for w in mine], color=COLORS[name], lw=1.4 if name != "weekly" else 1.0,
                 label=f"{LABELS[name]}: mean {s.mean_mae:.0f}, {s.retrains} retrains")
        drifted = [w for w in mine if w.drift]
        if drifted:
            top.scatter([w.start for w in drifted], [w.mae for w in drifted], marker="v", s=22,
                        color=COLORS[name], edgecolor="black", linewidth=0.5, zorder=3,
                        label="monitor: drift → retrain")
        retrained = [w.start for w in mine if w.retrained is not None]
        strip.scatter(retrained, [row] * len(retrained), marker="|", s=60, color=COLORS[name])
    top.set_ylabel(f"weekly MAE ({params.features.target})")
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=8, framealpha=0.9)
    first, last = weeks[0].start, weeks[-1].end - timedelta(days=1)
    top.set_title(f"Stale vs guarded model, week by week ({first:%b %Y} – {last:%b %Y})", fontsize=11)
    strip.set_yticks(range(len(summaries)), [LABELS[n] for n in summaries], fontsize=8)
    strip.set_ylim(-0.6, len(summaries) - 0.4)
    strip.set_title("retrains", fontsize=8, loc="left")
    strip.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    strip.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    strip.tick_params(axis="x", labelsize=8)
    plots.save(fig, path)
