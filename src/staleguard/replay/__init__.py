"""The closed loop, replayed week by week: serve, record actuals, monitor, retrain, deploy."""
