"""DVC stages: each module is a pure function that computes plus a thin `main` that loads/saves."""
