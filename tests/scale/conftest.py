"""Fixtures for the scale tests: the drift tests' params and windows of the real hour.csv."""

from tests.drift.conftest import params, window, with_drift, with_train

__all__ = ["params", "window", "with_drift", "with_train"]
