"""GitHub Actions' two files: step outputs and the job summary. No-ops outside Actions (or act),
so every command that feeds a workflow also runs unchanged on a laptop."""

from __future__ import annotations

import os
from pathlib import Path


def set_outputs(**values: str) -> None:
    """Append `key=value` lines to $GITHUB_OUTPUT, for later steps' `steps.<id>.outputs`."""
    if path := os.environ.get("GITHUB_OUTPUT"):
        with Path(path).open("a") as fh:
            fh.writelines(f"{key}={value}\n" for key, value in values.items())


def add_summary(text: str) -> None:
    """Append Markdown to the job summary ($GITHUB_STEP_SUMMARY)."""
    if path := os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(path).open("a") as fh:
            fh.write(text.rstrip("\n") + "\n\n")
