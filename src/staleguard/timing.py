"""Where a long command's time (and memory) went: named parts, summed, one line at the end."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    """`with watch.part("evidence"): ...` then `watch.report("monitor")` on stderr."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.parts: dict[str, float] = {}
        self.peak = (0.0, "")   # the process's peak RSS in GB so far, and the part that reached it

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - began
            gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB on Linux
            if gb > self.peak[0] + 0.01:
                self.peak = (gb, name)

    def line(self, what: str) -> str:
        total = time.perf_counter() - self.start
        parts = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.parts.items())
        peak = f"; peak memory {self.peak[0]:.2f} GB, reached in {self.peak[1]}" if self.peak[1] else ""
        return f"{what}: {total:.1f} s" + (f" ({parts})" if parts else "") + peak

    def report(self, what: str) -> None:
        print(self.line(what), file=sys.stderr)
