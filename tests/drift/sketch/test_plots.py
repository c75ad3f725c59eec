"""The distribution PNG drawn from counts: the display-bin shares match the raw rows'."""

import numpy as np
import pandas as pd

from staleguard.drift.sketch.sketch_plots import Dist, draw, mass
from staleguard.drift.sketch.window_summary import freeze, summarise
from staleguard.model_plots import plt


def test_plots_mass_from_bins_and_tails_matches_the_raw_histogram():
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(0, 1, 5000), rng.normal(1.5, 1, 50_000)  # a third of cur beyond ref's max
    layout = freeze(pd.DataFrame({"x": ref}), {"x": "numerical"})
    col = summarise(pd.DataFrame({"x": cur}), layout).columns["x"]
    assert col.bins is not None and col.bins.above_n > 0
    edges = np.linspace(cur.min(), cur.max(), 31)
    got = mass(Dist(col, layout.columns["x"]), edges)
    raw = np.histogram(cur, edges)[0] / len(cur)
    assert abs(got.sum() - 1) < 1e-4  # the first frozen bin spreads a little mass below the minimum
    inside = (edges[1:] < ref.max()) & (edges[:-1] > ref.min())
    assert np.abs(got - raw)[inside].max() < 0.003  # frozen bins: exact up to within-bin shape


def test_plots_draw_bars_for_few_integer_values_and_densities_otherwise():
    frame = pd.DataFrame({"hr": np.arange(240) % 24, "x": np.linspace(0, 1, 240) ** 2})
    layout = freeze(frame, {"hr": "numerical", "x": "numerical"})
    s = summarise(frame, layout)
    fig, (a, b) = plt.subplots(1, 2)
    draw(a, Dist(s.columns["hr"], layout.columns["hr"]), Dist(s.columns["hr"], layout.columns["hr"]))
    draw(b, Dist(s.columns["x"], layout.columns["x"]), Dist(s.columns["x"], layout.columns["x"]))
    assert len(a.patches) == 2 * 24 and len(b.patches) == 2
    plt.close(fig)
