"""Fixtures for the scale tests: the drift tests' params and windows, one local Spark session."""

import shutil
import subprocess

import pytest

from tests.drift.conftest import params, window, with_drift, with_train

__all__ = ["params", "spark", "window", "with_drift", "with_train"]


def java_major() -> int:
    """Major version of `java` on PATH (0 when missing or unreadable)."""
    java = shutil.which("java")
    if not java:
        return 0
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    try:
        return int(out.split('"')[1].split(".")[0])
    except (IndexError, ValueError):
        return 0


@pytest.fixture(scope="session")
def spark():
    """One local[1] SparkSession for every spark test (~5-30 s cold start), stopped at the end."""
    pytest.importorskip("pyspark")
    if java_major() < 17:
        pytest.skip("Spark needs Java 17+")
    from staleguard.drift.sketch.engines import spark_session

    session = spark_session("local[1]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
