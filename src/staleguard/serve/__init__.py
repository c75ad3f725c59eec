"""Serving: the FastAPI app (`staleguard serve`), batch prediction (`predict`), the prediction log."""
