"""The known-id index keys a period as the store does (contract/identity.py `period_start`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from staleguard.serve.ids import AlreadyLogged, Logged
from staleguard.serve.predlog import stamps


@pytest.mark.parametrize("freq", ["1h", "15min", "1d"])
def test_logged_keys_are_the_stores_period_starts(params, freq):
    c = params.contract
    params = params.model_copy(update={"contract": c.model_copy(
        update={"timestamp": c.timestamp.model_copy(update={"freq": freq})})})
    base = datetime(2011, 1, 1)
    times = [base + timedelta(minutes=37 * i, microseconds=3 * i) for i in range(2000)]
    west = timezone(-timedelta(hours=5))
    times += [datetime(1901, 3, 4, 5, 6, 7), datetime(2011, 1, 1, 8, 30, tzinfo=west),  # before 1970; offsets
              datetime(2012, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    logged = Logged("timestamp", params)
    assert logged.keys([{"timestamp": t} for t in times]) == stamps(times, params).astype("int64").tolist()


def test_claim_is_all_or_nothing(params):
    logged = Logged("timestamp", params)
    logged.claim([{"timestamp": datetime(2011, 1, 1, 5)}])
    with pytest.raises(AlreadyLogged, match=r"timestamp 2011-01-01 05:00:00 already logged"):
        logged.claim([{"timestamp": datetime(2011, 1, 1, 6)}, {"timestamp": datetime(2011, 1, 1, 5, 59)}])
    logged.claim([{"timestamp": datetime(2011, 1, 1, 6)}])  # the refused request claimed nothing
