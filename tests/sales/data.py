"""A synthetic event-level sales set shaped like the production data of issue 34: one sale every
~34 s (~2,540 a day), a unique id, two text categories, a price that drifts up over the weeks.

`benchmarks/memory.py` writes 120,000 rows (47 days: 16 to train on, 31 daily windows to
monitor); the suite writes a few thousand. Seeded: the same arguments give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

STORES = [f"store-{i:02d}" for i in range(20)]
PRODUCTS = [f"sku-{i:03d}" for i in range(30)]


def sales(rows: int = 120_000, start: str = "2024-01-01", seconds: float = 34.0,
          seed: int = 0) -> pd.DataFrame:
    """`rows` sales from `start`, Poisson arrivals `seconds` apart on average, in time order."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    offsets = np.cumsum(rng.exponential(seconds, rows))
    time = t0 + pd.to_timedelta(np.round(offsets), unit="s")
    days = offsets / 86400.0
    store = rng.integers(0, len(STORES), rows)
    product = rng.integers(0, len(PRODUCTS), rows)
    base = 5.0 + 3.0 * (product % 7) + 0.8 * (store % 5)
    price = np.round(base * (1.0 + 0.004 * days) * rng.lognormal(0.0, 0.1, rows), 2)  # inflation
    promo = (rng.random(rows) < 0.15 + 0.1 * (days > 30)).astype(int)                 # more promos later
    temp = np.round(8.0 + 0.3 * days + 4.0 * np.sin(2 * np.pi * days) + rng.normal(0, 2, rows), 1)
    quantity = np.maximum(1, rng.poisson(1.5 + 1.5 * promo + 0.05 * np.maximum(temp, 0)))
    amount = np.round(price * quantity * (1 - 0.2 * promo) + rng.normal(0, 2, rows), 2)
    return pd.DataFrame({
        "sale_id": [f"S{i:07d}" for i in range(rows)],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "store": [STORES[i] for i in store],
        "product": [PRODUCTS[i] for i in product],
        "price": price, "promo": promo, "temp": temp,
        "amount": np.maximum(amount, 0.0),
    })


def write_sales(dest: Path, **kwargs: object) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    sales(**kwargs).to_csv(dest, index=False)  # type: ignore[arg-type]
    return dest
