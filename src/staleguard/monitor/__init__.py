"""The cron side: the production store, simulated traffic, the drift check and the retraining PR."""
