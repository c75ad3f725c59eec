"""The model's life on one page: a static site built from the monitor's history and the registry."""
