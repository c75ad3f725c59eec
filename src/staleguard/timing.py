"""Where a long command's time went: named parts, summed, printed as one line at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    """`with watch.part("evidence"): ...` then `watch.report("monitor")` on stderr."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.parts: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - began

    def line(self, what: str) -> str:
        total = time.perf_counter() - self.start
        parts = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.parts.items())
        return f"{what}: {total:.1f} s" + (f" ({parts})" if parts else "")

    def report(self, what: str) -> None:
        print(self.line(what), file=sys.stderr)
