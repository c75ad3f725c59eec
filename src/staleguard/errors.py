"""The few exception types the CLI turns into one-line messages and exit codes."""


class StaleguardError(Exception):
    """Base class: anything the user can fix. The CLI prints it on one line and exits 1."""


class DataError(StaleguardError, ValueError):
    """Input data is missing, malformed or does not match the expected schema."""


class ConfigError(StaleguardError, ValueError):
    """params.yaml (or a command-line setting) is invalid."""


class FetchError(StaleguardError):
    """A download failed: unreachable URL, wrong checksum, unexpected archive."""


class ModelError(StaleguardError):
    """A model file is missing, corrupt or not safe to load."""


class GateError(StaleguardError):
    """The PR's verdict fails the gate (`worse`, or undecided with report.undecided: fail)."""
