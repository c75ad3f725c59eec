"""The PR comment: params and metrics diff against the base ref, champion vs challenger, plots."""
