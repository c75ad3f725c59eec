"""Spark (local[1], one session): the same summaries and monitor decisions as pandas.

One test, so one xdist worker starts the JVM (~5-30 s); skipped without pyspark or Java 17+.
"""

import pytest

from staleguard.drift.sketch import engines
from tests.drift.sketch.test_engines import WINDOW, store  # noqa: F401  (fixture)
from tests.drift.sketch.test_run import _monitor_parity, logged_batches, project  # noqa: F401  (fixture)
from tests.drift.sketch.test_summary import _same

pytestmark = pytest.mark.spark


@pytest.fixture
def two_batches(project, hour, tmp_path):  # noqa: F811
    """Two weekly batches after the training window, logged by the deployed model."""
    return logged_batches(project, hour, str(tmp_path / "store"),
                          [("2011-02-01", "2011-02-08"), ("2011-06-01", "2011-06-08")])


def test_spark_summaries_and_monitor_decisions_equal_pandas(store, project, two_batches, spark):  # noqa: F811
    root, layout, _ = store
    for window, labeled in [(None, False), (WINDOW, True)]:
        a = engines.pandas_summary(root, layout, window=window, labeled=labeled)
        _same(a, engines.spark_summary(root, layout, window=window, labeled=labeled, spark=spark,
                                       batch_rows=5_000))
    p, ref, model = project
    _monitor_parity(p, ref, model, *two_batches, "spark", windows=2)
