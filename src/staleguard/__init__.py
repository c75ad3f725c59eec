"""staleguard: keep a production model from going stale with DVC, CML and Evidently."""

__version__ = "0.1.0"
